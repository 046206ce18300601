// phase1_perceptron/tests/test_cli.cpp -- the phase1_perceptron executable end to end:
// help, errors and exit codes, the --json keys of every experiment.
#include <gtest/gtest.h>

#include <string>

#include "files.h"
#include "json.h"
#include "progress.h"
#include "test_support.h"

namespace {

using common::testing::run_command;
using common::testing::TempDir;

const std::string kExe = PHASE_EXE;

// Runs the program with `args`, pictures into `dir`, and returns the parsed --json file.
common::Json run_json(const TempDir& dir, const std::string& args) {
  const std::string json = dir.file("metrics.json");
  const auto r = run_command(kExe + " " + args + " --out-dir " + dir.path() + " --json " + json);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return common::testing::parse_json(common::read_file_text(json));
}

int count_lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

TEST(Phase1Cli, HelpListsTheExperiments) {
  const auto r = run_command(kExe + " --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* name :
       {"mcculloch_pitts", "perceptron_gates", "convergence", "digits", "bench", "--margin"}) {
    EXPECT_NE(r.output.find(name), std::string::npos) << name;
  }
}

TEST(Phase1Cli, BadInputIsOneLineAndExitCode2) {
  for (const char* args :
       {"--no-such-flag", "--epochs x", "--epochs 0", "no_such_experiment", "digits --batch-size 8",
        "convergence --margin 2", "perceptron_gates --lr -1"}) {
    const auto r = run_command(kExe + " " + args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_EQ(count_lines(r.output), 1) << args << ": " << r.output;
  }
}

TEST(Phase1Cli, MissingDataNamesTheFetchCommand) {
  TempDir dir;
  for (const char* experiment : {"digits", "bench"}) {
    const auto r = run_command(kExe + " " + experiment + " --data-dir " + dir.file("nothing") +
                               " --out-dir " + dir.path());
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("scripts/get_data.sh mnist"), std::string::npos) << r.output;
  }
}

TEST(Phase1Cli, McCullochPittsJson) {
  TempDir dir;
  const common::Json j = run_json(dir, "mcculloch_pitts");
  const common::Json& m = j.at("experiments").at("mcculloch_pitts");
  EXPECT_EQ(m.at("tables_correct").as_number(), 7);
  EXPECT_EQ(m.at("tables_total").as_number(), 7);
  EXPECT_TRUE(m.at("xor_network_correct").as_bool());
  EXPECT_EQ(j.at("phase").as_string(), "phase1_perceptron");
}

TEST(Phase1Cli, PerceptronGatesJsonAndPictures) {
  TempDir dir;
  const common::Json j = run_json(dir, "perceptron_gates");
  const common::Json& m = j.at("experiments").at("perceptron_gates");
  for (const char* gate : {"AND", "OR", "NAND"}) {
    EXPECT_TRUE(m.at(gate).at("converged").as_bool()) << gate;
    EXPECT_LE(m.at(gate).at("epochs").as_number(), 20) << gate;
    EXPECT_EQ(m.at(gate).at("accuracy").as_number(), 1.0) << gate;
    EXPECT_EQ(m.at(gate).at("seeds_converged").as_number(), 21) << gate;
  }
  EXPECT_FALSE(m.at("XOR").at("converged").as_bool());
  EXPECT_LE(m.at("XOR").at("accuracy").as_number(), 0.75);
  EXPECT_LE(m.at("XOR").at("best_accuracy_any_seed").as_number(), 0.75);
  EXPECT_GT(m.at("XOR").at("epochs").as_number(), 0);
  for (const char* gate : {"AND", "OR", "NAND", "XOR"}) {
    EXPECT_TRUE(common::file_exists(dir.file(std::string("perceptron_") + gate + ".png")));
  }
}

TEST(Phase1Cli, ConvergenceJson) {
  TempDir dir;
  const common::Json j = run_json(dir, "convergence --seed 3");
  const common::Json& m = j.at("experiments").at("convergence");
  EXPECT_GT(m.at("mistakes").as_number(), 0);
  EXPECT_LE(m.at("mistakes").as_number(), m.at("bound").as_number());
  EXPECT_TRUE(m.at("all_within_bound").as_bool());
  EXPECT_EQ(j.at("seed").as_number(), 3);
}

TEST(Phase1Cli, WholeQuickLessonJson) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  TempDir dir;
  const common::Json j = run_json(dir, "--quick");
  const common::Json& e = j.at("experiments");
  for (const char* name : {"mcculloch_pitts", "perceptron_gates", "convergence", "digits"}) {
    EXPECT_TRUE(e.contains(name)) << name;
  }
  const common::Json& d = e.at("digits");
  EXPECT_EQ(d.at("dataset").as_string(), "mnist");
  EXPECT_EQ(d.at("train_examples").as_number(), 2000);
  EXPECT_EQ(d.at("test_examples").as_number(), 2000);
  EXPECT_GE(d.at("test_accuracy").as_number(), 0.70);
  EXPECT_GE(d.at("averaged_test_accuracy").as_number(), 0.80);
  EXPECT_GT(d.at("seconds").as_number(), 0.0);
  EXPECT_TRUE(d.contains("dataset_variant"));
  EXPECT_TRUE(j.at("quick").as_bool());
  EXPECT_TRUE(common::file_exists(dir.file("digits_templates.png")));
  EXPECT_TRUE(common::file_exists(dir.file("digits_accuracy.svg")));
}

TEST(Phase1Cli, BenchJson) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  TempDir dir;
  const common::Json j = run_json(dir, "bench --quick");
  const common::Json& b = j.at("experiments").at("bench").at("perceptron_train");
  EXPECT_GT(b.at("items_per_second").as_number(), 0.0);
  EXPECT_EQ(b.at("unit").as_string(), "images");
  // The configuration is spelled out: model size, online learning, repeats.
  const std::string config = b.at("config").as_string();
  EXPECT_NE(config.find("784 pixels x 10 classes"), std::string::npos) << config;
  EXPECT_NE(config.find("online"), std::string::npos) << config;
  EXPECT_NE(config.find("best of 3"), std::string::npos) << config;
}

}  // namespace
