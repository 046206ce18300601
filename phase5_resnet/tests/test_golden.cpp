// Golden test (label: golden): a resnet-8 against PyTorch.
//
// pytorch/make_golden.py computed, with PyTorch, on inputs and weights given by formulas
// (repeated below): the logits and loss of one batch in training mode, every parameter
// gradient, the losses of 3 SGD steps, the running statistics of every BatchNorm after
// them and the evaluation-mode logits; it wrote them to tests/golden/resnet8.txt (our
// weights have PyTorch's layout, so nothing is permuted). Both sides compute in float32,
// summing in different orders; BatchNorm divides by a batch's standard deviation, which
// amplifies rounding differences a little, so the tolerances are:
//   logits, loss:  |ours - torch| <= 1e-4 + 1e-3 |torch|
//   gradients:     max |ours - torch| <= 1e-3 * max |torch|   (relative to the tensor's scale)
//   SGD losses, running statistics, evaluation logits after 3 steps: 1e-3 relative
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "resnet.h"
#include "thread_pool.h"

namespace {

struct GoldenTensor {
  int64_t stride = 1;
  std::vector<double> values;  // elements 0, stride, 2 stride, ...
};

std::map<std::string, GoldenTensor> read_golden(const std::string& name) {
  const std::string path = std::string(GOLDEN_DIR) + "/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path + " (run pytorch/make_golden.py)");
  std::map<std::string, GoldenTensor> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream head(line);
    std::string key;
    GoldenTensor t;
    int64_t count = 0;
    head >> key >> t.stride >> count;
    std::getline(in, line);
    std::istringstream body(line);
    t.values.resize(static_cast<size_t>(count));
    for (double& v : t.values) body >> v;
    if (!body) throw std::runtime_error(path + ": short record " + key);
    out[key] = t;
  }
  return out;
}

// The formulas of make_golden.py.
void formula_fill(float* w, const phase5::ParamView& v, int k) {
  const int64_t n = v.size();
  for (int64_t i = 0; i < n; ++i) {
    const double x = static_cast<double>(i);
    double value;
    if (v.shape.size() >= 2)
      value = std::sqrt(3.0 / static_cast<double>(n / v.shape[0])) *
              std::sin(0.37 * x + 0.91 * (k + 1));
    else if (v.name.ends_with("gamma"))
      value = 1.0 + 0.1 * std::sin(0.53 * x + 0.91 * (k + 1));
    else
      value = 0.1 * std::sin(0.53 * x + 0.91 * (k + 1));
    w[i] = static_cast<float>(value);
  }
}

std::vector<float> formula_images(int64_t n_images) {
  std::vector<float> x(static_cast<size_t>(n_images * 784));
  for (int64_t n = 0; n < n_images; ++n)
    for (int64_t p = 0; p < 784; ++p)
      x[static_cast<size_t>(n * 784 + p)] = static_cast<float>(
          0.5 + 0.5 * std::sin(0.013 * static_cast<double>(p) * static_cast<double>(n + 1) +
                               0.7 * static_cast<double>(n)));
  return x;
}

// max |ours - torch| over the sampled elements, relative to max |torch|.
double relative_error(const float* ours, const GoldenTensor& golden) {
  double worst = 0.0, scale = 0.0;
  for (size_t i = 0; i < golden.values.size(); ++i) {
    worst =
        std::max(worst, std::fabs(ours[i * static_cast<size_t>(golden.stride)] - golden.values[i]));
    scale = std::max(scale, std::fabs(golden.values[i]));
  }
  return scale > 0 ? worst / scale : worst;
}

TEST(Golden, ResNet8MatchesPyTorch) {
  common::set_num_threads(1);
  const auto golden = read_golden("resnet8.txt");
  phase5::ResNet net(phase5::ResNetConfig{.depth = 8});
  for (size_t k = 0; k < net.views.size(); ++k)
    formula_fill(net.params.data() + net.views[k].offset, net.views[k], static_cast<int>(k));
  for (const auto& v : net.stat_views)
    std::fill(net.stats.begin() + v.offset, net.stats.begin() + v.offset + v.size(),
              v.name.ends_with("running_var") ? 1.0f : 0.0f);
  const std::vector<float> x = formula_images(4);
  const std::vector<int> y = {3, 1, 4, 1};
  phase5::ResNetState st(net, 4);

  const float loss = phase5::resnet_forward(st, net, x.data(), y.data(), 4, phase5::Mode::kTrain);
  const GoldenTensor& logits = golden.at("logits");
  for (size_t i = 0; i < logits.values.size(); ++i)
    EXPECT_NEAR(st.logits[i], logits.values[i], 1e-4 + 1e-3 * std::fabs(logits.values[i]));
  EXPECT_NEAR(loss, golden.at("loss").values[0], 1e-4 + 1e-3 * golden.at("loss").values[0]);
  std::fill(net.grads.begin(), net.grads.end(), 0.0f);
  phase5::resnet_backward(st, net, y.data(), 4);
  for (const auto& v : net.views) {
    const double err = relative_error(net.grads.data() + v.offset, golden.at("grad_" + v.name));
    std::printf("  grad %-32s relative error %9.2e\n", v.name.c_str(), err);
    EXPECT_LT(err, 1e-3) << v.name;
  }

  // 3 SGD steps (momentum from zero, as PyTorch's first step), then the statistics.
  std::fill(net.velocity.begin(), net.velocity.end(), 0.0f);
  const phase5::SgdConfig sgd{.lr = 0.1f, .momentum = 0.9f, .weight_decay = 1e-4f};
  const GoldenTensor& losses = golden.at("sgd_losses");
  for (size_t step = 0; step < 3; ++step) {
    const float l = phase5::resnet_train_step(net, st, x.data(), y.data(), 4, 0.1f, sgd);
    EXPECT_NEAR(l, losses.values[step], 1e-3 * losses.values[step]) << "step " << step;
  }
  for (const auto& v : net.stat_views) {
    // "stem.bn.running_mean" -> "running_mean_stem"
    const size_t dot = v.name.rfind(".bn.");
    const std::string key = v.name.substr(dot + 4) + "_" + v.name.substr(0, dot);
    const double err = relative_error(net.stats.data() + v.offset, golden.at(key));
    EXPECT_LT(err, 1e-3) << v.name;
  }
  phase5::resnet_forward(st, net, x.data(), nullptr, 4, phase5::Mode::kEval);
  EXPECT_LT(relative_error(st.logits.data(), golden.at("eval_logits")), 1e-3);
}

}  // namespace
