// phase4_lstm_gan/tests/test_full.cpp -- label full: the LSTM half of the default lesson, as
// a learner runs it, asserting every result the README promises at full size. Not part of
// CI (several minutes on 2 cores); `scripts/test.sh -L full` runs it. No wall-clock bound:
// speed is measured by benchmarks.
#include <gtest/gtest.h>

#include <string>

#include "files.h"
#include "json.h"
#include "test_support.h"

namespace {

TEST(Phase4Full, DefaultLstmLessonMeetsTheReadmeResults) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "shakespeare");
  AIJ_REQUIRE_DATA(common::default_data_dir(), "sentiment");
  common::testing::TempDir dir;
  const auto run = [&](const std::string& experiment) {
    const std::string json = dir.file(experiment + ".json");
    const auto r = common::testing::run_command(std::string(PHASE_EXE) + " " + experiment +
                                                " --out-dir " + dir.path() + " --json " + json +
                                                " > " + dir.file(experiment + ".txt"));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return common::testing::parse_json(common::read_file_text(json))
        .at("experiments")
        .at(experiment);
  };
  // long_lag, the adding problem (hidden 64, Adam 1e-3, clipping 1, batch 64, chrono init).
  const common::Json ll = run("long_lag");
  EXPECT_LT(ll.at("T20").at("lstm_test_mse").as_number(), 0.02);
  EXPECT_LT(ll.at("T50").at("lstm_test_mse").as_number(), 0.05);
  EXPECT_LT(ll.at("T100").at("lstm_test_mse").as_number(), 0.05);
  EXPECT_GT(ll.at("T50").at("rnn_test_mse").as_number(), 0.12);
  EXPECT_GT(ll.at("T100").at("rnn_test_mse").as_number(), 0.12);
  EXPECT_TRUE(ll.contains("T200"));  // reported, not asserted
  // sentiment, the fixed 2,400 / 600 split.
  const common::Json s = run("sentiment");
  EXPECT_GE(s.at("bow_test_accuracy").as_number(), 0.76);
  EXPECT_GE(s.at("lstm_test_accuracy").as_number(), 0.70);
  EXPECT_EQ(s.at("train_examples").as_number(), 2400);
  EXPECT_EQ(s.at("test_examples").as_number(), 600);
  // char_lstm, 1 x 256 on tiny Shakespeare.
  const common::Json c = run("char_lstm");
  EXPECT_LE(c.at("val_loss_at_2000").as_number(), 1.68);
  EXPECT_LE(c.at("val_loss").as_number(), 1.62);
  EXPECT_LT(c.at("val_loss").as_number(), c.at("rnn_val_loss_same_steps").as_number());
  EXPECT_GE(c.at("known_word_fraction").as_number(), 0.85);
}

}  // namespace
