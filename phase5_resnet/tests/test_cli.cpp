// CLI tests (label: cli): the phase5_resnet executable end to end -- help, errors and exit
// codes, missing data, the --json keys (in --quick form), and exact resume from a
// checkpoint in a new process.
#include <gtest/gtest.h>

#include <string>

#include "files.h"
#include "json.h"
#include "test_support.h"

namespace {

using common::testing::run_command;
using common::testing::TempDir;

// One thread per program: ctest runs two test programs at a time on 2 cores.
const std::string kExe = std::string(PHASE_EXE) + " --threads 1";

common::Json run_json(const TempDir& dir, const std::string& args,
                      const std::string& json_name = "metrics.json") {
  const std::string json = dir.file(json_name);
  const auto r = run_command(kExe + " " + args + " --out-dir " + dir.path() + " --json " + json);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return common::testing::parse_json(common::read_file_text(json));
}

int count_lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

void expect_keys(const common::Json& m, std::initializer_list<const char*> keys) {
  for (const char* key : keys) EXPECT_TRUE(m.contains(key)) << key;
}

TEST(Cli, HelpListsExperimentsAndFlags) {
  const auto r = run_command(kExe + " --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word :
       {"resnet", "degradation", "gradient_flow", "--depth", "--plain", "--shortcut",
        "--checkpoint", "--resume", "--zero-init", "--warmup", "get_data.sh"})
    EXPECT_NE(r.output.find(word), std::string::npos) << word;
}

TEST(Cli, BadInputIsOneLineAndExitCode2) {
  for (const char* args :
       {"--no-such-flag", "--epochs x", "--lr -1", "lenet", "resnet --depth 21",
        "resnet --shortcut C", "resnet --schedule linear", "degradation --depth 20",
        "degradation --plain", "gradient_flow --epochs 2", "resnet --steps 5", "--depth 56",
        "resnet --resume", "resnet --zero-init 2", "gradient_flow --checkpoint x"}) {
    const auto r = run_command(kExe + " " + args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_EQ(count_lines(r.output), 1) << args << ": " << r.output;
  }
}

TEST(Cli, MissingDataNamesTheFetchCommand) {
  TempDir dir;
  const auto r = run_command(kExe + " resnet --quick --data-dir " + dir.file("none") +
                             " --out-dir " + dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("scripts/get_data.sh fashion-mnist"), std::string::npos) << r.output;
}

TEST(Cli, ResnetJson) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "fashion-mnist");
  TempDir dir;
  const common::Json j = run_json(dir, "resnet --quick --epochs 1");
  const common::Json& m = j.at("experiments").at("resnet");
  expect_keys(m, {"model", "train_loss", "test_accuracy", "params", "flops_per_image", "seconds",
                  "epochs"});
  EXPECT_EQ(m.at("epochs").as_number(), 1);
  EXPECT_EQ(j.at("phase").as_string(), "phase5_resnet");
}

// Training 2 epochs = training 1, saving, loading in a new process and training 1 more.
TEST(Cli, ResumeGivesTheUninterruptedResult) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "fashion-mnist");
  TempDir dir;
  const std::string ckpt = dir.file("train.ckpt");
  const common::Json whole = run_json(dir, "resnet --quick --epochs 2", "whole.json");
  const auto first = run_command(kExe + " resnet --quick --epochs 2 --stop-after 1 --checkpoint " +
                                 ckpt + " --out-dir " + dir.path());
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("continue with --resume"), std::string::npos) << first.output;
  const common::Json resumed =
      run_json(dir, "resnet --quick --epochs 2 --resume --checkpoint " + ckpt, "resumed.json");
  const common::Json& a = whole.at("experiments").at("resnet");
  const common::Json& b = resumed.at("experiments").at("resnet");
  EXPECT_EQ(b.at("epochs").as_number(), 2);
  for (const char* key : {"train_loss", "test_accuracy"})
    EXPECT_EQ(a.at(key).as_number(), b.at(key).as_number()) << key;  // bit for bit
  for (size_t e = 0; e < 2; ++e)
    EXPECT_EQ(a.at("train_loss_per_epoch").at(e).as_number(),
              b.at("train_loss_per_epoch").at(e).as_number());
  // Other flags than the saved run's are refused with a message naming the file.
  const auto other = run_command(kExe + " resnet --quick --epochs 3 --resume --checkpoint " + ckpt +
                                 " --out-dir " + dir.path());
  EXPECT_EQ(other.exit_code, 1) << other.output;
  EXPECT_NE(other.output.find("other settings"), std::string::npos) << other.output;
}

TEST(Cli, DegradationAndGradientFlowJson) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "fashion-mnist");
  TempDir dir;
  const common::Json j = run_json(dir, "degradation --quick");
  const common::Json& m = j.at("experiments").at("degradation");
  for (const char* net : {"plain_20", "plain_56", "resnet_20", "resnet_56"})
    expect_keys(m.at(net),
                {"train_loss", "test_accuracy", "params", "flops_per_image", "seconds", "epochs"});
  EXPECT_TRUE(common::file_exists(dir.file("degradation.svg")));
  const common::Json g = run_json(dir, "gradient_flow --quick", "g.json");
  const common::Json& f = g.at("experiments").at("gradient_flow");
  expect_keys(f, {"plain_first_last_ratio", "resnet_first_last_ratio"});
  EXPECT_TRUE(common::file_exists(dir.file("gradient_flow.svg")));
}

TEST(Cli, BatchnormCompareAndBenchJson) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "fashion-mnist");
  TempDir dir;
  const common::Json j = run_json(dir, "batchnorm --quick");
  const common::Json& b = j.at("experiments").at("batchnorm");
  expect_keys(b, {"bn_lr_0.1", "no_bn_lr_0.1", "no_bn_highest_lr_that_trains"});
  EXPECT_TRUE(common::file_exists(dir.file("batchnorm.svg")));
  const common::Json c = run_json(dir, "compare --quick", "c.json");
  for (const char* k : {"lenet5", "vgg", "resnet_20", "resnet_56"})
    expect_keys(c.at("experiments").at("compare").at(k),
                {"test_accuracy", "params", "flops_per_image", "images_per_second"});
  const common::Json bench = run_json(dir, "bench --quick", "b.json");
  for (const char* k : {"resnet20_train", "resnet56_train", "resnet20_infer"})
    EXPECT_GT(bench.at("experiments").at("bench").at(k).at("items_per_second").as_number(), 0.0)
        << k;
  expect_keys(
      bench.at("experiments").at("bench").at("resnet20_train").at("breakdown_seconds_per_step"),
      {"matrix_products", "im2col_col2im", "batchnorm", "rest"});
}

}  // namespace
