// common/console.cpp -- see console.h.
#include "console.h"

#include <cstdarg>
#include <cstdio>
#include <vector>

namespace common {

void say(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

void heading(const std::string& title, const std::string& narration, int width) {
  const int used = static_cast<int>(title.size()) + 5;  // "=== " + title + " "
  const std::string rule(used < width ? static_cast<size_t>(width - used) : 3, '=');
  say("\n=== " + title + " " + rule + "\n" + narration);
}

std::string fmt(const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  std::va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  std::string out;
  if (n > 0) {
    std::vector<char> buffer(static_cast<size_t>(n) + 1);
    std::vsnprintf(buffer.data(), buffer.size(), format, args);
    out.assign(buffer.data(), static_cast<size_t>(n));
  }
  va_end(args);
  return out;
}

}  // namespace common
