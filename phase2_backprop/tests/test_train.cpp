// Training tests (label train): the results the README promises, from the default seed.
// Each runs the experiment exactly as the lesson does (default sizes unless marked quick).
#include <gtest/gtest.h>

#include <cmath>

#include "files.h"
#include "lesson.h"
#include "test_support.h"

namespace phase2 {
namespace {

LessonOptions quiet() {
  LessonOptions options;  // seed 1, default sizes, no pictures
  options.progress = false;
  options.data_dir = common::default_data_dir();
  return options;
}

TEST(Phase2Xor, TwoTwoOneSolvesFromTheDefaultSeed) {
  const XorResult r = run_xor(quiet());
  EXPECT_EQ(r.accuracy, 1.0);
  EXPECT_GT(r.epochs, 0);
  EXPECT_LT(r.final_loss, 0.01);
}

TEST(Phase2XorSeeds, BiggerNetworksFindTheSolutionMoreOften) {
  const XorSeedsResult r = run_xor_seeds(quiet());  // 100 seeds
  ASSERT_EQ(r.seeds, 100);
  EXPECT_GT(r.rate_for(4), r.rate_for(2));
  EXPECT_GE(r.rate_for(4), 0.95);
  EXPECT_LT(r.rate_for(2), 0.95);  // local minima are real for the smallest network
}

TEST(Phase2Encoder, AllEightPatternsWithDistinctCodes) {
  const EncoderResult r = run_encoder(quiet());
  EXPECT_EQ(r.accuracy, 1.0);
  EXPECT_TRUE(r.codes_distinct);
  EXPECT_TRUE(r.binary);  // from the default seed; not from every seed (README)
}

TEST(Phase2Symmetry, AllSixtyFourPatternsAndTheMirrorPattern) {
  const SymmetryResult r = run_symmetry(quiet());
  EXPECT_EQ(r.accuracy, 1.0);
  EXPECT_EQ(r.seeds, 20);
  EXPECT_GE(r.success_rate, 0.9);
  // Mirror-image inputs get opposite weights: a palindrome's inputs cancel.
  for (const auto& w : r.hidden_weights)
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(w[i] + w[5 - i], 0.0, 0.05 * std::fabs(w[i]));
}

TEST(Phase2Plane, MoonsHeldOutAccuracy) {
  EXPECT_GE(run_moons(quiet()).test_accuracy, 0.98);
}

TEST(Phase2Plane, SpiralsHeldOutAccuracy) {
  EXPECT_GE(run_spirals(quiet()).test_accuracy, 0.98);
}

TEST(Phase2Digits, QuickSubset) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  LessonOptions options = quiet();
  options.quick = true;  // 2,000 train / 1,000 test images, 3 epochs
  const DigitsResult r = run_digits(options);
  EXPECT_EQ(r.train_examples, 2000);
  EXPECT_GE(r.test_accuracy, 0.85);
}

TEST(Phase2Digits, FullRunBeatsThePerceptron) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  const DigitsResult r = run_digits(quiet());  // every training image, 20 epochs
  EXPECT_EQ(r.test_examples, 10000);
  // 10,000 training images here (scripts/get_data.sh); 60,000 with the full set.
  EXPECT_GE(r.test_accuracy, r.train_examples >= 60000 ? 0.975 : 0.955);
  EXPECT_GT(r.test_accuracy, r.averaged_perceptron_test_accuracy);
}

}  // namespace
}  // namespace phase2
