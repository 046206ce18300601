// Unit tests of the layers (label unit): values on hand-checked inputs, numerical
// stability, and the accumulate/overwrite conventions (the products: common/tests/test_matmul.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "mlp.h"
#include "rng.h"

namespace phase2 {
namespace {

TEST(Phase2Linear, ForwardOnAHandExample) {
  // x (2, 3), W (2, 3), b (2): y = x W^T + b
  const std::vector<float> x = {1, 2, 3, 4, 5, 6}, W = {1, 0, -1, 0.5f, 0.5f, 0.5f}, b = {10, 20};
  std::vector<float> y(4);
  linear_forward(y.data(), x.data(), W.data(), b.data(), 2, 3, 2);
  EXPECT_FLOAT_EQ(y[0], 1 - 3 + 10.0f);
  EXPECT_FLOAT_EQ(y[1], 3 + 20.0f);
  EXPECT_FLOAT_EQ(y[2], 4 - 6 + 10.0f);
  EXPECT_FLOAT_EQ(y[3], 7.5f + 20.0f);
}

// The float path (common::gemm above the small-product threshold) agrees with the double
// path (plain loops) on a layer of real size.
TEST(Phase2Linear, FloatGemmPathMatchesDoubleLoops) {
  common::Rng rng(3);
  const int64_t N = 64, I = 100, O = 70;
  std::vector<float> xf(N * I), Wf(O * I), bf(O), dyf(N * O);
  for (auto* v : {&xf, &Wf, &bf, &dyf})
    for (float& e : *v) e = static_cast<float>(rng.normal());
  std::vector<double> xd(xf.begin(), xf.end()), Wd(Wf.begin(), Wf.end()), bd(bf.begin(), bf.end()),
      dyd(dyf.begin(), dyf.end());
  std::vector<float> yf(N * O), dxf(N * I), dWf(O * I, 0.0f), dbf(O, 0.0f);
  std::vector<double> yd(N * O), dxd(N * I), dWd(O * I, 0.0), dbd(O, 0.0);
  linear_forward(yf.data(), xf.data(), Wf.data(), bf.data(), N, I, O);
  linear_forward(yd.data(), xd.data(), Wd.data(), bd.data(), N, I, O);
  linear_backward(dxf.data(), dWf.data(), dbf.data(), dyf.data(), xf.data(), Wf.data(), N, I, O);
  linear_backward(dxd.data(), dWd.data(), dbd.data(), dyd.data(), xd.data(), Wd.data(), N, I, O);
  for (size_t i = 0; i < yf.size(); ++i) EXPECT_NEAR(yf[i], yd[i], 1e-4);
  for (size_t i = 0; i < dxf.size(); ++i) EXPECT_NEAR(dxf[i], dxd[i], 1e-4);
  for (size_t i = 0; i < dWf.size(); ++i) EXPECT_NEAR(dWf[i], dWd[i], 1e-4);
  for (size_t i = 0; i < dbf.size(); ++i) EXPECT_NEAR(dbf[i], dbd[i], 1e-4);
}

TEST(Phase2Linear, BackwardAccumulatesParametersAndOverwritesInput) {
  const std::vector<float> x = {1, 2}, W = {3, 4}, dy = {1};
  std::vector<float> dx = {99, 99}, dW = {0, 0}, db = {0};
  for (int k = 0; k < 2; ++k)
    linear_backward(dx.data(), dW.data(), db.data(), dy.data(), x.data(), W.data(), 1, 2, 1);
  EXPECT_FLOAT_EQ(dW[0], 2.0f);  // x accumulated twice
  EXPECT_FLOAT_EQ(dW[1], 4.0f);
  EXPECT_FLOAT_EQ(db[0], 2.0f);
  EXPECT_FLOAT_EQ(dx[0], 3.0f);  // overwritten, not 99 + ...
  EXPECT_FLOAT_EQ(dx[1], 4.0f);
  // nullptr: the input gradient is skipped.
  linear_backward<float>(nullptr, dW.data(), db.data(), dy.data(), x.data(), W.data(), 1, 2, 1);
  EXPECT_FLOAT_EQ(db[0], 3.0f);
}

TEST(Phase2Activations, ValuesAndDerivatives) {
  const std::vector<float> x = {-2.0f, 0.0f, 3.0f};
  std::vector<float> y(3), d(3);
  const std::vector<float> g = {1.0f, 1.0f, 1.0f};
  sigmoid_forward(y.data(), x.data(), 3);
  EXPECT_FLOAT_EQ(y[1], 0.5f);
  EXPECT_NEAR(y[2], 1.0 / (1.0 + std::exp(-3.0)), 1e-7);
  sigmoid_backward(d.data(), g.data(), y.data(), 3);
  EXPECT_FLOAT_EQ(d[1], 0.25f);
  tanh_forward(y.data(), x.data(), 3);
  EXPECT_NEAR(y[0], std::tanh(-2.0), 1e-7);
  tanh_backward(d.data(), g.data(), y.data(), 3);
  EXPECT_FLOAT_EQ(d[1], 1.0f);
  relu_forward(y.data(), x.data(), 3);
  EXPECT_EQ(y, (std::vector<float>{0.0f, 0.0f, 3.0f}));
  relu_backward(d.data(), g.data(), y.data(), 3);
  EXPECT_EQ(d, (std::vector<float>{0.0f, 0.0f, 1.0f}));  // 0 at the kink, like PyTorch
}

TEST(Phase2Activations, NaNPassesThrough) {
  const std::vector<float> x = {std::nanf("")};
  std::vector<float> y(1);
  relu_forward(y.data(), x.data(), 1);
  EXPECT_TRUE(std::isnan(y[0]));
  sigmoid_forward(y.data(), x.data(), 1);
  EXPECT_TRUE(std::isnan(y[0]));
}

TEST(Phase2Activations, SigmoidSaturatesWithoutNaN) {
  const std::vector<float> x = {-1000.0f, 1000.0f};
  std::vector<float> y(2);
  sigmoid_forward(y.data(), x.data(), 2);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], 1.0f);
}

