// Golden test (label: golden): the character LSTM -- embedding, 2 stacked LSTM layers,
// linear head, cross-entropy -- against PyTorch's nn.LSTM on one small batch.
//
// pytorch/make_golden.py computed the logits, the top layer's outputs, the loss and every
// gradient with PyTorch on inputs and weights given by formulas (repeated below) and wrote
// them to tests/golden/lstm.txt. The weights map one to one (gate order i, f, g, o; our
// one bias is PyTorch's bias_ih + bias_hh). Both sides compute in float32, summing in
// different orders, so values agree to about 1e-6 relative; the tolerances below leave a
// margin of about 10x or more:
//   logits, outputs, loss: |ours - torch| <= 1e-5 + 1e-4 |torch|
//   gradients:             max |ours - torch| <= 1e-4 * max |torch|   (the tensor's scale)
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "char_lstm.h"
#include "lstm.h"

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
    const double v = shape.size() >= 2
                         ? std::sqrt(3.0 / static_cast<double>(fan_in)) *
                               std::sin(0.37 * static_cast<double>(i) + 0.91 * (k + 1))
                         : 0.1 * std::sin(0.53 * static_cast<double>(i) + 0.91 * (k + 1));
    w[i] = static_cast<float>(v);
  }
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

TEST(Golden, TwoLayerCharLstmMatchesPyTorch) {
  const auto golden = read_golden("lstm.txt");
  const int64_t V = 10, T = 6, B = 2, H = 16;
  const phase4::LstmConfig config{.vocab = V, .input = 8, .hidden = H, .layers = 2, .output = V};
  phase4::LstmParams params(config), grads(config);
  int k = 0;
  for (auto& v : params.views()) formula_fill(v.data, v.shape, k++);
  // tokens (T + 1, B): s[t][b] = (7 t^2 + 3 t + 1 + 5 b) mod V
  std::vector<int> inputs(static_cast<size_t>(T * B)), targets(inputs.size());
  for (int64_t t = 0; t < T; ++t)
    for (int64_t b = 0; b < B; ++b) {
      auto s = [&](int64_t tt) { return static_cast<int>((7 * tt * tt + 3 * tt + 1 + 5 * b) % V); };
      inputs[static_cast<size_t>(t * B + b)] = s(t);
      targets[static_cast<size_t>(t * B + b)] = s(t + 1);
    }
  phase4::LstmState st(config, T, B);
  std::vector<float> probs(static_cast<size_t>(T * B * V)), logits(probs.size()),
      d_logits(probs.size());
  const float loss = phase4::char_forward(st, probs.data(), logits.data(), params, config,
                                          inputs.data(), targets.data());
  expect_values_close("logits", logits.data(), golden.at("logits"), 1e-5, 1e-4);
  expect_values_close("h_top", st.top_h() + B * H, golden.at("h_top"), 1e-5, 1e-4);
  EXPECT_NEAR(loss, golden.at("loss").values[0], 1e-5);
  phase4::char_backward(grads, st, d_logits.data(), probs.data(), params, config, inputs.data(),
                        targets.data());
  for (auto& v : grads.views()) expect_gradient_close(v.name, v.data, golden.at("grad_" + v.name));
}

}  // namespace
