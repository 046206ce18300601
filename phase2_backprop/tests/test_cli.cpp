// Command-line tests (label cli): the executable end to end, through run_command.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "files.h"
#include "json.h"
#include "progress.h"
#include "test_support.h"

namespace {

using common::testing::run_command;

const std::string kExe = PHASE_EXE;

int count_lines(const std::string& s) {
  int lines = 0;
  for (char c : s) lines += c == '\n';
  return lines;
}

TEST(Phase2Cli, HelpListsEveryExperiment) {
  const auto r = run_command(kExe + " --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* name : {"gradcheck", "xor", "xor_seeds", "encoder", "symmetry", "moons",
                           "spirals", "digits", "bench", "--seeds", "get_data.sh mnist"})
    EXPECT_NE(r.output.find(name), std::string::npos) << name;
}

TEST(Phase2Cli, BadFlagIsOneLineAndExitCode2) {
  const auto r = run_command(kExe + " xor --no-such-flag");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.output), 1) << r.output;
  const auto bad_value = run_command(kExe + " xor --epochs many");
  EXPECT_EQ(bad_value.exit_code, 2);
  EXPECT_EQ(count_lines(bad_value.output), 1) << bad_value.output;
  const auto negative = run_command(kExe + " xor_seeds --seeds -3");
  EXPECT_EQ(negative.exit_code, 2) << negative.output;
  const auto steps = run_command(kExe + " xor --steps 10");  // epochs only, said explicitly
  EXPECT_EQ(steps.exit_code, 2) << steps.output;
  EXPECT_NE(steps.output.find("--epochs"), std::string::npos) << steps.output;
}

// A training flag the experiment would ignore is refused, as phase 1 does: the full-batch
// 1986 tasks have no --batch-size, gradcheck trains nothing, bench has a fixed rate, and
// the whole lesson runs experiments that each have their own rate and length.
TEST(Phase2Cli, FlagsAnExperimentDoesNotUseAreExitCode2) {
  for (const char* args : {"xor --batch-size 8", "symmetry --batch-size 8", "gradcheck --epochs 3",
                           "gradcheck --lr 0.1", "bench --lr 0.1", "bench --epochs 2",
                           "--quick --lr 1", "--quick --epochs 5", "--quick --batch-size 32"}) {
    const auto r = run_command(kExe + " " + args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_EQ(count_lines(r.output), 1) << args << ": " << r.output;
    EXPECT_NE(r.output.find("is not used by"), std::string::npos) << args << ": " << r.output;
  }
}

TEST(Phase2Cli, HelpStatesWhatLrMeans) {
  const auto r = run_command(kExe + " --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("MEAN loss"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("symmetry 6.4"), std::string::npos) << r.output;
}

TEST(Phase2Cli, UnknownExperimentIsExitCode2) {
  const auto r = run_command(kExe + " backprop_through_time");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.output), 1) << r.output;
}

TEST(Phase2Cli, MissingDataNamesTheFetchCommand) {
  common::testing::TempDir dir;
  const auto r = run_command(kExe + " digits --quick --data-dir " + dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("scripts/get_data.sh mnist"), std::string::npos) << r.output;
}

TEST(Phase2Cli, DivergenceIsExitCode1WithAHint) {
  common::testing::TempDir dir;
  const auto r = run_command(kExe + " spirals --quick --lr 1e6 --out-dir " + dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("diverged at step"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--lr"), std::string::npos) << r.output;
}

TEST(Phase2Cli, WholeQuickLessonRunsEveryExperimentInOrder) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  common::testing::TempDir dir;
  const std::string json = dir.file("lesson.json");
  const auto r = run_command(kExe + " --quick --json " + json + " --out-dir " + dir.file("out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const common::Json experiments =
      common::testing::parse_json(common::read_file_text(json)).at("experiments");
  size_t previous = 0;
  for (const char* name :
       {"gradcheck", "xor", "xor_seeds", "encoder", "symmetry", "moons", "spirals", "digits"}) {
    EXPECT_TRUE(experiments.contains(name)) << name;
    const size_t pos = r.output.find(std::string(". ") + name + ":");  // "=== 3. xor_seeds:"
    ASSERT_NE(pos, std::string::npos) << name;
    EXPECT_GT(pos, previous) << name << " out of order";
    previous = pos;
  }
}

// Every experiment, --quick, with --json: the keys the issue names, and the pictures.
struct JsonCase {
  const char* experiment;
  std::vector<const char*> keys;
  std::vector<const char*> files;
};

// Shown by ctest -N instead of the struct's bytes.
void PrintTo(const JsonCase& c, std::ostream* os) {
  *os << c.experiment;
}

class Phase2CliJson : public ::testing::TestWithParam<JsonCase> {};

TEST_P(Phase2CliJson, KeysAndPictures) {
  const JsonCase& c = GetParam();
  if (std::string(c.experiment) == "digits") AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  common::testing::TempDir dir;
  const std::string json = dir.file("metrics.json");
  const auto r = run_command(kExe + " " + c.experiment + " --quick --json " + json + " --out-dir " +
                             dir.file("out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const common::Json root = common::testing::parse_json(common::read_file_text(json));
  EXPECT_EQ(root.at("phase").as_string(), "phase2_backprop");
  EXPECT_TRUE(root.at("quick").as_bool());
  const common::Json& e = std::string(c.experiment) == "bench"
                              ? root.at("experiments").at("bench").at("mlp_train")
                              : root.at("experiments").at(c.experiment);
  for (const char* key : c.keys) EXPECT_TRUE(e.contains(key)) << c.experiment << "." << key;
  for (const char* file : c.files)
    EXPECT_TRUE(common::file_exists(dir.file(std::string("out/") + file))) << file;
}

INSTANTIATE_TEST_SUITE_P(
    Experiments, Phase2CliJson,
    ::testing::Values(
        JsonCase{"gradcheck", {"max_relative_error"}, {}},
        JsonCase{"xor", {"accuracy", "final_loss", "epochs"}, {"xor.png"}},
        JsonCase{
            "xor_seeds", {"success_rate_2_2_1", "success_rate_2_3_1", "success_rate_2_4_1"}, {}},
        JsonCase{"encoder", {"accuracy", "codes_distinct"}, {}},
        JsonCase{"symmetry", {"accuracy", "success_rate"}, {}},
        JsonCase{"moons", {"test_accuracy", "seconds"}, {"moons.png"}},
        JsonCase{"spirals", {"test_accuracy", "seconds", "items_per_second"}, {"spirals.png"}},
        JsonCase{"digits",
                 {"dataset", "dataset_variant", "train_examples", "test_examples", "test_accuracy",
                  "seconds", "items_per_second", "perceptron_test_accuracy"},
                 {"digits_loss.svg", "digits_accuracy.svg"}},
        JsonCase{"bench", {"items_per_second", "unit", "config"}, {}}),
    [](const ::testing::TestParamInfo<JsonCase>& info) {
      return std::string(info.param.experiment);
    });

}  // namespace
