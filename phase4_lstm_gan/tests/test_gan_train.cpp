// Training tests (label: train) of the GAN half: the --quick forms of the lesson (the first
// 2,000 training digits, seed 1; the evaluator 3 epochs, the MLP GAN and the cGAN 3 epochs, the
// DCGAN 1), with bounds that fail when learning breaks. Seconds each; skipped when the data is
// missing, failed under CI=true. The full-size figures are asserted by test_gan_full.cpp.
//
// At these sizes no generator draws recognizable digits yet (README.md, the GAN half's "Expected
// output"), so the tests assert what a few hundred steps do achieve: the generator leaves its
// gray noise for the digits' statistics -- the distance between the mean sample and the mean
// real digit falls well below the untrained generator's -- while the discriminator tells real
// from generated (D(x) > D(G(z))). A sign error in any backward pass, a generator step that
// ascends instead of descends, or a frozen generator fails them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "data.h"
#include "dcgan.h"
#include "evaluator.h"
#include "files.h"
#include "gan.h"
#include "progress.h"
#include "test_support.h"
#include "thread_pool.h"

namespace {

// ctest runs two test programs at a time on 2 cores: one thread each (the numbers do not
// depend on it: every reduction has a fixed order).
const bool kOneThread = [] {
  common::set_num_threads(1);
  common::ProgressBar::set_enabled(false);
  return true;
}();

const common::ImageDataset& quick_digits() {
  static const common::ImageDataset ds =
      common::load_image_dataset(common::default_data_dir(), "mnist", 2000, 2000);
  return ds;
}

struct QuickRun {
  double untrained = 0.0, trained = 0.0;  // mean-image distance to the real test digits
  std::vector<phase4::gan::GanEpochRecord> history;
};

// The lesson's --quick run of one generator: distance before and after training.
QuickRun quick_gan(phase4::gan::GanModel& model, int epochs) {
  const common::ImageDataset& ds = quick_digits();
  const std::vector<float> z = phase4::gan::fixed_noise(1000, model.z_dim(), 2000);
  const std::vector<int> y = phase4::gan::cycling_labels(1000);
  QuickRun run;
  common::Rng rng(1);
  model.init(rng);
  std::vector<float> s = phase4::gan::sample_images(model, z, y, 1000);
  run.untrained = phase4::gan::mean_image_distance(s.data(), 1000, ds.test_x.data(), 1000);
  run.history = phase4::gan::train_gan(model, ds.train_x, ds.train_y,
                                       {.epochs = epochs, .seed = 1, .verbose = false});
  s = phase4::gan::sample_images(model, z, y, 1000);
  run.trained = phase4::gan::mean_image_distance(s.data(), 1000, ds.test_x.data(), 1000);
  const auto& last = run.history.back();
  std::printf(
      "%s --quick: mean-image distance %.3f untrained -> %.3f after %d epochs; last epoch "
      "D(x) %.2f D(G(z)) %.2f, D loss %.3f, G loss %.3f\n",
      model.name().c_str(), run.untrained, run.trained, epochs, last.d_real, last.d_fake,
      last.d_loss, last.g_loss);
  return run;
}

void expect_learning(const QuickRun& run, double max_ratio) {
  EXPECT_LT(run.trained, max_ratio * run.untrained);
  const auto& last = run.history.back();
  EXPECT_GT(last.d_real, last.d_fake);  // the discriminator tells the two apart
  EXPECT_TRUE(std::isfinite(last.d_loss) && std::isfinite(last.g_loss));
}

// README: `gan --quick` trains the evaluator to >= 0.85 on 2,000 test digits (0.878).
TEST(GanTrain, EvaluatorQuick) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  phase4::gan::Evaluator evaluator;
  const double acc =
      phase4::gan::train_evaluator(evaluator, quick_digits(), {.epochs = 3, .verbose = false});
  std::printf("evaluator --quick: test accuracy %.4f\n", acc);
  EXPECT_GE(acc, 0.85);
}

// README: the samples move from gray noise (distance 0.38) towards the digits (MLP 0.214, DCGAN
// 0.327 after its one epoch, cGAN 0.201).
TEST(GanTrain, MlpGanQuickLeavesTheNoise) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  phase4::gan::MlpGan model(phase4::gan::MlpGanConfig{});
  expect_learning(quick_gan(model, 3), 0.6);
}

TEST(GanTrain, DcganQuickLeavesTheNoise) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  phase4::gan::Dcgan model;
  // One epoch (31 steps) only, to keep the test short: 0.380 -> 0.327 (3 epochs reach 0.165).
  expect_learning(quick_gan(model, 1), 0.9);
}

TEST(GanTrain, CganQuickLeavesTheNoise) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  phase4::gan::MlpGan model(phase4::gan::MlpGanConfig{.classes = 10});
  expect_learning(quick_gan(model, 3), 0.6);
}

// Same seed, same numbers, whatever the thread count (CONVENTIONS.md: deterministic).
TEST(GanTrain, TrainingIsDeterministicAcrossThreadCounts) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  const common::ImageDataset& ds = quick_digits();
  common::Tensor x({256, 784});
  std::copy(ds.train_x.data(), ds.train_x.data() + 256 * 784, x.data());
  const std::vector<int> y(ds.train_y.begin(), ds.train_y.begin() + 256);
  auto run = [&](int threads) {
    common::set_num_threads(threads);
    phase4::gan::Dcgan model;
    phase4::gan::train_gan(model, x, y, {.epochs = 1, .seed = 3, .verbose = false});
    const std::vector<float> z = phase4::gan::fixed_noise(10, 100, 5);
    return phase4::gan::sample_images(model, z, phase4::gan::cycling_labels(10), 10);
  };
  const std::vector<float> one = run(1), two = run(2);
  common::set_num_threads(1);
  EXPECT_EQ(one, two);
}

}  // namespace
