// common/test_support.h -- small helpers for the GoogleTest suites of every phase.
// Header-only and test-only: include it from tests/*.cpp, never from a phase's code.
//
//   AIJ_REQUIRE_DATA(data_dir, "mnist")  skips a test when data/mnist is missing, but
//                                        fails it when CI=true (docs/CONVENTIONS.md §6: CI fetches
//                                        the data first, so missing data there is a bug)
//   TempDir dir;                         a fresh directory, removed at scope exit
//   run_command("prog --flag")           exit code and combined stdout+stderr
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "files.h"
#include "json.h"
#include "rng.h"

namespace common::testing {

// Parses JSON text (RFC 8259); throws common::Error with the byte offset of the first
// problem. In the tests-only library common_test_support (testing/json_parse.cpp).
Json parse_json(const std::string& text);

inline bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

// True when DATA_DIR/NAME/SOURCE exists (get_data.sh writes it last).
inline bool dataset_present(const std::string& data_dir, const std::string& name) {
  return file_exists(join_path(join_path(data_dir, name), "SOURCE"));
}

#define AIJ_REQUIRE_DATA(data_dir, name)                                                          \
  do {                                                                                            \
    if (!::common::testing::dataset_present((data_dir), (name))) {                                \
      if (::common::testing::running_in_ci()) {                                                   \
        FAIL() << "dataset '" << (name) << "' missing in CI: run scripts/get_data.sh " << (name); \
      }                                                                                           \
      GTEST_SKIP() << "dataset '" << (name) << "' not present: scripts/get_data.sh " << (name);   \
    }                                                                                             \
  } while (0)

class TempDir {
 public:
  TempDir() {
    Rng rng(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(this)) ^
            static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
    path_ = (std::filesystem::temp_directory_path() /
             ("aij-test-" + std::to_string(rng.next_u64() % 1000000000ull)))
                .string();
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return join_path(path_, name); }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

// Runs a shell command line (through /bin/sh) and collects its output.
inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  std::FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace common::testing
