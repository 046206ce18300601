// Unit tests (label: unit) of the GAN half: the fast transposed convolution against the plain
// loops, the transpose identity, BatchNorm's statistics, the losses' values, the scores.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "batchnorm.h"
#include "deconv.h"
#include "evaluator.h"
#include "gan.h"
#include "rng.h"

namespace {

using phase4::gan::Deconv2dShape;

std::vector<float> random_floats(int64_t n, common::Rng& rng) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = static_cast<float>(rng.uniform(-1.0, 1.0));
  return v;
}

TEST(GanUnit, TransposedConvolutionSizes) {
  // The DCGAN generator's two layers: 7 -> 14 -> 28 with kernel 4, stride 2, padding 1.
  const Deconv2dShape a{.N = 1, .H = 7, .W = 7, .C = 128, .OC = 64, .K = 4, .stride = 2, .pad = 1};
  EXPECT_EQ(a.OH(), 14);
  EXPECT_EQ(a.OW(), 14);
  const Deconv2dShape b{.N = 1, .H = 14, .W = 14, .C = 64, .OC = 1, .K = 4, .stride = 2, .pad = 1};
  EXPECT_EQ(b.OH(), 28);
  // and its convolution goes back: 28 -> 14.
  EXPECT_EQ(b.as_conv().OH(), 14);
}

TEST(GanUnit, PlainAndFastTransposedConvolutionAgree) {
  const Deconv2dShape s{.N = 5, .H = 7, .W = 7, .C = 8, .OC = 4, .K = 4, .stride = 2, .pad = 1};
  common::Rng rng(1);
  const int64_t in_n = s.C * s.H * s.W * s.N, out_n = s.OC * s.OH() * s.OW() * s.N;
  const std::vector<float> in = random_floats(in_n, rng), w = random_floats(s.C * s.OC * 16, rng),
                           b = random_floats(s.OC, rng), d_out = random_floats(out_n, rng);
  std::vector<float> out_plain(out_n), out_fast(out_n), cols(s.cols_size()), d_cols(s.cols_size());
  phase4::gan::deconv2d_plain_forward(out_plain.data(), in.data(), w.data(), b.data(), s);
  phase4::gan::deconv2d_forward(out_fast.data(), cols.data(), in.data(), w.data(), b.data(), s);
  for (int64_t k = 0; k < out_n; ++k) ASSERT_NEAR(out_plain[k], out_fast[k], 1e-5) << k;
  std::vector<float> di_p(in_n), dw_p(w.size()), db_p(b.size()), di_f(in_n), dw_f(w.size()),
      db_f(b.size());
  phase4::gan::deconv2d_plain_backward(di_p.data(), dw_p.data(), db_p.data(), d_out.data(),
                                       in.data(), w.data(), s);
  phase4::gan::deconv2d_backward(di_f.data(), dw_f.data(), db_f.data(), d_cols.data(), d_out.data(),
                                 in.data(), w.data(), s);
  for (int64_t k = 0; k < in_n; ++k) ASSERT_NEAR(di_p[k], di_f[k], 1e-4) << k;
  for (size_t k = 0; k < w.size(); ++k) ASSERT_NEAR(dw_p[k], dw_f[k], 1e-4) << k;
  for (size_t k = 0; k < b.size(); ++k) ASSERT_NEAR(db_p[k], db_f[k], 1e-4) << k;
}

TEST(GanUnit, TransposedConvolutionIsTheTransposeOfTheConvolution) {
  // <conv(x), y> = <x, deconv(y)> for the same weights and no bias: deconv = A^T when conv = A.
  const Deconv2dShape s{.N = 2, .H = 4, .W = 4, .C = 3, .OC = 2, .K = 4, .stride = 2, .pad = 1};
  const phase4::gan::Conv2dShape c = s.as_conv();  // (2, 8, 8, N) -> (3, 4, 4, N)
  common::Rng rng(2);
  const std::vector<float> x = random_floats(c.C * c.H * c.W * c.N, rng),  // conv input
      y = random_floats(s.C * s.H * s.W * s.N, rng),                       // deconv input
      w = random_floats(s.C * s.OC * 16, rng);
  // The conv's filters (OC_conv = 3, C_conv = 2, 4, 4) are the deconv's (3, 2, 4, 4): same memory.
  const std::vector<float> zero3(3, 0.0f), zero2(2, 0.0f);
  std::vector<float> conv_out(y.size()), cols(c.patch() * c.ld()), deconv_out(x.size()),
      cols2(s.cols_size());
  phase4::gan::conv2d_forward(conv_out.data(), cols.data(), x.data(), w.data(), zero3.data(), c);
  phase4::gan::deconv2d_forward(deconv_out.data(), cols2.data(), y.data(), w.data(), zero2.data(),
                                s);
  double lhs = 0.0, rhs = 0.0;
  for (size_t k = 0; k < y.size(); ++k) lhs += static_cast<double>(conv_out[k]) * y[k];
  for (size_t k = 0; k < x.size(); ++k) rhs += static_cast<double>(x[k]) * deconv_out[k];
  EXPECT_NEAR(lhs, rhs, 1e-4 * std::abs(lhs) + 1e-4);
}

