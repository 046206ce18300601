// Tests for common/cli.h: defaults, every common flag in both spellings, phase flags of
// every type, and each kind of mistake -- thrown by parse(), and turned into a one-line
// message with exit code 2 by parse_or_exit().
#include <gtest/gtest.h>

#include <cstdio>
#include <initializer_list>
#include <string>
#include <vector>

#include "cli.h"
#include "error.h"
#include "files.h"
#include "thread_pool.h"

namespace {

using common::CommonFlags;
using common::FlagParser;
using common::UsageError;

// argv for a test: the program name followed by `args`.
class Args {
 public:
  Args(std::initializer_list<std::string> args) : strings_{"phase_test"} {
    strings_.insert(strings_.end(), args);
    for (const std::string& s : strings_) pointers_.push_back(s.c_str());
  }
  int argc() const { return static_cast<int>(pointers_.size()); }
  const char* const* argv() const { return pointers_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<const char*> pointers_;
};

// A phase with three experiments and one flag of every type.
class Cli : public ::testing::Test {
 protected:
  Cli() : parser("phase_test", "A test phase that teaches nothing.") {
    parser.add_experiment("perceptron", "the 1958 learning rule");
    parser.add_experiment("xor", "where a single layer fails");
    parser.add_experiment("bench", "throughput");
    parser.add_flag("hidden", &hidden, "hidden units");
    parser.add_flag("--tokens", &tokens, "tokens to generate");
    parser.add_flag("temperature", &temperature, "sampling temperature");
    parser.add_flag("prompt", &prompt, "text to start from");
    parser.add_flag("verbose", &verbose, "print every step");
    parser.set_epilog("Data: scripts/fetch_data.sh mnist");
    // The pool may already have threads when a death test forks; "threadsafe" re-runs
    // the test binary for the child instead of forking a multi-threaded process.
    GTEST_FLAG_SET(death_test_style, "threadsafe");
  }

