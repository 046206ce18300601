// Golden tests (label: golden): LeNet-5 and the char-RNN against PyTorch.
//
// pytorch/make_golden.py computed logits, loss and every gradient with PyTorch on
// inputs and weights given by formulas (repeated below), and wrote them to
// tests/golden/*.txt (our weights have PyTorch's layout, so nothing is permuted). Both
// sides compute in float32, summing in different orders, so values agree to about 1e-6
// relative; the tolerances below leave a margin of about 10x or more:
//   logits, loss: |ours - torch| <= 1e-5 + 1e-4 |torch|
//   gradients:    max |ours - torch| <= 1e-4 * max |torch|   (relative to the tensor's scale)
//   5 SGD steps:  losses within 1e-4
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "char_rnn.h"
#include "lenet.h"
#include "rnn.h"
#include "vanishing.h"

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
void formula_fill(float* w, const std::vector<int64_t>& shape, int k) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  const int64_t fan_in = n / shape[0];
  for (int64_t i = 0; i < n; ++i) {
    const double v = shape.size() >= 2 ? std::sqrt(3.0 / static_cast<double>(fan_in)) *
                                             std::sin(0.37 * i + 0.91 * (k + 1))
                                       : 0.1 * std::sin(0.53 * i + 0.91 * (k + 1));
    w[i] = static_cast<float>(v);
  }
}

std::vector<float> formula_images(int n_images) {
  std::vector<float> x(static_cast<size_t>(n_images * 784));
  for (int n = 0; n < n_images; ++n)
    for (int p = 0; p < 784; ++p)
      x[static_cast<size_t>(n * 784 + p)] =
          static_cast<float>(0.5 + 0.5 * std::sin(0.013 * p * (n + 1) + 0.7 * n));
  return x;
}

void expect_values_close(const std::string& what, const float* ours, const GoldenTensor& torch,
                         double abs_tol, double rel_tol) {
  for (size_t i = 0; i < torch.values.size(); ++i) {
    const double expected = torch.values[i];
    const double got = ours[static_cast<int64_t>(i) * torch.stride];
    ASSERT_NEAR(got, expected, abs_tol + rel_tol * std::fabs(expected))
        << what << " [" << i * torch.stride << "]";
  }
}

void expect_gradient_close(const std::string& what, const float* ours, const GoldenTensor& torch) {
  double scale = 0.0, worst = 0.0;
  for (size_t i = 0; i < torch.values.size(); ++i) {
    scale = std::max(scale, std::fabs(torch.values[i]));
    worst =
        std::max(worst, std::fabs(ours[static_cast<int64_t>(i) * torch.stride] - torch.values[i]));
  }
  std::printf("  %-10s max |torch| %9.3e  max diff %9.3e  relative %9.2e\n", what.c_str(), scale,
              worst, scale > 0 ? worst / scale : 0.0);
  EXPECT_GT(scale, 0.0) << what;
  EXPECT_LE(worst, 1e-4 * scale) << what;
}

void check_lenet(const std::string& file, phase3::LeNetConfig config) {
  const auto golden = read_golden(file);
  phase3::LeNet model(config);
  int k = 0;
  for (auto& v : model.params.views()) formula_fill(v.data, v.shape, k++);
  const std::vector<float> images = formula_images(8);
  const std::vector<int> labels = {3, 1, 4, 1, 5, 9, 2, 6};
  phase3::LeNetState state(config, 8);

  const float loss =
      phase3::lenet_forward(state, model.params, config, images.data(), labels.data(), 8);
  expect_values_close("logits", state.logits.data(), golden.at("logits"), 1e-5, 1e-4);
  EXPECT_NEAR(loss, golden.at("loss").values[0], 1e-5);
  model.grads.zero();
  phase3::lenet_backward(model.grads, state, model.params, config, labels.data(), 8);
  for (auto& v : model.grads.views())
    expect_gradient_close(v.name, v.data, golden.at("grad_" + v.name));

  // Five steps of SGD with momentum and weight decay on the same batch.
  const phase3::SgdConfig sgd{0.003f, 0.9f, 5e-4f};
  model.velocity.zero();
  const auto& expected = golden.at("sgd_losses").values;
  for (size_t step = 0; step < expected.size(); ++step) {
    const float l =
        phase3::lenet_train_step(model, state, images.data(), labels.data(), 8, 0.003f, sgd);
    std::printf("  step %zu: loss %.6f (PyTorch %.6f)\n", step, l, expected[step]);
    EXPECT_NEAR(l, expected[step], 1e-4) << "SGD step " << step;
  }
}

TEST(Golden, LeNetReluMaxMatchesPyTorch) {
  check_lenet("lenet_relu_max.txt", phase3::LeNetConfig{});
}

TEST(Golden, LeNetTanhAveragePoolingMatchesPyTorch) {
  phase3::LeNetConfig config;
  config.activation = phase3::Activation::kTanh;
  config.pooling = phase3::Pooling::kAverage;
  check_lenet("lenet_tanh_avg.txt", config);
}

TEST(Golden, CharRnnMatchesPyTorchOnOneSequence) {
  const auto golden = read_golden("rnn.txt");
  const int64_t V = 10, T = 12;
  const phase3::RnnConfig config{V, 8, 16, V};
  phase3::RnnParams params(config), grads(config);
  int k = 0;
  for (auto& v : params.views()) formula_fill(v.data, v.shape, k++);
  std::vector<int> s(T + 1);
  for (int t = 0; t <= T; ++t) s[static_cast<size_t>(t)] = (7 * t * t + 3 * t + 1) % V;
  const std::vector<int> inputs(s.begin(), s.end() - 1), targets(s.begin() + 1, s.end());
  phase3::RnnState st(config, T, 1);
  const float loss = phase3::rnn_forward_tokens(st, params, config, inputs.data(), targets.data());
  expect_values_close("logits", st.y.data(), golden.at("logits"), 1e-5, 1e-4);
  EXPECT_NEAR(loss, golden.at("loss").values[0], 1e-5);
  phase3::rnn_backward_tokens(grads, st, params, config, inputs.data(), targets.data());
  for (auto& v : grads.views()) expect_gradient_close(v.name, v.data, golden.at("grad_" + v.name));
}

}  // namespace
