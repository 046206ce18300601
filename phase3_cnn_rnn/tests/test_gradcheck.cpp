// Gradient checks (label: gradcheck): every backward pass of the phase against central
// finite differences, in double precision.
//
// For a layer y = f(x, w), take the scalar L = sum_i r_i y_i with fixed random r, so that
// dL/dy = r is what backward receives. For every input and parameter entry theta:
//   numeric  = (L(theta + h) - L(theta - h)) / (2h),  h = 1e-6
//   analytic = what backward accumulated.
// The error reported is max_i |analytic_i - numeric_i| / max_i max(|analytic_i|, |numeric_i|):
// relative to the gradient's scale, so entries that happen to be near zero do not blow
// it up. Each test prints a table (name | max |exact| | max diff | relative error) and
// asserts relative error < 1e-6 (the truncation error of central differences is O(h^2)
// and the round-off O(1e-16 / h), both far below it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "char_rnn.h"
#include "conv.h"
#include "layers.h"
#include "pool.h"
#include "rng.h"
#include "rnn.h"
#include "vanishing.h"

namespace {

using Vec = std::vector<double>;
constexpr double kStep = 1e-6;
constexpr double kTolerance = 1e-6;

Vec random_vec(size_t n, common::Rng& rng, double scale = 1.0) {
  Vec v(n);
  for (double& x : v) x = rng.normal() * scale;
  return v;
}

double dot(const Vec& a, const Vec& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Compares `analytic` with central differences of loss() with respect to `param`.
double check(const std::string& name, Vec& param, const Vec& analytic,
             const std::function<double()>& loss) {
  double largest = 0.0, worst_diff = 0.0;
  for (size_t i = 0; i < param.size(); ++i) {
    const double saved = param[i];
    param[i] = saved + kStep;
    const double plus = loss();
    param[i] = saved - kStep;
    const double minus = loss();
    param[i] = saved;
    const double numeric = (plus - minus) / (2 * kStep);
    largest = std::max({largest, std::fabs(numeric), std::fabs(analytic[i])});
    worst_diff = std::max(worst_diff, std::fabs(numeric - analytic[i]));
  }
  const double rel = largest > 0 ? worst_diff / largest : 0.0;
  std::printf("  %-14s | max |exact| %10.3e | max diff %9.2e | relative error %9.2e\n",
              name.c_str(), largest, worst_diff, rel);
  EXPECT_GT(largest, 0.0) << name << ": an all-zero gradient checks nothing";
  return rel;
}

// ---------------------------------------------------------------------------
// Convolution

struct ConvCase {
  const char* label;
  phase3::Conv2dShape shape;
};

// How gtest prints a case in test names and failures.
void PrintTo(const ConvCase& c, std::ostream* os) {
  *os << c.label;
}

class ConvGradcheck : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvGradcheck, Im2colBackwardMatchesFiniteDifferences) {
  const phase3::Conv2dShape s = GetParam().shape;
  std::printf("conv2d (im2col) %s\n", GetParam().label);
  common::Rng rng(7);
  Vec in = random_vec(static_cast<size_t>(s.N * s.H * s.W * s.C), rng);
  Vec w = random_vec(static_cast<size_t>(s.OC * s.patch()), rng, 0.5);
  Vec b = random_vec(static_cast<size_t>(s.OC), rng);
  const Vec r = random_vec(static_cast<size_t>(s.positions() * s.OC), rng);
  Vec out(r.size()), cols(static_cast<size_t>(s.patch() * s.ld())), d_cols(cols.size());
  auto loss = [&] {
    phase3::conv2d_forward(out.data(), cols.data(), in.data(), w.data(), b.data(), s);
    return dot(out, r);
  };
  loss();
  Vec d_in(in.size()), d_w(w.size()), d_b(b.size());
  phase3::conv2d_backward(d_in.data(), d_w.data(), d_b.data(), d_cols.data(), r.data(), cols.data(),
                          w.data(), s);
  EXPECT_LT(check("d_in", in, d_in, loss), kTolerance);
  EXPECT_LT(check("d_weight", w, d_w, loss), kTolerance);
  EXPECT_LT(check("d_bias", b, d_b, loss), kTolerance);
}

TEST_P(ConvGradcheck, NaiveBackwardMatchesFiniteDifferences) {
  const phase3::Conv2dShape s = GetParam().shape;
  std::printf("conv2d (naive) %s\n", GetParam().label);
  common::Rng rng(8);
  Vec in = random_vec(static_cast<size_t>(s.N * s.H * s.W * s.C), rng);
  Vec w = random_vec(static_cast<size_t>(s.OC * s.patch()), rng, 0.5);
  Vec b = random_vec(static_cast<size_t>(s.OC), rng);
  const Vec r = random_vec(static_cast<size_t>(s.positions() * s.OC), rng);
  Vec out(r.size());
  auto loss = [&] {
    phase3::conv2d_naive_forward(out.data(), in.data(), w.data(), b.data(), s);
    return dot(out, r);
  };
  Vec d_in(in.size()), d_w(w.size()), d_b(b.size());
  phase3::conv2d_naive_backward(d_in.data(), d_w.data(), d_b.data(), r.data(), in.data(), w.data(),
                                s);
  EXPECT_LT(check("d_in", in, d_in, loss), kTolerance);
  EXPECT_LT(check("d_weight", w, d_w, loss), kTolerance);
  EXPECT_LT(check("d_bias", b, d_b, loss), kTolerance);
}

// N, H, W, C, OC, KH, KW, stride, pad
INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvGradcheck,
    ::testing::Values(ConvCase{"3x3, stride 1, no padding", {2, 6, 5, 2, 3, 3, 3, 1, 0}},
                      ConvCase{"3x3, stride 2, padding 1", {2, 7, 6, 3, 2, 3, 3, 2, 1}},
                      ConvCase{"5x5, padding 2, one channel (like C1)",
                               {2, 8, 8, 1, 3, 5, 5, 1, 2}},
                      ConvCase{"2x3 kernel, stride 2, padding 2", {1, 5, 7, 2, 2, 2, 3, 2, 2}},
                      ConvCase{"1x1 kernel", {2, 4, 4, 3, 4, 1, 1, 1, 0}}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

// ---------------------------------------------------------------------------
// Pooling

TEST(PoolGradcheck, AveragePooling) {
  std::printf("average pooling 2x2\n");
  const phase3::Pool2dShape s{2, 6, 4, 3, 2};
  common::Rng rng(9);
  Vec in = random_vec(static_cast<size_t>(s.N * s.H * s.W * s.C), rng);
  const Vec r = random_vec(static_cast<size_t>(s.N * s.OH() * s.OW() * s.C), rng);
  Vec out(r.size());
  auto loss = [&] {
    phase3::avgpool2d_forward(out.data(), in.data(), s);
    return dot(out, r);
  };
  Vec d_in(in.size());
  phase3::avgpool2d_backward(d_in.data(), r.data(), s);
  EXPECT_LT(check("d_in", in, d_in, loss), kTolerance);
}

TEST(PoolGradcheck, MaxPooling) {
  // Max pooling has a kink where two window entries tie. Distinct values at least 0.01
  // apart (a shuffled ramp) keep every +-h perturbation on one side of it.
  std::printf("max pooling 2x2 (window 3x3 too)\n");
  for (int64_t K : {2, 3}) {
    const phase3::Pool2dShape s{2, 6, 6, 2, K};
    common::Rng rng(10 + static_cast<uint64_t>(K));
    Vec in(static_cast<size_t>(s.N * s.H * s.W * s.C));
    for (size_t i = 0; i < in.size(); ++i) in[i] = 0.01 * static_cast<double>(i);
    rng.shuffle(in);
    const Vec r = random_vec(static_cast<size_t>(s.N * s.OH() * s.OW() * s.C), rng);
    Vec out(r.size());
    std::vector<int32_t> argmax(r.size());
    auto loss = [&] {
      phase3::maxpool2d_forward(out.data(), argmax.data(), in.data(), s);
      return dot(out, r);
    };
    loss();
    Vec d_in(in.size());
    phase3::maxpool2d_backward(d_in.data(), r.data(), argmax.data(), s);
    EXPECT_LT(check("d_in", in, d_in, loss), kTolerance);
  }
}

// ---------------------------------------------------------------------------
// Activations, fully connected, softmax cross-entropy

TEST(LayerGradcheck, TanhAndRelu) {
  std::printf("tanh, ReLU\n");
  common::Rng rng(11);
  Vec in = random_vec(50, rng);
  // ReLU's kink at 0: keep inputs at least 0.05 away from it.
  for (double& x : in) x += x > 0 ? 0.05 : -0.05;
  const Vec r = random_vec(50, rng);
  Vec out(50);
  auto tanh_loss = [&] {
    phase3::tanh_forward(out.data(), in.data(), 50);
    return dot(out, r);
  };
  tanh_loss();
  Vec d_in(50);
  phase3::tanh_backward(d_in.data(), r.data(), out.data(), 50);
  EXPECT_LT(check("tanh d_in", in, d_in, tanh_loss), kTolerance);
  auto relu_loss = [&] {
    phase3::relu_forward(out.data(), in.data(), 50);
    return dot(out, r);
  };
  relu_loss();
  std::fill(d_in.begin(), d_in.end(), 0.0);
  phase3::relu_backward(d_in.data(), r.data(), out.data(), 50);
  EXPECT_LT(check("relu d_in", in, d_in, relu_loss), kTolerance);
}

TEST(LayerGradcheck, LinearLayer) {
  std::printf("fully connected 7 -> 5, batch 3\n");
  const int64_t N = 3, D_in = 7, D_out = 5;
  common::Rng rng(12);
  Vec in = random_vec(N * D_in, rng), w = random_vec(D_out * D_in, rng), b = random_vec(D_out, rng);
  const Vec r = random_vec(N * D_out, rng);
  Vec out(r.size());
  auto loss = [&] {
    phase3::linear_forward(out.data(), in.data(), w.data(), b.data(), N, D_in, D_out);
    return dot(out, r);
  };
  Vec d_in(in.size()), d_w(w.size()), d_b(b.size());
  phase3::linear_backward(d_in.data(), d_w.data(), d_b.data(), r.data(), in.data(), w.data(), N,
                          D_in, D_out);
  EXPECT_LT(check("d_in", in, d_in, loss), kTolerance);
  EXPECT_LT(check("d_weight", w, d_w, loss), kTolerance);
  EXPECT_LT(check("d_bias", b, d_b, loss), kTolerance);
}

TEST(LayerGradcheck, SoftmaxCrossEntropy) {
  std::printf("softmax cross-entropy, 4 rows of 6\n");
  const int64_t N = 4, V = 6;
  common::Rng rng(13);
  Vec logits = random_vec(N * V, rng, 2.0), probs(logits.size());
  const std::vector<int> targets = {0, 5, 2, 2};
  auto loss = [&] {
    return phase3::softmax_cross_entropy_forward(probs.data(), logits.data(), targets.data(), N, V);
  };
  loss();
  Vec d_logits(logits.size());
  phase3::softmax_cross_entropy_backward(d_logits.data(), probs.data(), targets.data(), N, V);
  EXPECT_LT(check("d_logits", logits, d_logits, loss), kTolerance);
}

// ---------------------------------------------------------------------------
// The RNN over a full sequence: every parameter, and the initial state

TEST(RnnGradcheck, TokenModelOverAFullSequence) {
  // embedding -> Elman RNN over T steps -> linear -> softmax cross-entropy at every step.
  std::printf("RNN, tokens: V 5, D 3, H 4, T 7, B 2\n");
  const int64_t V = 5, D = 3, H = 4, T = 7, B = 2;
  common::Rng rng(14);
  Vec embed = random_vec(V * D, rng), w_xh = random_vec(H * D, rng, 0.6),
      w_hh = random_vec(H * H, rng, 0.6), b_h = random_vec(H, rng, 0.3),
      w_hy = random_vec(V * H, rng), b_y = random_vec(V, rng), h0 = random_vec(B * H, rng, 0.5);
  std::vector<int> inputs(T * B), targets(T * B);
  for (int64_t i = 0; i < T * B; ++i) {
    inputs[static_cast<size_t>(i)] = static_cast<int>(rng.randint(0, V));
    targets[static_cast<size_t>(i)] = static_cast<int>(rng.randint(0, V));
  }
  Vec x(T * B * D), h((T + 1) * B * H), y(T * B * V), probs(y.size());
  auto loss = [&] {
    phase3::embedding_forward(x.data(), inputs.data(), embed.data(), T * B, D);
    std::copy(h0.begin(), h0.end(), h.begin());
    phase3::rnn_forward(h.data(), x.data(), w_xh.data(), w_hh.data(), b_h.data(), T, B, D, H);
    phase3::linear_forward(y.data(), h.data() + B * H, w_hy.data(), b_y.data(), T * B, H, V);
    return phase3::softmax_cross_entropy_forward(probs.data(), y.data(), targets.data(), T * B, V);
  };
  loss();
  Vec d_y(y.size()), d_h(T * B * H), d_a(d_h.size()), d_x(x.size());
  Vec g_embed(embed.size()), g_xh(w_xh.size()), g_hh(w_hh.size()), g_bh(b_h.size()),
      g_hy(w_hy.size()), g_by(b_y.size()), g_h0(h0.size());
  phase3::softmax_cross_entropy_backward(d_y.data(), probs.data(), targets.data(), T * B, V);
  phase3::linear_backward(d_h.data(), g_hy.data(), g_by.data(), d_y.data(), h.data() + B * H,
                          w_hy.data(), T * B, H, V);
  phase3::rnn_backward(d_x.data(), g_xh.data(), g_hh.data(), g_bh.data(), g_h0.data(), d_a.data(),
                       d_h.data(), h.data(), x.data(), w_xh.data(), w_hh.data(), T, B, D, H);
  phase3::embedding_backward(g_embed.data(), d_x.data(), inputs.data(), T * B, D);
  EXPECT_LT(check("embed", embed, g_embed, loss), kTolerance);
  EXPECT_LT(check("w_xh", w_xh, g_xh, loss), kTolerance);
  EXPECT_LT(check("w_hh", w_hh, g_hh, loss), kTolerance);
  EXPECT_LT(check("b_h", b_h, g_bh, loss), kTolerance);
  EXPECT_LT(check("w_hy", w_hy, g_hy, loss), kTolerance);
  EXPECT_LT(check("b_y", b_y, g_by, loss), kTolerance);
  EXPECT_LT(check("h0", h0, g_h0, loss), kTolerance);
}

TEST(RnnGradcheck, ValueModelWithMeanSquaredError) {
  std::printf("RNN, values: D 1, H 5, T 9, B 3, MSE\n");
  const int64_t D = 1, H = 5, T = 9, B = 3;
  common::Rng rng(15);
  Vec x = random_vec(T * B * D, rng), w_xh = random_vec(H * D, rng, 0.6),
      w_hh = random_vec(H * H, rng, 0.5), b_h = random_vec(H, rng, 0.3), w_hy = random_vec(H, rng),
      b_y = random_vec(1, rng);
  const Vec target = random_vec(T * B, rng);
  Vec h((T + 1) * B * H), y(T * B);
  auto loss = [&] {
    std::fill(h.begin(), h.begin() + B * H, 0.0);
    phase3::rnn_forward(h.data(), x.data(), w_xh.data(), w_hh.data(), b_h.data(), T, B, D, H);
    phase3::linear_forward(y.data(), h.data() + B * H, w_hy.data(), b_y.data(), T * B, H, 1);
    return phase3::mse_forward(y.data(), target.data(), T * B);
  };
  loss();
  Vec d_y(y.size()), d_h(T * B * H), d_a(d_h.size()), d_x(x.size());
  Vec g_xh(w_xh.size()), g_hh(w_hh.size()), g_bh(b_h.size()), g_hy(w_hy.size()), g_by(1);
  phase3::mse_backward(d_y.data(), y.data(), target.data(), T * B);
  phase3::linear_backward(d_h.data(), g_hy.data(), g_by.data(), d_y.data(), h.data() + B * H,
                          w_hy.data(), T * B, H, 1);
  phase3::rnn_backward(d_x.data(), g_xh.data(), g_hh.data(), g_bh.data(),
                       static_cast<double*>(nullptr), d_a.data(), d_h.data(), h.data(), x.data(),
                       w_xh.data(), w_hh.data(), T, B, D, H);
  EXPECT_LT(check("x", x, d_x, loss), kTolerance);
  EXPECT_LT(check("w_xh", w_xh, g_xh, loss), kTolerance);
  EXPECT_LT(check("w_hh", w_hh, g_hh, loss), kTolerance);
  EXPECT_LT(check("b_h", b_h, g_bh, loss), kTolerance);
  EXPECT_LT(check("w_hy", w_hy, g_hy, loss), kTolerance);
  EXPECT_LT(check("b_y", b_y, g_by, loss), kTolerance);
}

}  // namespace
