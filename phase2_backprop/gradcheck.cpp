// phase2_backprop/gradcheck.cpp -- see gradcheck.h.
#include "gradcheck.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace phase2 {

double relative_error(double analytic, double numeric) {
  const double scale = std::max({std::fabs(analytic), std::fabs(numeric), 1e-4});
  return std::fabs(analytic - numeric) / scale;
}

double max_relative_error(const double* analytic, const double* numeric, int64_t n) {
  double worst = 0.0;
  for (int64_t i = 0; i < n; ++i) worst = std::max(worst, relative_error(analytic[i], numeric[i]));
  return worst;
}

std::vector<double> numeric_gradient(const std::function<double()>& loss, double* v, int64_t n,
                                     double h) {
  std::vector<double> grad(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double saved = v[i];
    v[i] = saved + h;
    const double plus = loss();
    v[i] = saved - h;
    const double minus = loss();
    v[i] = saved;
    grad[static_cast<size_t>(i)] = (plus - minus) / (2.0 * h);
  }
  return grad;
}

namespace {

double norm2(const double* v, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += v[i] * v[i];
  return std::sqrt(s);
}

GradcheckRow compare(const std::string& name, const std::vector<int64_t>& shape,
                     const double* analytic, const std::vector<double>& numeric) {
  const auto n = static_cast<int64_t>(numeric.size());
  GradcheckRow row;
  row.name = name;
  row.shape = shape;
  row.analytic_norm = norm2(analytic, n);
  row.numeric_norm = norm2(numeric.data(), n);
  row.max_rel_error = max_relative_error(analytic, numeric.data(), n);
  return row;
}

}  // namespace

GradcheckReport gradcheck_mlp(const MlpConfig& config, int64_t N, uint64_t seed) {
  common::Rng rng(seed);
  Mlp<double> model = make_mlp<double>(config);
  mlp_init(model, rng);
  // Random biases too, so the check does not start from the special point b = 0.
  for (int l = 0; l < model.num_layers(); ++l)
    for (int64_t o = 0; o < model.layers[l].out; ++o) model.bias(l)[o] = 0.1 * rng.normal();

  // A random batch.
  const int64_t D = config.sizes.front(), C = config.sizes.back();
  std::vector<double> x(static_cast<size_t>(N * D));
  for (double& v : x) v = rng.normal();
  std::vector<int> labels(static_cast<size_t>(N));
  std::vector<double> values(static_cast<size_t>(N * C));
  for (int& y : labels) y = static_cast<int>(rng.randint(0, C));
  for (double& t : values) t = rng.uniform();
  Target<double> target;
  if (config.loss == Loss::softmax_cross_entropy)
    target.labels = labels.data();
  else
    target.values = values.data();

  // Analytic: one forward, one backward.
  MlpState<double> state;
  state.want_input_grad = true;
  mlp_forward(model, state, x.data(), N);
  GradcheckReport report;
  report.network = describe(config);
  report.N = N;
  report.loss = mlp_loss(model, state, target);
  mlp_zero_grad(model);
  mlp_backward(model, state, target);
  report.min_abs_preactivation = std::numeric_limits<double>::infinity();
  for (int l = 0; l + 1 < model.num_layers(); ++l)
    for (double z : state.z[l])
      report.min_abs_preactivation = std::min(report.min_abs_preactivation, std::fabs(z));

  // Numeric: two forward passes per entry.
  MlpState<double> probe;
  auto loss = [&]() {
    mlp_forward(model, probe, x.data(), N);
    return mlp_loss(model, probe, target);
  };
  for (const ParamTensor& t : parameter_tensors(model)) {
    const std::vector<double> numeric =
        numeric_gradient(loss, model.params.data() + t.offset, t.size);
    report.rows.push_back(compare(t.name, t.shape, model.grads.data() + t.offset, numeric));
  }
  const std::vector<double> numeric_x = numeric_gradient(loss, x.data(), N * D);
  report.rows.push_back(compare("x", {N, D}, state.d_input.data(), numeric_x));

  for (const GradcheckRow& row : report.rows)
    report.max_rel_error = std::max(report.max_rel_error, row.max_rel_error);
  return report;
}

std::string format_gradcheck_table(const GradcheckReport& report) {
  std::string out;
  char line[200];
  std::snprintf(line, sizeof line, "  %-6s %-10s | %-14s | %-14s | %s\n", "name", "shape",
                "analytic |g|", "numeric |g|", "max relative error");
  out += line;
  for (const GradcheckRow& row : report.rows) {
    std::string shape = "(";
    for (size_t i = 0; i < row.shape.size(); ++i) {
      if (i > 0) shape += ", ";
      shape += std::to_string(row.shape[i]);
    }
    shape += ")";
    std::snprintf(line, sizeof line, "  %-6s %-10s | %-14.10f | %-14.10f | %.2e\n",
                  row.name.c_str(), shape.c_str(), row.analytic_norm, row.numeric_norm,
                  row.max_rel_error);
    out += line;
  }
  return out;
}

}  // namespace phase2
