// phase3_cnn_rnn/tests/test_full.cpp -- label full: the whole default lesson, as a learner runs
// it, asserting every result the README promises at full size. Not part of CI (a few minutes
// on 2 cores); `scripts/test.sh -L full` runs it. No wall-clock bound: speed is measured by
// `phase3_cnn_rnn bench`.
#include <gtest/gtest.h>

#include <string>

#include "files.h"
#include "json.h"
#include "test_support.h"

namespace {

TEST(Phase3Full, DefaultLessonMeetsTheReadmeResults) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  AIJ_REQUIRE_DATA(common::default_data_dir(), "fashion-mnist");
  AIJ_REQUIRE_DATA(common::default_data_dir(), "shakespeare");
  common::testing::TempDir dir;
  const std::string json = dir.file("lesson.json");
  const auto r = common::testing::run_command(std::string(PHASE_EXE) + " --out-dir " + dir.path() +
                                              " --json " + json + " > " + dir.file("lesson.txt"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const common::Json e =
      common::testing::parse_json(common::read_file_text(json)).at("experiments");
  EXPECT_GE(e.at("lenet").at("test_accuracy").as_number(), 0.98);
  EXPECT_NEAR(e.at("lenet").at("test_accuracy").as_number(), 0.9830, 0.002);  // README figure
  EXPECT_GE(e.at("lenet_fashion").at("test_accuracy").as_number(), 0.89);
  const common::Json& c = e.at("classical");
  EXPECT_GT(c.at("lenet_test_accuracy").as_number(), c.at("knn_test_accuracy").as_number());
  EXPECT_GT(c.at("knn_test_accuracy").as_number(), c.at("linear_test_accuracy").as_number());
  EXPECT_LT(e.at("sequence").at("test_mse").as_number(),
            e.at("sequence").at("baseline_mse").as_number());
  EXPECT_LE(e.at("char_rnn").at("val_loss").as_number(), 1.65);
  EXPECT_GE(e.at("char_rnn").at("known_word_fraction").as_number(), 0.8);
  EXPECT_GT(e.at("vanishing").at("mean_norm").at(size_t{1}).as_number(), 0.0);
  EXPECT_GT(e.at("vanishing").at("decay_per_step").as_number(), 0.3);
  EXPECT_LT(e.at("vanishing").at("decay_per_step").as_number(), 0.95);
  EXPECT_GT(e.at("vanishing").at("ratio_k50_k1").as_number(), 0.0);
  EXPECT_LT(e.at("vanishing").at("ratio_k50_k1").as_number(), 0.05);
  EXPECT_GT(c.at("lenet_test_accuracy").as_number(), c.at("mlp_test_accuracy").as_number());
}

}  // namespace
