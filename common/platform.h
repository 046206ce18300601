// common/platform.h -- the few operating-system calls the project needs, in one place.
//
// Everything else in common/ and the phases is ISO C++20. These helpers have a POSIX
// branch (Linux and macOS: what the project builds and tests on) and a _WIN32 branch
// written from the MSVC runtime's documentation (_isatty, _popen, _commit): it is
// compiled by no CI here, so treat Windows as untested.
#pragma once

#include <cstdio>
#include <string>

namespace common::platform {

// True when stderr is a terminal (the progress bar redraws in place only then).
bool stderr_is_terminal();

// This process's id: part of unique temporary file names.
long process_id();

// Pushes f's written data to the storage device (fsync; _commit on Windows), after
// fflush. False on failure, with errno set.
bool sync_file(std::FILE* f);

// Makes the creation or renaming of a file in dir survive a power cut (fsync of the
// directory on POSIX). On Windows a rename is made durable by the file system itself,
// so this does nothing there. False on failure, with errno set.
bool sync_directory(const std::string& dir);

struct ShellResult {
  int exit_code = -1;  // -1 when the command did not exit normally (killed by a signal)
  std::string output;  // stdout and stderr, interleaved
};
// Runs a command line through the system shell (popen) and collects its output.
ShellResult run_shell(const std::string& command);

}  // namespace common::platform
