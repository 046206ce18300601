// Training tests (label: train): the outcomes the README promises, at the reduced
// sizes of --quick, with the same seed as the program (skipped when the data is missing,
// failed under CI=true). The full-size numbers are in the README; these bounds are the
// ones printed there for --quick.
#include <gtest/gtest.h>

#include <set>

#include "char_rnn.h"
#include "classical.h"
#include "data.h"
#include "files.h"
#include "lenet.h"
#include "progress.h"
#include "rnn.h"
#include "test_support.h"
#include "thread_pool.h"
#include "vanishing.h"

namespace {

// ctest runs two test programs at a time on this project's 2-core machines: one thread
// each keeps them from fighting over the cores (the results do not depend on it).
const bool kOneThread = [] {
  common::set_num_threads(1);
  common::ProgressBar::set_enabled(false);
  return true;
}();

common::ImageDataset quick_images(const std::string& name) {
  return common::load_image_dataset(common::default_data_dir(), name, 10000, 2000);
}

double quick_lenet(const common::ImageDataset& ds) {
  phase3::LeNet model{phase3::LeNetConfig{}};
  phase3::LeNetTrainConfig train;  // the program's --quick: 2 epochs, batch 64, seed 1
  train.epochs = 2;
  train.verbose = false;
  phase3::train_lenet(model, ds, train);
  return phase3::lenet_accuracy(model.params, model.config, ds.test_x, ds.test_y);
}

// README: `lenet --quick` (10,000 training images, 2 epochs) >= 0.95 on 2,000 test images.
TEST(Train, LeNetQuickOnMnist) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  const double acc = quick_lenet(quick_images("mnist"));
  std::printf("LeNet-5 --quick on MNIST: test accuracy %.4f\n", acc);
  EXPECT_GE(acc, 0.95);
}

// README: `lenet --quick --dataset fashion-mnist` >= 0.80.
TEST(Train, LeNetQuickOnFashionMnist) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "fashion-mnist");
  const double acc = quick_lenet(quick_images("fashion-mnist"));
  std::printf("LeNet-5 --quick on Fashion-MNIST: test accuracy %.4f\n", acc);
  EXPECT_GE(acc, 0.80);
}

// README: the classical table's order holds in `classical --quick`:
// LeNet-5 > k-NN > linear classifier (and the MLP beats the linear classifier).
TEST(Train, ClassicalQuickOrder) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  const common::ImageDataset ds = quick_images("mnist");
  phase3::ClassicalTrainConfig train;
  train.epochs = 3;
  train.verbose = false;
  phase3::Mlp linear(phase3::MlpConfig{{784, 10}});
  const double linear_acc = phase3::train_mlp(linear, ds, train, "linear");
  phase3::Mlp mlp(phase3::MlpConfig{{784, 300, 10}});
  const double mlp_acc = phase3::train_mlp(mlp, ds, train, "mlp");
  const double knn_acc = phase3::accuracy(
      phase3::knn_predict(ds.train_x, ds.train_y, ds.test_x, 3, 10, false), ds.test_y);
  const double lenet_acc = quick_lenet(ds);
  std::printf("linear %.4f  k-NN %.4f  MLP %.4f  LeNet-5 %.4f\n", linear_acc, knn_acc, mlp_acc,
              lenet_acc);
  EXPECT_GT(lenet_acc, knn_acc);
  EXPECT_GT(knn_acc, linear_acc);
  EXPECT_GT(mlp_acc, linear_acc);
}

// README: `sequence --quick` beats the repeat-last-value baseline by a factor of 2.
TEST(Train, SequenceQuickBeatsTheBaseline) {
  phase3::SequenceConfig config;
  config.steps = 300;
  config.verbose = false;
  const phase3::SequenceResult r = phase3::run_sequence_task(config);
  std::printf("sequence --quick: test MSE %.4f, baseline %.4f\n", r.test_mse, r.baseline_mse);
  EXPECT_LT(r.test_mse, 0.5 * r.baseline_mse);
  EXPECT_GT(r.test_mse, 0.5 * r.noise_mse);  // no model beats the noise: a sanity check
}

// README: `char_rnn --quick` (300,000 characters, hidden 64, 300 steps) reaches a
// validation loss <= 2.4 nats/char, and in that model `vanishing --quick` finds a
// gradient that reaches back (norm at k = 1 > 0) and decays geometrically:
// 0.3 < decay_per_step < 0.95 (measured 0.52 at seed 1), 0 < ratio_k50_k1 < 0.05. With no
// gradient flowing back in time, decay and ratio would be 0 and these bounds fail.
TEST(Train, CharRnnQuickLearnsAndItsGradientVanishes) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "shakespeare");
  const phase3::CharCorpus corpus =
      phase3::load_char_corpus(common::default_data_dir(), "shakespeare", 300000);
  const phase3::RnnConfig config{corpus.vocab.size(), 64, 64, corpus.vocab.size()};
  phase3::CharRnn model(config);
  phase3::CharRnnTrainConfig train;
  train.steps = 300;
  train.eval_every = 100;
  train.verbose = false;
  const phase3::CharRnnTrainResult r = phase3::train_char_rnn(model, corpus, train);
  std::printf("char_rnn --quick: validation loss %.3f (at 100, 200, 300 steps: %.3f %.3f %.3f)\n",
              r.val_loss, r.val_history[0], r.val_history[1], r.val_history[2]);
  EXPECT_LE(r.val_loss, 2.4);
  EXPECT_LT(r.val_history[2], r.val_history[0]);
  const phase3::VanishingResult v =
      phase3::measure_vanishing(model.params, config, corpus.val, 100, 64, 50, 1);
  std::printf("vanishing --quick: decay per step %.3f, ratio k50/k1 %.2e\n", v.decay_per_step,
              v.ratio_k50_k1);
  EXPECT_GT(v.mean_norm[1], 0.0);
  EXPECT_GT(v.decay_per_step, 0.3);
  EXPECT_LT(v.decay_per_step, 0.95);
  EXPECT_GT(v.ratio_k50_k1, 0.0);
  EXPECT_LT(v.ratio_k50_k1, 0.05);
}

}  // namespace
