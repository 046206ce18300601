// common/console.h -- how a lesson talks: narration on stdout, kept in order with the
// progress bars on stderr, and headings that separate the experiments.
#pragma once

#include <string>

namespace common {

// Prints to stdout and flushes at once, so that the text and the progress bar (on
// stderr) appear in the order they happened.
void say(const std::string& text);

// "\n=== TITLE =====...\n" (the rule fills the line to `width` characters), then the
// narration: what the experiment shows and why.
void heading(const std::string& title, const std::string& narration, int width = 80);

// printf-style formatting into a std::string: fmt("%.4f", loss).
std::string fmt(const char* format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

}  // namespace common
