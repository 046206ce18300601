// Unit tests (label: unit): the layers and the network's bookkeeping -- BatchNorm's
// training and evaluation modes, the shortcuts' shapes, the fast convolution against the
// plain one, parameter and FLOP counts, the schedule, augmentation.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "batchnorm.h"
#include "conv.h"
#include "resnet.h"
#include "rng.h"

namespace {

std::vector<float> random_floats(size_t n, common::Rng& rng, float scale = 1.0f) {
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(rng.normal()) * scale;
  return v;
}

TEST(BatchNorm, TrainingOutputHasZeroMeanUnitVariancePerChannel) {
  const int64_t C = 3, M = 500;
  common::Rng rng(1);
  std::vector<float> x = random_floats(C * M, rng, 3.0f);
  for (float& v : x) v += 5.0f;
  std::vector<float> gamma(C, 1.0f), beta(C, 0.0f), y(C * M), xhat(C * M), mean(C), invstd(C),
      rm(C, 0.0f), rv(C, 1.0f);
  phase5::batchnorm_train_forward(y.data(), xhat.data(), mean.data(), invstd.data(), rm.data(),
                                  rv.data(), x.data(), gamma.data(), beta.data(), C, M);
  for (int64_t c = 0; c < C; ++c) {
    double s = 0, s2 = 0;
    for (int64_t m = 0; m < M; ++m) {
      s += y[c * M + m];
      s2 += y[c * M + m] * y[c * M + m];
    }
    EXPECT_NEAR(s / M, 0.0, 1e-5);
    EXPECT_NEAR(s2 / M, 1.0, 1e-3);
    // running averages moved 10% of the way to the batch's statistics
    EXPECT_NEAR(rm[c], 0.1 * mean[c], 1e-5);
    EXPECT_GT(rv[c], 1.0f);
  }
}

TEST(BatchNorm, EvaluationOutputDoesNotDependOnTheOtherImages) {
  // A resnet-8 in evaluation mode: image 0's logits alone, and in a batch with others.
  phase5::ResNet net(phase5::ResNetConfig{.depth = 8, .image_size = 12, .width = 4});
  common::Rng rng(2);
  phase5::resnet_init(net, rng);
  for (float& s : net.stats) s = s + 0.3f * static_cast<float>(rng.uniform());  // non-trivial
  const int64_t pixels = 12 * 12;
  std::vector<float> images = random_floats(5 * pixels, rng);
  phase5::ResNetState alone(net, 1), batch(net, 5);
  phase5::resnet_forward(alone, net, images.data(), nullptr, 1, phase5::Mode::kEval);
  phase5::resnet_forward(batch, net, images.data(), nullptr, 5, phase5::Mode::kEval);
  for (int64_t v = 0; v < 10; ++v) EXPECT_NEAR(alone.logits[v], batch.logits[v], 1e-5);
  // ... while in training mode the batch's statistics change image 0's logits.
  phase5::ResNetState two(net, 2);
  phase5::resnet_forward(two, net, images.data(), nullptr, 2, phase5::Mode::kTrain);
  phase5::resnet_forward(batch, net, images.data(), nullptr, 5, phase5::Mode::kTrain);
  double diff = 0.0;
  for (int64_t v = 0; v < 10; ++v) diff += std::fabs(two.logits[v] - batch.logits[v]);
  EXPECT_GT(diff, 1e-3);
}

TEST(Conv, FastAndPlainAgree) {
  for (int64_t stride : {1, 2}) {
    const phase5::Conv2dShape s{
        .N = 3, .H = 9, .W = 9, .C = 4, .OC = 5, .KH = 3, .KW = 3, .stride = stride, .pad = 1};
    common::Rng rng(3);
    std::vector<float> in = random_floats(static_cast<size_t>(s.C * s.H * s.W * s.N), rng);
    std::vector<float> w = random_floats(static_cast<size_t>(s.OC * s.patch()), rng);
    std::vector<float> d_out = random_floats(static_cast<size_t>(s.OC * s.positions()), rng);
    std::vector<float> out1(d_out.size()), out2(d_out.size());
    std::vector<float> cols(static_cast<size_t>(s.patch() * s.ld())), d_cols(cols.size());
    std::vector<float> d_in1(in.size()), d_in2(in.size()), d_w1(w.size()), d_w2(w.size());
    phase5::conv2d_plain_forward<float>(out1.data(), cols.data(), in.data(), w.data(), nullptr, s);
    phase5::conv2d_plain_backward<float>(d_in1.data(), d_w1.data(), nullptr, d_cols.data(),
                                         d_out.data(), cols.data(), w.data(), s);
    phase5::conv2d_forward<float>(out2.data(), cols.data(), in.data(), w.data(), nullptr, s);
    phase5::conv2d_backward<float>(d_in2.data(), d_w2.data(), nullptr, d_cols.data(), d_out.data(),
                                   cols.data(), w.data(), s);
    for (size_t i = 0; i < out1.size(); ++i) EXPECT_NEAR(out1[i], out2[i], 1e-4);
    for (size_t i = 0; i < d_in1.size(); ++i) EXPECT_NEAR(d_in1[i], d_in2[i], 1e-4);
    for (size_t i = 0; i < d_w1.size(); ++i) EXPECT_NEAR(d_w1[i], d_w2[i], 1e-3);
  }
}

TEST(Shortcut, OptionASubsamplesAndPadsWithZeros) {
  // x (2 channels, 4x4, N = 1) -> (4 channels, 2x2): channels 0-1 every other pixel, 2-3 zero.
  const phase5::ShortcutShape s{.N = 1, .C_in = 2, .H = 4, .W = 4, .C_out = 4, .stride = 2};
  std::vector<float> x(32), out(16, 0.0f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  phase5::shortcut_a_forward(out.data(), x.data(), s);
  const std::vector<float> expected = {0, 2, 8, 10, 16, 18, 24, 26, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(out, expected);
}

TEST(ResNet, DepthParametersAndFlops) {
  // ResNet-20 of the paper's CIFAR-10 table: 0.27M parameters on 3-channel images; here one
  // input channel (the stem has 16 * 9 weights instead of 16 * 27).
  for (int64_t depth : {20, 32, 44, 56, 110}) {
    const phase5::ResNet net(phase5::ResNetConfig{.depth = depth});
    EXPECT_EQ(static_cast<int64_t>(net.blocks.size()), 3 * (depth - 2) / 6);
    // two weighted layers per block, plus the stem and the classifier
    EXPECT_EQ(2 * static_cast<int64_t>(net.blocks.size()) + 2, depth);
  }
  const phase5::ResNet r20(phase5::ResNetConfig{.depth = 20});
  const phase5::ResNet r56(phase5::ResNetConfig{.depth = 56});
  EXPECT_NEAR(static_cast<double>(r20.parameter_count()), 0.27e6, 0.01e6);
  EXPECT_NEAR(static_cast<double>(r56.parameter_count()), 0.85e6, 0.01e6);
  EXPECT_EQ(r20.final_size(), 7);
  // The plain twin has exactly the same weights (option A adds none).
  const phase5::ResNet p20(phase5::ResNetConfig{.depth = 20, .residual = false});
  EXPECT_EQ(p20.parameter_count(), r20.parameter_count());
  EXPECT_EQ(phase5::flops_per_image(p20), phase5::flops_per_image(r20));
  // option B adds two 1x1 projections with BatchNorm
  const phase5::ResNet b20(phase5::ResNetConfig{.depth = 20, .shortcut = phase5::Shortcut::kB});
  EXPECT_EQ(b20.parameter_count(), r20.parameter_count() + 16 * 32 + 64 + 32 * 64 + 128);
  // ResNet-20's multiply-adds per 28x28 image: stem 16*9*784; stage 1, six convolutions of
  // 16*144*784; stages 2 and 3 each one strided conv1 (32*144*196, 64*288*49 = 903,168)
  // and five of 1,806,336; the classifier 640. 30,821,248 multiply-adds, 2 FLOPs each.
  EXPECT_EQ(phase5::flops_per_image(r20), 2 * 30821248);
}

TEST(ResNet, ZeroInitialisedResidualMakesEveryBlockTheIdentityAtFirst) {
  phase5::ResNet net(
      phase5::ResNetConfig{.depth = 8, .zero_init_residual = true, .image_size = 8, .width = 2});
  common::Rng rng(4);
  phase5::resnet_init(net, rng);
  for (const auto& v : net.views) {
    if (!v.name.ends_with("conv2.bn.gamma")) continue;
    for (int64_t i = 0; i < v.size(); ++i) EXPECT_EQ(net.params[v.offset + i], 0.0f);
  }
}

TEST(Schedule, WarmupThenCosineOrSteps) {
  phase5::TrainConfig t;
  t.sgd.lr = 0.1f;
  t.warmup_steps = 10;
  EXPECT_NEAR(phase5::learning_rate(t, 0, 100), 0.01f, 1e-7);
  EXPECT_NEAR(phase5::learning_rate(t, 10, 100), 0.1f, 1e-7);
  EXPECT_LT(phase5::learning_rate(t, 99, 100), 0.001f);
  t.schedule = phase5::Schedule::kStep;
  t.warmup_steps = 0;
  EXPECT_NEAR(phase5::learning_rate(t, 49, 100), 0.1f, 1e-7);
  EXPECT_NEAR(phase5::learning_rate(t, 50, 100), 0.01f, 1e-7);
  EXPECT_NEAR(phase5::learning_rate(t, 80, 100), 0.001f, 1e-7);
}

TEST(Augment, CropsWithinThePaddingAndFlips) {
  common::Rng rng(5);
  const int64_t H = 6, W = 6;
  std::vector<float> in(H * W), out(H * W);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i + 1);
  double total_in = 0;
  for (float v : in) total_in += v;
  for (int k = 0; k < 20; ++k) {
    phase5::augment_batch(out.data(), in.data(), 1, H, W, 2, rng);
    // every output pixel is 0 (padding) or one of the input's values
    for (float v : out) EXPECT_TRUE(v == 0.0f || (v >= 1.0f && v <= 36.0f));
    double total = 0;
    for (float v : out) total += v;
    EXPECT_LE(total, total_in);
  }
  // pad 0: the image itself or its mirror
  phase5::augment_batch(out.data(), in.data(), 1, H, W, 0, rng);
  EXPECT_TRUE(out[0] == in[0] || out[0] == in[W - 1]);
}

}  // namespace
