// Gradient checks (label: gradcheck) of the GAN half: every hand-written backward pass the
// DCGAN and the game use, against central differences in double precision.
//
// For a scalar loss L = sum_k R[k] out[k] with fixed random R, each input / weight entry u is
// nudged by +-h (h = 1e-6): numeric = (L(u + h) - L(u - h)) / 2h, compared with the analytic
// gradient by the relative error max_k |a_k - n_k| / max_k |a_k| (relative to the tensor's
// scale, as in phase 3, so entries that happen to be near zero do not blow it up), which must
// stay below 1e-6: the truncation error of central differences is O(h^2) and the round-off
// O(1e-16 / h), both far below it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "batchnorm.h"
#include "deconv.h"
#include "gan.h"
#include "gan_conv.h"
#include "rng.h"

namespace {

using Vec = std::vector<double>;
using phase4::gan::Deconv2dShape;

constexpr double kStep = 1e-6, kBound = 1e-6;

Vec random_vec(int64_t n, common::Rng& rng, double scale = 1.0) {
  Vec v(static_cast<size_t>(n));
  for (double& x : v) x = scale * rng.uniform(-1.0, 1.0);
  return v;
}

double dot(const Vec& a, const Vec& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Compares analytic[k] with the central difference of loss() in u[k]; prints one line
// (name | entries | max |exact| | max diff | relative error) and returns the max relative error.
double check(const std::string& name, Vec& u, const Vec& analytic,
             const std::function<double()>& loss) {
  double worst_diff = 0.0, largest = 0.0;
  for (size_t k = 0; k < u.size(); ++k) {
    const double saved = u[k];
    u[k] = saved + kStep;
    const double up = loss();
    u[k] = saved - kStep;
    const double down = loss();
    u[k] = saved;
    const double numeric = (up - down) / (2 * kStep);
    worst_diff = std::max(worst_diff, std::abs(analytic[k] - numeric));
    largest = std::max(largest, std::abs(analytic[k]));
  }
  const double rel = largest > 0 ? worst_diff / largest : worst_diff;
  std::printf(
      "  %-26s | %4zu entries | max |exact| %9.3e | max diff %9.2e | relative error %9.2e\n",
      name.c_str(), u.size(), largest, worst_diff, rel);
  return rel;
}

// The transposed convolution (plain or fast) with L = sum R * out.
void check_deconv(const Deconv2dShape& s, bool fast) {
  common::Rng rng(7);
  const int64_t in_n = s.C * s.H * s.W * s.N, out_n = s.OC * s.OH() * s.OW() * s.N;
  Vec in = random_vec(in_n, rng), w = random_vec(s.C * s.OC * s.K * s.K, rng),
      b = random_vec(s.OC, rng), R = random_vec(out_n, rng);
  Vec out(out_n), cols(s.cols_size()), d_cols(s.cols_size());
  auto loss = [&] {
    if (fast)
      phase4::gan::deconv2d_forward(out.data(), cols.data(), in.data(), w.data(), b.data(), s);
    else
      phase4::gan::deconv2d_plain_forward(out.data(), in.data(), w.data(), b.data(), s);
    return dot(out, R);
  };
  loss();
  Vec d_in(in_n, 0.0), d_w(w.size(), 0.0), d_b(b.size(), 0.0);
  if (fast)
    phase4::gan::deconv2d_backward(d_in.data(), d_w.data(), d_b.data(), d_cols.data(), R.data(),
                                   in.data(), w.data(), s);
  else
    phase4::gan::deconv2d_plain_backward(d_in.data(), d_w.data(), d_b.data(), R.data(), in.data(),
                                         w.data(), s);
  const std::string tag = fast ? "deconv (fast) " : "deconv (plain) ";
  EXPECT_LT(check(tag + "d_in", in, d_in, loss), kBound);
  EXPECT_LT(check(tag + "d_weight", w, d_w, loss), kBound);
  EXPECT_LT(check(tag + "d_bias", b, d_b, loss), kBound);
}

TEST(GanGradcheck, TransposedConvolutionFast) {
  // The DCGAN's layer shape in miniature: kernel 4, stride 2, padding 1 (3x3 -> 6x6).
  check_deconv({.N = 2, .H = 3, .W = 3, .C = 3, .OC = 2, .K = 4, .stride = 2, .pad = 1}, true);
  // Odd sizes: kernel 3, stride 2, no padding (2x3 -> 5x7).
  check_deconv({.N = 3, .H = 2, .W = 3, .C = 2, .OC = 3, .K = 3, .stride = 2, .pad = 0}, true);
}

TEST(GanGradcheck, TransposedConvolutionPlain) {
  check_deconv({.N = 2, .H = 3, .W = 3, .C = 3, .OC = 2, .K = 4, .stride = 2, .pad = 1}, false);
}

TEST(GanGradcheck, StridedConvolutionOfTheDiscriminator) {
  // gan_conv.h (copied from phase 3) at the discriminator's kernel 4, stride 2, padding 1.
  const phase4::gan::Conv2dShape s{
      .N = 2, .H = 6, .W = 6, .C = 2, .OC = 3, .KH = 4, .KW = 4, .stride = 2, .pad = 1};
  common::Rng rng(3);
  const int64_t out_n = s.OC * s.OH() * s.OW() * s.N;
  Vec in = random_vec(s.C * s.H * s.W * s.N, rng), w = random_vec(s.OC * s.patch(), rng),
      b = random_vec(s.OC, rng), R = random_vec(out_n, rng);
  Vec out(out_n), cols(s.patch() * s.ld()), d_cols(cols.size());
  auto loss = [&] {
    phase4::gan::conv2d_forward(out.data(), cols.data(), in.data(), w.data(), b.data(), s);
    return dot(out, R);
  };
  loss();
  Vec d_in(in.size(), 0.0), d_w(w.size(), 0.0), d_b(b.size(), 0.0);
  phase4::gan::conv2d_backward(d_in.data(), d_w.data(), d_b.data(), d_cols.data(), R.data(),
                               cols.data(), w.data(), s);
  EXPECT_LT(check("conv d_in", in, d_in, loss), kBound);
  EXPECT_LT(check("conv d_weight", w, d_w, loss), kBound);
  EXPECT_LT(check("conv d_bias", b, d_b, loss), kBound);
}

TEST(GanGradcheck, BatchNormTrainingMode) {
  // (C, M) = 3 channels of H W N = 2 x 2 x 3 values: batch statistics, as in training.
  const int64_t C = 3, M = 12;
  common::Rng rng(5);
  Vec x = random_vec(C * M, rng, 2.0), gamma = random_vec(C, rng), beta = random_vec(C, rng),
      R = random_vec(C * M, rng);
  for (double& g : gamma) g += 1.5;
  Vec y(C * M), xhat(C * M), mean(C), inv_std(C);
  auto loss = [&] {
    phase4::gan::batchnorm_forward(y.data(), xhat.data(), mean.data(), inv_std.data(), x.data(),
                                   gamma.data(), beta.data(), C, M);
    return dot(y, R);
  };
  loss();
  Vec d_x(C * M, 0.0), d_gamma(C, 0.0), d_beta(C, 0.0);
  phase4::gan::batchnorm_backward(d_x.data(), d_gamma.data(), d_beta.data(), R.data(), xhat.data(),
                                  inv_std.data(), gamma.data(), C, M);
  EXPECT_LT(check("batchnorm d_x", x, d_x, loss), kBound);
  EXPECT_LT(check("batchnorm d_gamma", gamma, d_gamma, loss), kBound);
  EXPECT_LT(check("batchnorm d_beta", beta, d_beta, loss), kBound);
}

TEST(GanGradcheck, DiscriminatorAndGeneratorLosses) {
  const int64_t N = 6;
  common::Rng rng(11);
  Vec real = random_vec(N, rng, 4.0), fake = random_vec(N, rng, 4.0);
  // L_D = BCE(real, 1) + BCE(fake, 0)
  auto d_loss = [&] {
    return phase4::gan::discriminator_loss_forward(real.data(), fake.data(), N);
  };
  Vec d_real(N, 0.0), d_fake(N, 0.0);
  phase4::gan::discriminator_loss_backward(d_real.data(), d_fake.data(), real.data(), fake.data(),
                                           N);
  EXPECT_LT(check("L_D d_real_logits", real, d_real, d_loss), kBound);
  EXPECT_LT(check("L_D d_fake_logits", fake, d_fake, d_loss), kBound);
  // Non-saturating L_G = BCE(fake, 1)
  auto g_loss = [&] { return phase4::gan::generator_loss_forward(fake.data(), N); };
  Vec g_fake(N, 0.0);
  phase4::gan::generator_loss_backward(g_fake.data(), fake.data(), N);
  EXPECT_LT(check("L_G (non-saturating)", fake, g_fake, g_loss), kBound);
  // The minimax form, mean log(1 - D(G(z)))
  auto m_loss = [&] { return phase4::gan::generator_loss_minimax_forward(fake.data(), N); };
  Vec m_fake(N, 0.0);
  phase4::gan::generator_loss_minimax_backward(m_fake.data(), fake.data(), N);
  EXPECT_LT(check("L_G (minimax)", fake, m_fake, m_loss), kBound);
}

TEST(GanGradcheck, LeakyReluAndTanh) {
  const int64_t n = 20;
  common::Rng rng(13);
  Vec x = random_vec(n, rng, 2.0), R = random_vec(n, rng), y(n);
  for (double& v : x)
    if (std::abs(v) < 1e-3) v = 0.5;  // away from the kink
  auto leaky = [&] {
    phase4::gan::leaky_relu_forward(y.data(), x.data(), n, 0.2);
    return dot(y, R);
  };
  leaky();
  Vec dx(n, 0.0);
  phase4::gan::leaky_relu_backward(dx.data(), R.data(), y.data(), n, 0.2);
  EXPECT_LT(check("leaky relu", x, dx, leaky), kBound);
  auto tanh_loss = [&] {
    phase4::gan::tanh_forward(y.data(), x.data(), n);
    return dot(y, R);
  };
  tanh_loss();
  Vec dt(n, 0.0);
  phase4::gan::tanh_backward(dt.data(), R.data(), y.data(), n);
  EXPECT_LT(check("tanh", x, dt, tanh_loss), kBound);
}

}  // namespace