  CommonFlags parse(std::initializer_list<std::string> args) {
    const Args a(args);
    return parser.parse(a.argc(), a.argv());
  }
  CommonFlags parse_or_exit(std::initializer_list<std::string> args) {
    const Args a(args);
    return parser.parse_or_exit(a.argc(), a.argv());
  }
  // The message of the UsageError that parsing `args` throws.
  std::string error(std::initializer_list<std::string> args) {
    try {
      parse(args);
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(no error)";
  }

  int hidden = 16;
  int64_t tokens = 200;
  double temperature = 0.8;
  std::string prompt = "ROMEO:";
  bool verbose = false;
  FlagParser parser;
};

// --- Defaults and valid input -------------------------------------------------------

TEST_F(Cli, Defaults) {
  const CommonFlags f = parse({});
  EXPECT_EQ(f.experiment, "");
  EXPECT_EQ(f.seed, 1u);
  EXPECT_EQ(f.threads, 0);
  EXPECT_EQ(f.data_dir, common::default_data_dir());
  EXPECT_EQ(f.out_dir, common::default_out_dir("phase_test"));
  EXPECT_EQ(f.json_path, "");
  EXPECT_FALSE(f.quick);
  EXPECT_EQ(f.epochs, 0);
  EXPECT_EQ(f.steps, 0);
  EXPECT_EQ(f.batch_size, 0);
  EXPECT_EQ(f.lr, 0.0);
  EXPECT_EQ(f.epochs_or(7), 7);
  EXPECT_EQ(f.lr_or(0.1), 0.1);
  EXPECT_FALSE(parser.help_requested());
  // Phase variables keep their defaults.
  EXPECT_EQ(hidden, 16);
  EXPECT_EQ(prompt, "ROMEO:");
  EXPECT_FALSE(verbose);
}

TEST_F(Cli, CommonFlagsWithSpaceSeparatedValues) {
  const CommonFlags f =
      parse({"xor",       "--seed",      "42",           "--threads", "3",       "--data-dir", "/d",
             "--out-dir", "/o",          "--json",       "m.json",    "--quick", "--epochs",   "5",
             "--steps",   "10000000000", "--batch-size", "64",        "--lr",    "0.05"});
  EXPECT_EQ(f.experiment, "xor");
  EXPECT_EQ(f.seed, 42u);
  EXPECT_EQ(f.threads, 3);
  EXPECT_EQ(f.data_dir, "/d");
  EXPECT_EQ(f.out_dir, "/o");
  EXPECT_EQ(f.json_path, "m.json");
  EXPECT_TRUE(f.quick);
  EXPECT_EQ(f.epochs, 5);
  EXPECT_EQ(f.steps, 10000000000);  // steps is 64-bit
  EXPECT_EQ(f.batch_size, 64);
  EXPECT_EQ(f.lr, 0.05);
  EXPECT_EQ(f.epochs_or(7), 5);
}

TEST_F(Cli, CommonFlagsWithEquals) {
  const CommonFlags f =
      parse({"--seed=0", "--threads=1", "--data-dir=/x=y", "--json=a.json", "--epochs=2",
             "--steps=3", "--batch-size=4", "--lr=1e-3", "perceptron"});
  EXPECT_EQ(f.experiment, "perceptron");
  EXPECT_EQ(f.seed, 0u);
  EXPECT_EQ(f.threads, 1);
  EXPECT_EQ(f.data_dir, "/x=y");  // only the first '=' splits
  EXPECT_EQ(f.json_path, "a.json");
  EXPECT_EQ(f.epochs, 2);
  EXPECT_EQ(f.steps, 3);
  EXPECT_EQ(f.batch_size, 4);
  EXPECT_EQ(f.lr, 1e-3);
}

TEST_F(Cli, LargeSeed) {
  EXPECT_EQ(parse({"--seed", "18446744073709551615"}).seed, 18446744073709551615u);
}

TEST_F(Cli, BenchIsAnExperimentWhenRegistered) {
  EXPECT_EQ(parse({"bench"}).experiment, "bench");
}

TEST_F(Cli, PhaseFlagsOfEveryType) {
  parse({"--hidden", "32", "--tokens=5000000000", "--temperature", "1.5", "--prompt",
         "KING LEAR:", "--verbose"});
  EXPECT_EQ(hidden, 32);
  EXPECT_EQ(tokens, 5000000000);
  EXPECT_EQ(temperature, 1.5);
  EXPECT_EQ(prompt, "KING LEAR:");
  EXPECT_TRUE(verbose);
  // Negative numbers are values, in both spellings; an empty string is allowed.
  parse({"--hidden", "-3", "--temperature=-0.5", "--prompt="});
  EXPECT_EQ(hidden, -3);
  EXPECT_EQ(temperature, -0.5);
  EXPECT_EQ(prompt, "");
}

TEST_F(Cli, RegisteringAFlagTwiceOrShadowingACommonOneIsAnError) {
  int x = 0;
  EXPECT_THROW(parser.add_flag("hidden", &x, "again"), common::Error);
  EXPECT_THROW(parser.add_flag("epochs", &x, "shadow"), common::Error);
  EXPECT_THROW(parser.add_experiment("xor", "again"), common::Error);
}

// --- Help -----------------------------------------------------------------------------

TEST_F(Cli, HelpIsRequestedEvenWithOtherMistakes) {
  parse({"--bogus", "-h"});
  EXPECT_TRUE(parser.help_requested());
  parse({"--epochs", "5"});
  EXPECT_FALSE(parser.help_requested());
  parse({"xor", "--help"});
  EXPECT_TRUE(parser.help_requested());
}

TEST_F(Cli, HelpText) {
  const std::string help = parser.help();
  EXPECT_EQ(help.rfind("usage: phase_test [EXPERIMENT] [FLAGS]\n", 0), 0u);
  for (const std::string& text : {std::string("A test phase that teaches nothing."),
                                  std::string("perceptron"),
                                  std::string("the 1958 learning rule"),
                                  std::string("bench"),
                                  std::string("--seed N"),
                                  std::string("random seed (default 1)"),
                                  std::string("--threads N"),
                                  std::string("--data-dir DIR"),
                                  common::default_data_dir(),
                                  common::default_out_dir("phase_test"),
                                  std::string("--json FILE"),
                                  std::string("--quick"),
                                  std::string("--epochs N"),
                                  std::string("--steps N"),
                                  std::string("--batch-size N"),
                                  std::string("--lr X"),
                                  std::string("-h, --help"),
                                  std::string("--hidden N"),
                                  std::string("hidden units (default 16)"),
                                  std::string("--tokens N"),
                                  std::string("(default 200)"),
                                  std::string("--temperature X"),
                                  std::string("(default 0.8)"),
                                  std::string("--prompt TEXT"),
                                  std::string("(default ROMEO:)"),
                                  std::string("--verbose"),
                                  std::string("print every step (default off)"),
                                  std::string("Data: scripts/fetch_data.sh mnist\n")}) {
    EXPECT_NE(help.find(text), std::string::npos) << text;
  }
  // Experiments in the order they were registered.
  EXPECT_LT(help.find("perceptron"), help.find("xor"));
  EXPECT_LT(help.find("xor"), help.find("bench"));
}

TEST_F(Cli, HelpExitsWithZero) {
  // The help goes to stdout; the child's copy is sent to /dev/null to keep the log short.
  auto quiet = [] { (void)std::freopen("/dev/null", "w", stdout); };
  EXPECT_EXIT((quiet(), parse_or_exit({"--help"})), ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT((quiet(), parse_or_exit({"-h"})), ::testing::ExitedWithCode(0), "");
}

// --- Mistakes -------------------------------------------------------------------------

TEST_F(Cli, ErrorMessages) {
  EXPECT_EQ(error({"--foo"}), "unknown flag --foo");
  EXPECT_EQ(error({"--foo=3"}), "unknown flag --foo");
  EXPECT_EQ(error({"-x"}), "unknown flag -x");
  EXPECT_EQ(error({"--epochs"}), "--epochs needs a value");
  EXPECT_EQ(error({"--json", "--quick"}), "--json needs a value");
  EXPECT_EQ(error({"--json="}), "--json needs a value");
  EXPECT_EQ(error({"--hidden"}), "--hidden needs a value");
  EXPECT_EQ(error({"--epochs", "abc"}), "--epochs expects a positive integer, got 'abc'");
  EXPECT_EQ(error({"--epochs=5x"}), "--epochs expects a positive integer, got '5x'");
  EXPECT_EQ(error({"--epochs", "0"}), "--epochs expects a positive integer, got '0'");
  EXPECT_EQ(error({"--epochs", "-2"}), "--epochs expects a positive integer, got '-2'");
  EXPECT_EQ(error({"--epochs", "99999999999"}),
            "--epochs expects a positive integer, got '99999999999'");
  EXPECT_EQ(error({"--epochs", "2.5"}), "--epochs expects a positive integer, got '2.5'");
  EXPECT_EQ(error({"--epochs", " 5"}), "--epochs expects a positive integer, got ' 5'");
  EXPECT_EQ(error({"--steps", "0"}), "--steps expects a positive integer, got '0'");
  EXPECT_EQ(error({"--batch-size", "x"}), "--batch-size expects a positive integer, got 'x'");
  EXPECT_EQ(error({"--threads", "0"}), "--threads expects a positive integer, got '0'");
  EXPECT_EQ(error({"--seed", "-1"}), "--seed expects a non-negative integer, got '-1'");
  EXPECT_EQ(error({"--lr", "0"}), "--lr expects a positive number, got '0'");
  EXPECT_EQ(error({"--lr", "-0.1"}), "--lr expects a positive number, got '-0.1'");
  EXPECT_EQ(error({"--lr", "inf"}), "--lr expects a positive number, got 'inf'");
  EXPECT_EQ(error({"--lr", "nan"}), "--lr expects a positive number, got 'nan'");
  EXPECT_EQ(error({"--lr", "0.1x"}), "--lr expects a positive number, got '0.1x'");
  EXPECT_EQ(error({"--hidden", "many"}), "--hidden expects an integer, got 'many'");
  EXPECT_EQ(error({"--temperature", "hot"}), "--temperature expects a number, got 'hot'");
  EXPECT_EQ(error({"--quick=yes"}), "--quick takes no value");
  EXPECT_EQ(error({"--verbose=1"}), "--verbose takes no value");
  EXPECT_EQ(error({"lenet"}),
            "unknown experiment 'lenet' (expected one of: perceptron, xor, bench)");
  EXPECT_EQ(error({"xor", "perceptron"}),
            "unexpected argument 'perceptron' (only one experiment at a time; 'xor' was "
            "already given)");
}

TEST_F(Cli, ParseThrowsUsageError) {
  for (auto args : {std::initializer_list<std::string>{"--foo"},
                    {"--epochs"},
                    {"--epochs", "abc"},
                    {"--lr", "-1"},
                    {"nope"},
                    {"xor", "xor"}}) {
    EXPECT_THROW(parse(args), UsageError);
  }
}

TEST_F(Cli, NoExperimentsRegistered) {
  FlagParser bare("bare", "");
  const Args a({"run"});
  try {
    bare.parse(a.argc(), a.argv());
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "unknown experiment 'run' (this program has no named experiments)");
  }
}

TEST_F(Cli, ParseOrExitPrintsOneLineAndExitsWithTwo) {
  using ::testing::ExitedWithCode;
  EXPECT_EXIT(parse_or_exit({"--foo"}), ExitedWithCode(2),
              "^phase_test: unknown flag --foo \\(see --help\\)\n$");
  EXPECT_EXIT(parse_or_exit({"--epochs"}), ExitedWithCode(2),
              "^phase_test: --epochs needs a value \\(see --help\\)\n$");
  EXPECT_EXIT(parse_or_exit({"--epochs", "abc"}), ExitedWithCode(2),
              "^phase_test: --epochs expects a positive integer, got 'abc' \\(see --help\\)\n$");
  EXPECT_EXIT(parse_or_exit({"--seed", "-5"}), ExitedWithCode(2),
              "--seed expects a non-negative integer, got '-5'");
  EXPECT_EXIT(parse_or_exit({"--threads", "0"}), ExitedWithCode(2),
              "--threads expects a positive integer, got '0'");
  EXPECT_EXIT(parse_or_exit({"--lr", "fast"}), ExitedWithCode(2),
              "--lr expects a positive number, got 'fast'");
  EXPECT_EXIT(parse_or_exit({"--hidden", "x"}), ExitedWithCode(2),
              "--hidden expects an integer, got 'x'");
  EXPECT_EXIT(parse_or_exit({"lenet"}), ExitedWithCode(2),
              "unknown experiment 'lenet' \\(expected one of: perceptron, xor, bench\\)");
  EXPECT_EXIT(parse_or_exit({"xor", "bench"}), ExitedWithCode(2), "unexpected argument 'bench'");
}

TEST_F(Cli, ParseOrExitAppliesThreads) {
  const CommonFlags f = parse_or_exit({"xor", "--threads", "1"});
  EXPECT_EQ(f.experiment, "xor");
  EXPECT_EQ(common::num_threads(), 1);
}

}  // namespace

// The reader used where the standard library has no std::from_chars for double (libc++
// before 17): same answers as from_chars for what the flags accept, in any locale.
TEST(ParseDoubleFallback, AcceptsWholeNumbersOnly) {
  double v = 0.0;
  EXPECT_TRUE(common::detail::parse_double_fallback("0.5", v));
  EXPECT_EQ(v, 0.5);
  EXPECT_TRUE(common::detail::parse_double_fallback("-1e-3", v));
  EXPECT_EQ(v, -1e-3);
  EXPECT_TRUE(common::detail::parse_double_fallback("3", v));
  EXPECT_EQ(v, 3.0);
  EXPECT_TRUE(common::detail::parse_double_fallback("0.1", v));
  EXPECT_EQ(v, 0.1);  // correctly rounded, like from_chars
  for (const char* bad : {"", " 1", "1 ", "1x", "x", "1,5", "1e", "--1", "1e999"}) {
    v = 42.0;
    EXPECT_FALSE(common::detail::parse_double_fallback(bad, v)) << "'" << bad << "'";
    EXPECT_EQ(v, 42.0) << "a rejected text must leave the value alone";
  }
}
