// common/cli.h -- the command line every phase shares (docs/CONVENTIONS.md §2).
//
//   PROGRAM [EXPERIMENT] [--seed N] [--threads N] [--data-dir DIR] [--out-dir DIR]
//           [--json FILE] [--quick] [--epochs N] [--steps N] [--batch-size N] [--lr X]
//           [phase-specific flags]
//
// Each phase registers its experiments and its own flags, then calls parse_or_exit().
// An unknown flag, a missing value or a bad number is a one-line error and exit code 2;
// --help prints the usage text and exits 0. Flags take their value as the next
// argument or after '=' (--epochs 5, --epochs=5).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace common {

struct CommonFlags {
  std::string experiment;  // empty: the whole lesson
  uint64_t seed = 1;
  int threads = 0;        // 0 = hardware threads
  std::string data_dir;   // default: the repository's data/
  std::string out_dir;    // default: out/<phase>
  std::string json_path;  // empty: no metrics file
  bool quick = false;
  int epochs = 0;      // 0 = the experiment's own default
  int64_t steps = 0;   // 0 = the experiment's own default
  int batch_size = 0;  // 0 = the experiment's own default
  double lr = 0.0;     // 0 = the experiment's own default

  int epochs_or(int fallback) const { return epochs > 0 ? epochs : fallback; }
  int64_t steps_or(int64_t fallback) const { return steps > 0 ? steps : fallback; }
  int batch_size_or(int fallback) const { return batch_size > 0 ? batch_size : fallback; }
  double lr_or(double fallback) const { return lr > 0.0 ? lr : fallback; }
};

class FlagParser {
 public:
  // program: "phase1_perceptron"; summary: one paragraph shown by --help.
  FlagParser(std::string program, std::string summary);

  void add_experiment(const std::string& name, const std::string& description);
  // Phase-specific flags. The variable's current value is the default shown by --help.
  void add_flag(const std::string& name, int* value, const std::string& help);
  void add_flag(const std::string& name, int64_t* value, const std::string& help);
  void add_flag(const std::string& name, double* value, const std::string& help);
  void add_flag(const std::string& name, std::string* value, const std::string& help);
  void add_flag(const std::string& name, bool* value, const std::string& help);  // a switch
  // Extra text at the end of --help (where the data comes from, examples).
  void set_epilog(const std::string& text) { epilog_ = text; }

  // Throws common::UsageError on bad input. Returns with help_requested() true
  // (and nothing else checked) when --help or -h is given.
  CommonFlags parse(int argc, const char* const* argv);
  // parse(), then: --help prints help() and exits 0; an error prints
  // "PROGRAM: MESSAGE (see --help)" and exits 2. Also applies --threads.
  CommonFlags parse_or_exit(int argc, const char* const* argv);

  bool help_requested() const { return help_requested_; }
  std::string help() const;

 private:
  struct Flag {
    std::string name, help;
    std::variant<int*, int64_t*, double*, std::string*, bool*> target;
    std::string default_text;
  };
  void add(const std::string& name, Flag flag);

  std::string program_, summary_, epilog_;
  std::vector<std::pair<std::string, std::string>> experiments_;
  std::vector<Flag> flags_;
  bool help_requested_ = false;
};

namespace detail {
// Reads a whole decimal number ("0.5", "-1e-3") without std::from_chars, for standard
// libraries that lack it for double; exposed so the tests cover it everywhere.
bool parse_double_fallback(const std::string& text, double& out);
}  // namespace detail

}  // namespace common