TEST(GanUnit, BatchNormNormalisesEachChannel) {
  const int64_t C = 2, M = 100;
  common::Rng rng(3);
  std::vector<float> x(C * M);
  for (int64_t k = 0; k < M; ++k) {
    x[k] = static_cast<float>(5.0 + 3.0 * rng.normal());
    x[M + k] = static_cast<float>(-2.0 + 0.5 * rng.normal());
  }
  const std::vector<float> gamma{1.0f, 2.0f}, beta{0.0f, 1.0f};
  std::vector<float> y(C * M), xhat(C * M), mean(C), inv_std(C), rm{0.0f, 0.0f}, rv{1.0f, 1.0f};
  phase4::gan::batchnorm_forward(y.data(), xhat.data(), mean.data(), inv_std.data(), x.data(),
                                 gamma.data(), beta.data(), C, M, rm.data(), rv.data());
  for (int64_t c = 0; c < C; ++c) {
    double m = 0.0, v = 0.0;
    for (int64_t k = 0; k < M; ++k) m += y[c * M + k];
    m /= M;
    for (int64_t k = 0; k < M; ++k) v += (y[c * M + k] - m) * (y[c * M + k] - m);
    v /= M;
    EXPECT_NEAR(m, beta[c], 1e-5);
    EXPECT_NEAR(std::sqrt(v), gamma[c], 1e-3);
  }
  EXPECT_NEAR(rm[0], 0.1 * mean[0], 1e-6);  // running averages, momentum 0.1
}

TEST(GanUnit, LossesAreStableForLargeLogits) {
  const std::vector<float> big{80.0f, -80.0f};
  // BCE(80, 1) ~ 0, BCE(-80, 1) ~ 80: no overflow, no NaN.
  EXPECT_NEAR(phase4::gan::bce_with_logits_forward(big.data(), 1.0f, 1), 0.0f, 1e-6);
  EXPECT_NEAR(phase4::gan::bce_with_logits_forward(big.data() + 1, 1.0f, 1), 80.0f, 1e-4);
  // At D = 1/2 everywhere (logit 0), L_D = 2 ln 2 and L_G = ln 2: the game's equilibrium.
  const std::vector<float> zero{0.0f, 0.0f};
  EXPECT_NEAR(phase4::gan::discriminator_loss_forward(zero.data(), zero.data(), 2),
              2.0 * std::log(2.0), 1e-6);
  EXPECT_NEAR(phase4::gan::generator_loss_forward(zero.data(), 2), std::log(2.0), 1e-6);
}

TEST(GanUnit, SaturatingLossHasNoGradientWhenTheDiscriminatorWins) {
  // D(G(z)) = sigmoid(-8) = 3e-4: minimax gradient ~ -3e-4, non-saturating ~ -1.
  const std::vector<float> fake{-8.0f};
  std::vector<float> d_minimax{0.0f}, d_ns{0.0f};
  phase4::gan::generator_loss_minimax_backward(d_minimax.data(), fake.data(), 1);
  phase4::gan::generator_loss_backward(d_ns.data(), fake.data(), 1);
  EXPECT_LT(std::abs(d_minimax[0]), 1e-3);
  EXPECT_NEAR(d_ns[0], -1.0, 1e-3);
}

TEST(GanUnit, MlpGanShapesAndDeterminism) {
  phase4::gan::MlpGan a(phase4::gan::MlpGanConfig{.classes = 10}),
      b(phase4::gan::MlpGanConfig{.classes = 10});
  common::Rng ra(4), rb(4);
  a.init(ra);
  b.init(rb);
  EXPECT_EQ(a.g.sizes, (std::vector<int64_t>{74, 256, 512, 784}));
  EXPECT_EQ(a.d.sizes, (std::vector<int64_t>{794, 512, 256, 1}));
  const std::vector<float> z = phase4::gan::fixed_noise(3, 64, 9);
  const std::vector<int> y = phase4::gan::cycling_labels(3);
  const std::vector<float> s1 = phase4::gan::sample_images(a, z, y, 3);
  const std::vector<float> s2 = phase4::gan::sample_images(b, z, y, 3);
  EXPECT_EQ(s1, s2);
  for (float v : s1) {
    EXPECT_GE(v, 0.0f);
    EXPECT_LE(v, 1.0f);
  }
}

}  // namespace
