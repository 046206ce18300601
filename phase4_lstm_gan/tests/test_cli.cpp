// CLI tests (label: cli): the phase4_lstm_gan executable end to end -- help, errors and
// exit codes, missing data, the --json keys of every LSTM experiment (in --quick form).
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

void expect_keys(const common::Json& m, std::initializer_list<const char*> keys) {
  for (const char* key : keys) EXPECT_TRUE(m.contains(key)) << key;
}

TEST(Cli, HelpListsExperimentsAndFlags) {
  const auto r = run_command(kExe + " --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word :
       {"long_lag", "sentiment", "char_lstm", "bench", "--length", "--forget-init", "--hidden",
        "--layers", "--temperature", "--sample-chars", "--lr is Adam", "get_data.sh"})
    EXPECT_NE(r.output.find(word), std::string::npos) << word;
}

TEST(Cli, BadInputIsOneLineAndExitCode2) {
  for (const char* args :
       {"--no-such-flag", "--steps x", "--lr -1", "resnet", "long_lag --epochs 2",
        "long_lag --length 2", "long_lag --forget-init zero", "long_lag --layers 2",
        "long_lag --temperature 0.5", "char_lstm --length 50", "char_lstm --forget-init bias1",
        "char_lstm --temperature 0", "char_lstm --layers 0", "long_lag char_lstm",
        "sentiment --steps 5", "sentiment --hidden 32", "bench --steps 5", "bench --lr 0.1"}) {
    const auto r = run_command(kExe + " " + args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_EQ(count_lines(r.output), 1) << args << ": " << r.output;
  }
}

TEST(Cli, MissingDataNamesTheFetchCommand) {
  TempDir dir;
  const auto r = run_command(kExe + " char_lstm --quick --data-dir " + dir.file("none") +
                             " --out-dir " + dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("scripts/get_data.sh shakespeare"), std::string::npos) << r.output;
}

TEST(Cli, LongLagJsonAndChart) {
  TempDir dir;
  const common::Json j = run_json(dir, "long_lag --quick --steps 100");
  EXPECT_EQ(j.at("phase").as_string(), "phase4_lstm_gan");
  const common::Json& m = j.at("experiments").at("long_lag");
  expect_keys(m, {"T20", "seconds"});
  expect_keys(m.at("T20"), {"rnn_test_mse", "lstm_test_mse", "baseline_mse", "steps"});
  EXPECT_EQ(m.at("T20").at("steps").as_number(), 100);
  EXPECT_NEAR(m.at("T20").at("baseline_mse").as_number(), 2.0 / 12.0, 0.05);  // 400 sequences
  EXPECT_TRUE(common::file_exists(dir.file("long_lag_T20.svg")));
}

TEST(Cli, CharLstmJsonAndSample) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "shakespeare");
  TempDir dir;
  const common::Json j = run_json(dir, "char_lstm --quick --steps 40 --sample-chars 100");
  const common::Json& m = j.at("experiments").at("char_lstm");
  expect_keys(m, {"val_loss", "rnn_val_loss_same_steps", "steps", "tokens_per_second", "sample",
                  "known_word_fraction", "seconds"});
  EXPECT_EQ(m.at("steps").as_number(), 40);
  EXPECT_EQ(m.at("sample").as_string().substr(0, 6), "ROMEO:");
  EXPECT_EQ(m.at("sample").as_string().size(), 106u);
  EXPECT_TRUE(common::file_exists(dir.file("char_lstm_validation.svg")));
}

TEST(Cli, SentimentJson) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "sentiment");
  TempDir dir;
  const common::Json j = run_json(dir, "sentiment --quick --epochs 1");
  const common::Json& m = j.at("experiments").at("sentiment");
  expect_keys(m, {"lstm_test_accuracy", "bow_test_accuracy", "train_examples", "test_examples",
                  "most_positive_words", "most_negative_words", "seconds"});
  EXPECT_EQ(m.at("train_examples").as_number(), 2400);
  EXPECT_EQ(m.at("test_examples").as_number(), 600);
  EXPECT_EQ(m.at("most_positive_words").size(), 10u);
  EXPECT_TRUE(common::file_exists(dir.file("sentiment_running.svg")));
}

TEST(Cli, BenchJson) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "shakespeare");
  TempDir dir;
  const common::Json j = run_json(dir, "bench --quick");
  const common::Json& b = j.at("experiments").at("bench").at("char_lstm_train");
  expect_keys(b, {"items_per_second", "unit", "config"});
  EXPECT_GT(b.at("items_per_second").as_number(), 0.0);
  EXPECT_EQ(b.at("unit").as_string(), "tokens");
  EXPECT_NE(b.at("config").as_string().find("hidden 256"), std::string::npos);
}

}  // namespace
