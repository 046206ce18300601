// phase1_perceptron/tests/test_train.cpp -- the digit results the README promises, on real
// MNIST (skipped when data/mnist is missing, failed under CI=true).
#include <gtest/gtest.h>

#include "data.h"
#include "digits.h"
#include "files.h"
#include "test_support.h"

namespace phase1 {
namespace {

DigitResult run(int64_t max_train, int64_t max_test, int epochs, int64_t& n_train,
                int64_t& n_test) {
  const common::ImageDataset ds =
      common::load_image_dataset(common::default_data_dir(), "mnist", max_train, max_test);
  n_train = ds.train_x.dim(0);
  n_test = ds.test_x.dim(0);
  DigitConfig config;
  config.epochs = epochs;
  config.progress = false;
  return train_digits(ds.train_x, ds.train_y, ds.test_x, ds.test_y, config);
}

// The default lesson: the first 10,000 training images, the 10,000 test images, 10
// epochs, seed 1. README: perceptron >= 0.83, averaged perceptron >= 0.90.
TEST(Phase1DigitsTrain, FullSplitMeetsTheReadmeBounds) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  int64_t n_train = 0, n_test = 0;
  const DigitResult r = run(10000, 0, 10, n_train, n_test);
  EXPECT_EQ(n_train, 10000);
  EXPECT_EQ(n_test, 10000);
  ASSERT_EQ(r.log.size(), 10u);
  EXPECT_GE(r.log.back().test_accuracy, 0.83);
  EXPECT_GE(r.log.back().averaged_test_accuracy, 0.90);
  // The averaged perceptron beats the last weights, and it is steady: from epoch 3 on it
  // never moves by more than 0.01.
  EXPECT_GT(r.log.back().averaged_test_accuracy, r.log.back().test_accuracy);
  for (size_t e = 3; e < r.log.size(); ++e) {
    EXPECT_NEAR(r.log[e].averaged_test_accuracy, r.log[e - 1].averaged_test_accuracy, 0.01);
  }
  // Fewer training mistakes in the last epoch than in the first.
  EXPECT_LT(r.log.back().mistakes, r.log.front().mistakes);
}

// --quick: 2,000 training and 2,000 test images, 5 epochs. README: >= 0.70 and >= 0.80.
TEST(Phase1DigitsTrain, QuickRunMeetsItsLowerBounds) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  int64_t n_train = 0, n_test = 0;
  const DigitResult r = run(2000, 2000, 5, n_train, n_test);
  EXPECT_EQ(n_train, 2000);
  EXPECT_EQ(n_test, 2000);
  EXPECT_GE(r.log.back().test_accuracy, 0.70);
  EXPECT_GE(r.log.back().averaged_test_accuracy, 0.80);
}

}  // namespace
}  // namespace phase1
