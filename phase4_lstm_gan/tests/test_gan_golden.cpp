// Golden test (label: golden): the DCGAN's generator and discriminator, forward and backward,
// against PyTorch.
//
// pytorch/gan_make_golden.py built the same two networks (narrow layers, a batch of 3, training
// mode) in PyTorch on weights and inputs given by formulas (repeated below), and wrote the
// images, logits, both losses, the gradient with respect to the generated images and every
// parameter gradient to tests/golden/gan_dcgan.txt. Both sides compute in float32, summing in
// different orders, so values agree to about 1e-6 relative; the tolerances leave a margin:
//   outputs, losses: |ours - torch| <= 1e-5 + 1e-4 |torch|
//   gradients:       max |ours - torch| <= 1e-4 * max |torch| + 1e-6   (relative to the tensor's
//                    scale; the 1e-6 floor is for the biases in front of a BatchNorm, whose exact
//                    gradient is 0 -- BatchNorm subtracts them again -- and which both sides
//                    compute as float rounding noise of about 1e-7)
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "dcgan.h"
#include "gan.h"

namespace {

using phase4::gan::Dcgan;
using phase4::gan::ParamBlock;

struct GoldenTensor {
  int64_t stride = 1;
  std::vector<double> values;  // elements 0, stride, 2 stride, ...
};

// The format of phase 3's golden files (copied from phase3_cnn_rnn/tests/test_golden.cpp).
std::map<std::string, GoldenTensor> read_golden(const std::string& name) {
  const std::string path = std::string(GAN_GOLDEN_DIR) + "/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path + " (run pytorch/gan_make_golden.py)");
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

// The formulas of gan_make_golden.py.
void formula_fill(ParamBlock& block, int& k) {
  for (const ParamBlock::Tensor& t : block.tensors) {
    const int64_t n = t.size(), fan_in = n / t.shape[0];
    float* w = block.p(t.offset);
    for (int64_t i = 0; i < n; ++i) {
      double v;
      if (t.shape.size() >= 2)
        v = std::sqrt(3.0 / static_cast<double>(fan_in)) * std::sin(0.37 * i + 0.91 * (k + 1));
      else if (t.name.find("gamma") != std::string::npos)
        v = 1.0 + 0.1 * std::sin(0.53 * i + 0.91 * (k + 1));
      else
        v = 0.1 * std::sin(0.53 * i + 0.91 * (k + 1));
      w[i] = static_cast<float>(v);
    }
    ++k;
  }
}

void expect_values(const std::string& what, const float* ours, const GoldenTensor& torch) {
  for (size_t i = 0; i < torch.values.size(); ++i) {
    const double expected = torch.values[i];
    const double got = ours[static_cast<int64_t>(i) * torch.stride];
    ASSERT_NEAR(got, expected, 1e-5 + 1e-4 * std::abs(expected)) << what << " element " << i;
  }
}

void expect_gradient(const std::string& what, const float* ours, const GoldenTensor& torch) {
  double largest = 0.0, worst = 0.0;
  for (size_t i = 0; i < torch.values.size(); ++i) {
    largest = std::max(largest, std::abs(torch.values[i]));
    worst =
        std::max(worst, std::abs(ours[static_cast<int64_t>(i) * torch.stride] - torch.values[i]));
  }
  std::printf("  %-16s max |torch| %9.3e  max diff %9.2e\n", what.c_str(), largest, worst);
  EXPECT_LE(worst, 1e-4 * largest + 1e-6) << what;
}

TEST(GanGolden, DcganForwardAndBackwardMatchPyTorch) {
  constexpr int64_t N = 3, Z = 6;
  const auto golden = read_golden("gan_dcgan.txt");
  auto at = [&](const std::string& key) -> const GoldenTensor& {
    auto it = golden.find(key);
    if (it == golden.end()) throw std::runtime_error("gan_dcgan.txt has no record " + key);
    return it->second;
  };
  Dcgan model({.z_dim = Z, .g_maps0 = 8, .g_maps1 = 4, .d_maps1 = 4, .d_maps2 = 8});
  int k = 0;
  formula_fill(model.g, k);
  formula_fill(model.d, k);
  std::vector<float> z(N * Z), real(N * 784);
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t j = 0; j < Z; ++j)
      z[n * Z + j] = static_cast<float>(std::sin(0.7 * n + 0.3 * j + 0.1));
    for (int64_t p = 0; p < 784; ++p)
      real[n * 784 + p] = static_cast<float>(std::sin(0.013 * p * (n + 1) + 0.7 * n));
  }

  // G's step: G(z), D(G(z)), the non-saturating loss, back through the frozen D into G.
  const float* g_out = model.generate(z.data(), nullptr, N, /*train=*/true);
  const std::vector<float> fake(g_out, g_out + N * 784);
  expect_values("g_images", fake.data(), at("g_images"));
  const float* l = model.discriminate(fake.data(), nullptr, N);
  const std::vector<float> logits(l, l + N);
  expect_values("d_logits", logits.data(), at("d_logits"));
  const float loss_g = phase4::gan::generator_loss_forward(logits.data(), N);
  EXPECT_NEAR(loss_g, at("loss_g").values[0], 1e-5 + 1e-4 * std::abs(at("loss_g").values[0]));
  std::vector<float> d_logits(N, 0.0f);
  phase4::gan::generator_loss_backward(d_logits.data(), logits.data(), N);
  model.zero_generator_grads();
  const float* d_images = model.discriminator_backward(d_logits.data(), N, false);
  expect_gradient("d_images", d_images, at("d_images"));
  model.generator_backward(d_images, N);
  for (const ParamBlock::Tensor& t : model.g.tensors)
    expect_gradient("g." + t.name, model.g.g(t.offset), at("g." + t.name));

  // D's step: a real batch, then the generated one, each through D alone.
  model.zero_discriminator_grads();
  std::vector<float> d_real(N, 0.0f), d_fake(N, 0.0f);
  l = model.discriminate(real.data(), nullptr, N);
  const std::vector<float> real_logits(l, l + N);
  expect_values("d_logits_real", real_logits.data(), at("d_logits_real"));
  phase4::gan::bce_with_logits_backward(d_real.data(), real_logits.data(), 1.0f, N);
  model.discriminator_backward(d_real.data(), N, true);
  l = model.discriminate(fake.data(), nullptr, N);
  const std::vector<float> fake_logits(l, l + N);
  phase4::gan::bce_with_logits_backward(d_fake.data(), fake_logits.data(), 0.0f, N);
  model.discriminator_backward(d_fake.data(), N, true);
  const float loss_d =
      phase4::gan::discriminator_loss_forward(real_logits.data(), fake_logits.data(), N);
  EXPECT_NEAR(loss_d, at("loss_d").values[0], 1e-5 + 1e-4 * std::abs(at("loss_d").values[0]));
  for (const ParamBlock::Tensor& t : model.d.tensors)
    expect_gradient("d." + t.name, model.d.g(t.offset), at("d." + t.name));
}

}  // namespace
