// Gradient checks (label gradcheck): every layer, activation and loss, on its own and
// inside whole networks, against central differences in double precision.
// Bound: relative error below 1e-6 (gradcheck.h defines the measure). ReLU's kink: the
// random inputs below stay far from 0 (asserted), so no difference straddles it.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gradcheck.h"
#include "lesson.h"
#include "mlp.h"
#include "rng.h"

namespace phase2 {
namespace {

constexpr double kBound = 1e-6;

std::vector<double> random_vector(int64_t n, common::Rng& rng, double scale = 1.0) {
  std::vector<double> v(static_cast<size_t>(n));
  for (double& x : v) x = scale * rng.normal();
  return v;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// ---------------------------------------------------------------------------
// Layers one at a time. For a layer y = f(x) we check the scalar L = sum(g * y) for a
// random "upstream gradient" g: then dL/dy = g, and backward(g) must equal dL/dx.

TEST(Phase2GradcheckLayers, Linear) {
  common::Rng rng(11);
  const int64_t N = 3, I = 4, O = 5;
  std::vector<double> x = random_vector(N * I, rng), W = random_vector(O * I, rng),
                      b = random_vector(O, rng), g = random_vector(N * O, rng);
  std::vector<double> y(static_cast<size_t>(N * O));
  auto loss = [&]() {
    linear_forward(y.data(), x.data(), W.data(), b.data(), N, I, O);
    return dot(g, y);
  };
  std::vector<double> dx(x.size()), dW(W.size(), 0.0), db(b.size(), 0.0);
  linear_backward(dx.data(), dW.data(), db.data(), g.data(), x.data(), W.data(), N, I, O);
  EXPECT_LT(max_relative_error(dx.data(), numeric_gradient(loss, x.data(), N * I).data(), N * I),
            kBound);
  EXPECT_LT(max_relative_error(dW.data(), numeric_gradient(loss, W.data(), O * I).data(), O * I),
            kBound);
  EXPECT_LT(max_relative_error(db.data(), numeric_gradient(loss, b.data(), O).data(), O), kBound);
}

using Forward = void (*)(double*, const double*, int64_t);
using Backward = void (*)(double*, const double*, const double*, int64_t);

void check_activation(Forward forward, Backward backward, bool kink_at_zero) {
  common::Rng rng(12);
  const int64_t n = 20;
  std::vector<double> x = random_vector(n, rng, 2.0), g = random_vector(n, rng);
  if (kink_at_zero) {
    for (double v : x) ASSERT_GT(std::fabs(v), 100 * kGradcheckStep);
  }
  std::vector<double> y(static_cast<size_t>(n)), dx(static_cast<size_t>(n));
  auto loss = [&]() {
    forward(y.data(), x.data(), n);
    return dot(g, y);
  };
  loss();
  backward(dx.data(), g.data(), y.data(), n);
  EXPECT_LT(max_relative_error(dx.data(), numeric_gradient(loss, x.data(), n).data(), n), kBound);
}

TEST(Phase2GradcheckLayers, Sigmoid) {
  check_activation(sigmoid_forward<double>, sigmoid_backward<double>, false);
}
TEST(Phase2GradcheckLayers, Tanh) {
  check_activation(tanh_forward<double>, tanh_backward<double>, false);
}
TEST(Phase2GradcheckLayers, Relu) {
  check_activation(relu_forward<double>, relu_backward<double>, true);
}

TEST(Phase2GradcheckLayers, SoftmaxCrossEntropy) {
  common::Rng rng(13);
  const int64_t N = 4, C = 5;
  std::vector<double> z = random_vector(N * C, rng, 3.0);
  std::vector<int> labels = {0, 3, 4, 1};
  std::vector<double> p(z.size()), dz(z.size());
  auto loss = [&]() {
    return softmax_cross_entropy_forward(p.data(), z.data(), labels.data(), N, C);
  };
  loss();
  softmax_cross_entropy_backward(dz.data(), p.data(), labels.data(), N, C);
  EXPECT_LT(max_relative_error(dz.data(), numeric_gradient(loss, z.data(), N * C).data(), N * C),
            kBound);
}

TEST(Phase2GradcheckLayers, MeanSquaredError) {
  common::Rng rng(14);
  const int64_t N = 3, C = 4;
  std::vector<double> y = random_vector(N * C, rng), t = random_vector(N * C, rng);
  std::vector<double> dy(y.size());
  auto loss = [&]() { return mse_forward(y.data(), t.data(), N, C); };
  mse_backward(dy.data(), y.data(), t.data(), N, C);
  EXPECT_LT(max_relative_error(dy.data(), numeric_gradient(loss, y.data(), N * C).data(), N * C),
            kBound);
}

// The check can fail: a gradient that is off by 0.1% is caught.
TEST(Phase2GradcheckLayers, DetectsAWrongGradient) {
  common::Rng rng(15);
  const int64_t n = 10;
  std::vector<double> x = random_vector(n, rng), g = random_vector(n, rng);
  std::vector<double> y(static_cast<size_t>(n)), dx(static_cast<size_t>(n));
  auto loss = [&]() {
    tanh_forward(y.data(), x.data(), n);
    return dot(g, y);
  };
  loss();
  tanh_backward(dx.data(), g.data(), y.data(), n);
  for (double& v : dx) v *= 1.001;
  EXPECT_GT(max_relative_error(dx.data(), numeric_gradient(loss, x.data(), n).data(), n), 1e-4);
}

// ---------------------------------------------------------------------------
// Whole networks: the `gradcheck` experiment's four networks, and a deeper one.

TEST(Phase2GradcheckNetworks, LessonNetworksAllBelowBound) {
  LessonOptions options;
  const GradcheckResult result = run_gradcheck(options);
  ASSERT_EQ(result.reports.size(), 4u);
  for (const GradcheckReport& report : result.reports) {
    for (const GradcheckRow& row : report.rows) {
      EXPECT_LT(row.max_rel_error, kBound) << report.network << " " << row.name;
      EXPECT_GT(row.analytic_norm, 0.0) << report.network << " " << row.name;
    }
    if (report.network.find("relu") != std::string::npos) {
      EXPECT_GT(report.min_abs_preactivation, 100 * kGradcheckStep);
    }
  }
  EXPECT_LT(result.max_relative_error, kBound);
}

TEST(Phase2GradcheckNetworks, DeepSigmoidNetwork) {
  MlpConfig config;
  config.sizes = {3, 6, 6, 6, 6, 2};
  config.hidden = Activation::sigmoid;
  config.init = Init::xavier;
  const GradcheckReport report = gradcheck_mlp(config, 5, 21);
  EXPECT_EQ(report.rows.size(), 11u);  // W1..W5, b1..b5, x
  EXPECT_LT(report.max_rel_error, kBound);
}

TEST(Phase2GradcheckNetworks, SingleExampleBatch) {
  MlpConfig config;
  config.sizes = {4, 3, 2};
  config.hidden = Activation::tanh;
  EXPECT_LT(gradcheck_mlp(config, 1, 22).max_rel_error, kBound);
}

}  // namespace
}  // namespace phase2
