// fuzz/fuzz_support.h -- what every libFuzzer target here shares.
//
// The loaders read files by path, so each input is first written to one temporary file
// per fuzzing process (overwritten on every run). A loader may reject the input, but only
// in the way DESIGN.md §9 promises: a common::Error whose message is one line and names
// the file. Anything else -- a crash, a sanitizer report, another exception type (a
// std::length_error from a huge allocation, say), a multi-line message -- aborts, which
// libFuzzer records as a finding.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "error.h"

namespace fuzz {

// The path inputs are written to: /dev/shm/aij-fuzz-PID where that memory-backed folder
// exists, else TMPDIR (or /tmp). On a disk, truncating the file on every run sometimes
// waits seconds for write-back (seen here as libFuzzer timeouts inside open()).
inline const std::string& input_path() {
  static const std::string path = [] {
    std::error_code ec;
    const std::filesystem::path dir = std::filesystem::is_directory("/dev/shm", ec)
                                          ? std::filesystem::path("/dev/shm")
                                          : std::filesystem::temp_directory_path();
    return (dir / ("aij-fuzz-" + std::to_string(getpid()))).string();
  }();
  static const bool removed_at_exit = std::atexit([] { std::remove(path.c_str()); }) == 0;
  (void)removed_at_exit;
  return path;
}

// A plain write, not common::write_file_atomic: that one fsyncs, which would cost more
// than the loader under test on every run.
inline const std::string& write_input(const uint8_t* data, size_t size) {
  std::FILE* f = std::fopen(input_path().c_str(), "wb");
  if (f == nullptr || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) {
    std::perror(input_path().c_str());
    std::exit(1);
  }
  return input_path();
}

[[noreturn]] inline void finding(const char* what, const std::string& detail) {
  std::fprintf(stderr, "FINDING: %s: %s\n", what, detail.c_str());
  std::abort();
}

// Runs load(path) on the input; only a one-line common::Error naming the file may escape.
template <class Load>
void expect_clean(const uint8_t* data, size_t size, Load&& load) {
  const std::string& path = write_input(data, size);
  try {
    load(path);
  } catch (const common::Error& e) {
    const std::string message = e.what();
    if (message.find('\n') != std::string::npos) finding("multi-line error", message);
    if (message.find(path) == std::string::npos) finding("error does not name the file", message);
  } catch (const std::exception& e) {
    finding("exception other than common::Error", e.what());
  }
}

// An invariant the loader's result must satisfy (checked only when loading succeeded).
inline void check(bool ok, const char* what) {
  if (!ok) finding("broken invariant", what);
}

}  // namespace fuzz
