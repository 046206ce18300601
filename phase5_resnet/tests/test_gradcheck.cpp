// Gradient checks (label: gradcheck): every new backward pass of the phase against central
// finite differences, in double precision.
//
// For a layer y = f(x, w), take the scalar L = sum_i r_i y_i with fixed random r, so that
// dL/dy = r is what backward receives. For every input and parameter entry theta:
//   numeric  = (L(theta + h) - L(theta - h)) / (2h),  h = 1e-6
//   analytic = what backward accumulated.
// The error reported is max_i |analytic_i - numeric_i| / max_i max(|analytic_i|, |numeric_i|):
// relative to the gradient's scale. Each test prints a table and asserts relative
// error < 1e-6 (central differences: truncation O(h^2), round-off O(1e-16 / h)).
// ReLU has a kink at 0: with random inputs no +-h step of 1e-6 crosses it (a crossing
// would show as an error near 1, not as a small excess).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "batchnorm.h"
#include "conv.h"
#include "resnet.h"
#include "rng.h"

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

// Compares `analytic` with central differences of loss() with respect to entries
// [begin, end) of `param`.
double check(const std::string& name, Vec& param, const Vec& analytic,
             const std::function<double()>& loss, size_t begin = 0, size_t end = SIZE_MAX) {
  end = std::min(end, param.size());
  double largest = 0.0, worst_diff = 0.0;
  for (size_t i = begin; i < end; ++i) {
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
  std::printf("  %-26s | max |exact| %10.3e | max diff %9.2e | relative error %9.2e\n",
              name.c_str(), largest, worst_diff, rel);
  EXPECT_GT(largest, 0.0) << name << ": an all-zero gradient checks nothing";
  return rel;
}

// ---------------------------------------------------------------------------
// BatchNorm, training mode

TEST(BatchNormGradcheck, TrainingMode) {
  std::printf("BatchNorm (training mode), C = 3 channels of M = 10 values\n");
  const int64_t C = 3, M = 10;
  common::Rng rng(1);
  Vec x = random_vec(C * M, rng, 2.0), gamma = random_vec(C, rng), beta = random_vec(C, rng);
  for (int64_t i = 0; i < C * M; ++i) x[i] += static_cast<double>(i % M) * 0.3;  // not centred
  const Vec r = random_vec(C * M, rng);
  Vec y(C * M), xhat(C * M), mean(C), invstd(C), rm(C), rv(C, 1.0);
  auto loss = [&] {
    phase5::batchnorm_train_forward(y.data(), xhat.data(), mean.data(), invstd.data(), rm.data(),
                                    rv.data(), x.data(), gamma.data(), beta.data(), C, M);
    return dot(y, r);
  };
  loss();
  Vec d_x(C * M), d_gamma(C), d_beta(C);
  phase5::batchnorm_backward(d_x.data(), d_gamma.data(), d_beta.data(), r.data(), xhat.data(),
                             invstd.data(), gamma.data(), C, M);
  EXPECT_LT(check("d_x", x, d_x, loss), kTolerance);
  EXPECT_LT(check("d_gamma", gamma, d_gamma, loss), kTolerance);
  EXPECT_LT(check("d_beta", beta, d_beta, loss), kTolerance);
}

// ---------------------------------------------------------------------------
// Global average pooling

TEST(PoolGradcheck, GlobalAveragePooling) {
  std::printf("global average pooling, (C=4, HW=6, N=3) -> (N, C)\n");
  const int64_t N = 3, C = 4, HW = 6;
  common::Rng rng(2);
  Vec in = random_vec(C * HW * N, rng);
  const Vec r = random_vec(N * C, rng);
  Vec out(N * C);
  auto loss = [&] {
    phase5::global_avgpool_forward(out.data(), in.data(), N, C, HW);
    return dot(out, r);
  };
  Vec d_in(in.size());
  phase5::global_avgpool_backward(d_in.data(), r.data(), N, C, HW);
  EXPECT_LT(check("d_in", in, d_in, loss), kTolerance);
}

// ---------------------------------------------------------------------------
// The convolution without a bias (the one change to phase 3's conv.h)

TEST(ConvGradcheck, NoBias) {
  std::printf("conv2d 3x3, stride 2, padding 1, no bias\n");
  const phase5::Conv2dShape s{
      .N = 2, .H = 6, .W = 6, .C = 2, .OC = 3, .KH = 3, .KW = 3, .stride = 2, .pad = 1};
  common::Rng rng(3);
  Vec in = random_vec(static_cast<size_t>(s.N * s.H * s.W * s.C), rng);
  Vec w = random_vec(static_cast<size_t>(s.OC * s.patch()), rng, 0.5);
  const Vec r = random_vec(static_cast<size_t>(s.positions() * s.OC), rng);
  Vec out(r.size()), cols(static_cast<size_t>(s.patch() * s.ld())), d_cols(cols.size());
  auto loss = [&] {
    phase5::conv2d_forward<double>(out.data(), cols.data(), in.data(), w.data(), nullptr, s);
    return dot(out, r);
  };
  loss();
  Vec d_in(in.size()), d_w(w.size());
  phase5::conv2d_backward<double>(d_in.data(), d_w.data(), nullptr, d_cols.data(), r.data(),
                                  cols.data(), w.data(), s);
  EXPECT_LT(check("d_in", in, d_in, loss), kTolerance);
  EXPECT_LT(check("d_weight", w, d_w, loss), kTolerance);
}

// ---------------------------------------------------------------------------
// A basic block: identity, option A and option B shortcuts, the plain twin

struct BlockCase {
  const char* label;
  bool residual;
  phase5::Shortcut shortcut;
  int block;  // 0: same shape (identity shortcut), 1: stride 2 and channels doubled
  bool batchnorm = true;
};
void PrintTo(const BlockCase& c, std::ostream* os) {
  *os << c.label;
}

class BlockGradcheck : public ::testing::TestWithParam<BlockCase> {};

TEST_P(BlockGradcheck, BackwardMatchesFiniteDifferences) {
  const BlockCase& bc = GetParam();
  std::printf("basic block: %s\n", bc.label);
  // A resnet-8 on 6x6 images, 2 channels wide: block 0 is 2 -> 2 channels at 6x6, block 1
  // 2 -> 4 channels, 6x6 -> 3x3. Its layout gives the block's offsets; the weights are
  // doubles of our own.
  const phase5::ResNet net(phase5::ResNetConfig{.depth = 8,
                                                .residual = bc.residual,
                                                .shortcut = bc.shortcut,
                                                .batchnorm = bc.batchnorm,
                                                .image_size = 6,
                                                .width = 2});
  const phase5::Block& b = net.blocks[static_cast<size_t>(bc.block)];
  const int64_t N = 2;
  common::Rng rng(4);
  Vec params = random_vec(net.params.size(), rng, 0.5), stats(net.stats.size(), 1.0);
  const int64_t n_in = b.conv1.shape.C * b.conv1.shape.H * b.conv1.shape.W * N;
  const int64_t n_out = b.conv2.shape.OC * b.conv2.channel_values(N);
  Vec x = random_vec(static_cast<size_t>(n_in), rng);
  const Vec r = random_vec(static_cast<size_t>(n_out), rng);
  phase5::BlockCache<double> cache;
  phase5::BlockWorkspace<double> ws;
  phase5::size_block_cache(cache, b, N);
  phase5::size_block_workspace(ws, 256 * N, 4096 * N);
  auto loss = [&] {
    phase5::block_forward(cache, ws, x.data(), b, params.data(), stats.data(), N,
                          phase5::Mode::kTrain);
    return dot(cache.out, r);
  };
  loss();
  Vec d_x(x.size()), grads(params.size());
  phase5::block_backward(d_x.data(), grads.data(), ws, r.data(), cache, x.data(), b, params.data(),
                         N);
  EXPECT_LT(check("d_x", x, d_x, loss), kTolerance);
  // Every parameter of the block, by name.
  for (const phase5::ParamView& v : net.views) {
    const std::string prefix = bc.block == 0 ? "stage1.block0." : "stage2.block0.";
    if (v.name.rfind(prefix, 0) != 0) continue;
    const auto begin = static_cast<size_t>(v.offset);
    EXPECT_LT(check("d " + v.name.substr(prefix.size()), params, grads, loss, begin,
                    begin + static_cast<size_t>(v.size())),
              kTolerance);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shortcuts, BlockGradcheck,
    ::testing::Values(BlockCase{"identity shortcut", true, phase5::Shortcut::kA, 0},
                      BlockCase{"option A (subsample, zero channels)", true, phase5::Shortcut::kA,
                                1},
                      BlockCase{"option B (1x1 projection + BN)", true, phase5::Shortcut::kB, 1},
                      BlockCase{"plain (no shortcut), stride 2", false, phase5::Shortcut::kA, 1},
                      BlockCase{"plain without BatchNorm", false, phase5::Shortcut::kA, 1, false}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

}  // namespace