TEST(Phase2SoftmaxCrossEntropy, UniformLogitsGiveLogC) {
  const std::vector<float> z(2 * 4, 0.7f);
  const std::vector<int> y = {0, 3};
  std::vector<float> p(8);
  EXPECT_NEAR(softmax_cross_entropy_forward(p.data(), z.data(), y.data(), 2, 4), std::log(4.0),
              1e-6);
  for (float v : p) EXPECT_FLOAT_EQ(v, 0.25f);
}

TEST(Phase2SoftmaxCrossEntropy, StableForHugeLogits) {
  const std::vector<float> z = {1000.0f, -1000.0f, 0.0f};
  std::vector<float> p(3), d(3);
  const std::vector<int> right = {0}, wrong = {1};
  EXPECT_NEAR(softmax_cross_entropy_forward(p.data(), z.data(), right.data(), 1, 3), 0.0, 1e-6);
  // -log p = 2000 exactly, although p itself underflows to 0: no log(0), no inf.
  EXPECT_NEAR(softmax_cross_entropy_forward(p.data(), z.data(), wrong.data(), 1, 3), 2000.0, 1e-3);
  softmax_cross_entropy_backward(d.data(), p.data(), wrong.data(), 1, 3);
  EXPECT_FLOAT_EQ(d[0], 1.0f);
  EXPECT_FLOAT_EQ(d[1], -1.0f);
  for (float v : d) EXPECT_TRUE(std::isfinite(v));
}

TEST(Phase2SoftmaxCrossEntropy, GradientRowsSumToZero) {
  common::Rng rng(5);
  const int64_t N = 3, C = 6;
  std::vector<float> z(N * C), p(N * C), d(N * C);
  for (float& v : z) v = static_cast<float>(3.0 * rng.normal());
  const std::vector<int> y = {5, 0, 2};
  softmax_cross_entropy_forward(p.data(), z.data(), y.data(), N, C);
  softmax_cross_entropy_backward(d.data(), p.data(), y.data(), N, C);
  for (int64_t n = 0; n < N; ++n) {
    double s = 0.0;
    for (int64_t c = 0; c < C; ++c) s += d[n * C + c];
    EXPECT_NEAR(s, 0.0, 1e-7);
    EXPECT_LT(d[n * C + y[n]], 0.0f);  // the right class is pushed up
  }
}

TEST(Phase2MeanSquaredError, OneHalfSumOverOutputsMeanOverExamples) {
  const std::vector<float> y = {1, 2, 3, 4}, t = {0, 2, 3, 2};
  // example 0: 1/2 (1^2 + 0) = 0.5; example 1: 1/2 (0 + 2^2) = 2; mean 1.25
  EXPECT_DOUBLE_EQ(mse_forward(y.data(), t.data(), 2, 2), 1.25);
  std::vector<float> d(4);
  mse_backward(d.data(), y.data(), t.data(), 2, 2);
  EXPECT_EQ(d, (std::vector<float>{0.5f, 0.0f, 0.0f, 1.0f}));
}

}  // namespace
}  // namespace phase2
