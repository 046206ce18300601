// The real datasets, when scripts/get_data.sh has fetched them (label train: the labels
// that need data, so that `scripts/test.sh -L unit` runs without any dataset). Under CI
// (CI=true) the data must be there: AIJ_REQUIRE_DATA fails instead of skipping, since a
// skip would hide a broken data script.
#include <gtest/gtest.h>

#include "data.h"
#include "files.h"
#include "test_support.h"

// The real MNIST test set.
TEST(ImageDataset, RealMnistWhenPresent) {
  const std::string data_dir = common::default_data_dir();
  AIJ_REQUIRE_DATA(data_dir, "mnist");
  const common::ImageDataset d = common::load_image_dataset(data_dir, "mnist", 100, 0);
  EXPECT_EQ(d.rows, 28);
  EXPECT_EQ(d.cols, 28);
  EXPECT_EQ(d.train_x.dim(0), 100);
  // The canonical facts below hold for every variant AIJ_REQUIRE_DATA accepts (it refuses
  // get_data.sh's last resort, whose 2,000-image test set is cut from training images).
  ASSERT_EQ(d.test_x.dim(0), 10000);
  EXPECT_EQ(d.test_y.size(), 10000u);
  EXPECT_EQ(d.test_y[0], 7);  // the famous first test digit
  double sum = 0;
  for (float v : d.test_x) sum += v;
  EXPECT_NEAR(sum / static_cast<double>(d.test_x.size()), 0.1325, 5e-4);
}
