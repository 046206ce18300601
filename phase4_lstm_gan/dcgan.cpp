// phase4_lstm_gan/dcgan.cpp -- see dcgan.h: parameters, then G's forward and backward, then
// D's, each backward walking its forward in reverse, line by line.
#include "dcgan.h"

#include <algorithm>

#include "batchnorm.h"
#include "error.h"

namespace phase4::gan {

// ---------------------------------------------------------------------------
// Parameters

int64_t ParamBlock::Tensor::size() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

int64_t ParamBlock::add(const std::string& name, std::vector<int64_t> shape) {
  const int64_t offset = tensors.empty() ? 0 : tensors.back().offset + tensors.back().size();
  tensors.push_back({.name = name, .offset = offset, .shape = std::move(shape)});
  return offset;
}

void ParamBlock::finish() {
  const int64_t n = tensors.empty() ? 0 : tensors.back().offset + tensors.back().size();
  params.assign(static_cast<size_t>(n), 0.0f);
  grads.assign(static_cast<size_t>(n), 0.0f);
  adam = Adam(n);
}

const ParamBlock::Tensor& ParamBlock::find(const std::string& name) const {
  for (const Tensor& t : tensors)
    if (t.name == name) return t;
  throw common::Error("no parameter tensor named " + name);
}

namespace {
constexpr int64_t K = 4, S = 2, P = 1;  // every (transposed) convolution: 4x4, stride 2, pad 1
constexpr int64_t kSide0 = 7, kSide1 = 14;

void grow(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
}
void zero(std::vector<float>& v, int64_t n) {
  grow(v, n);
  std::fill(v.begin(), v.begin() + n, 0.0f);
}
}  // namespace

Dcgan::Dcgan(const DcganConfig& c) : config_(c) {
  const int64_t M0 = c.g_maps0, M1 = c.g_maps1, flat = M0 * kSide0 * kSide0;
  g_fc_w = g.add("fc_w", {flat, c.z_dim});  // z (100) -> 128x7x7
  g_fc_b = g.add("fc_b", {flat});
  g_bn0_gamma = g.add("bn0_gamma", {M0});
  g_bn0_beta = g.add("bn0_beta", {M0});
  g_dc1_w = g.add("deconv1_w", {M0, M1, K, K});  // (C_in, C_out, K, K): ConvTranspose2d layout
  g_dc1_b = g.add("deconv1_b", {M1});
  g_bn1_gamma = g.add("bn1_gamma", {M1});
  g_bn1_beta = g.add("bn1_beta", {M1});
  g_dc2_w = g.add("deconv2_w", {M1, 1, K, K});
  g_dc2_b = g.add("deconv2_b", {1});
  g.finish();
  const int64_t D1 = c.d_maps1, D2 = c.d_maps2;
  d_c1_w = d.add("conv1_w", {D1, 1, K, K});  // (C_out, C_in, K, K): Conv2d layout
  d_c1_b = d.add("conv1_b", {D1});
  d_c2_w = d.add("conv2_w", {D2, D1, K, K});
  d_c2_b = d.add("conv2_b", {D2});
  d_bn_gamma = d.add("bn_gamma", {D2});
  d_bn_beta = d.add("bn_beta", {D2});
  d_fc_w = d.add("fc_w", {1, D2 * kSide0 * kSide0});
  d_fc_b = d.add("fc_b", {1});
  d.finish();
  g_bn0_mean.assign(M0, 0.0f);
  g_bn0_var.assign(M0, 1.0f);
  g_bn1_mean.assign(M1, 0.0f);
  g_bn1_var.assign(M1, 1.0f);
  d_bn_mean.assign(D2, 0.0f);
  d_bn_var.assign(D2, 1.0f);
}

void Dcgan::init(common::Rng& rng) {
  // Radford et al.: weights N(0, 0.02^2); BatchNorm gamma N(1, 0.02^2), beta 0; biases 0.
  for (ParamBlock* block : {&g, &d}) {
    std::fill(block->params.begin(), block->params.end(), 0.0f);
    for (const ParamBlock::Tensor& t : block->tensors) {
      if (t.name.find("gamma") != std::string::npos)
        init_normal(block->p(t.offset), t.size(), 0.02, rng, 1.0);
      else if (t.shape.size() >= 2)
        init_normal(block->p(t.offset), t.size(), 0.02, rng);
    }
    block->adam = Adam(static_cast<int64_t>(block->params.size()));
  }
  std::fill(g_bn0_mean.begin(), g_bn0_mean.end(), 0.0f);
  std::fill(g_bn0_var.begin(), g_bn0_var.end(), 1.0f);
  std::fill(g_bn1_mean.begin(), g_bn1_mean.end(), 0.0f);
  std::fill(g_bn1_var.begin(), g_bn1_var.end(), 1.0f);
  std::fill(d_bn_mean.begin(), d_bn_mean.end(), 0.0f);
  std::fill(d_bn_var.begin(), d_bn_var.end(), 1.0f);
}

void Dcgan::size_buffers(int64_t N) {
  if (N <= batch_) return;
  batch_ = N;
  const int64_t M0 = config_.g_maps0, M1 = config_.g_maps1, D1 = config_.d_maps1,
                D2 = config_.d_maps2;
  const int64_t n0 = M0 * kSide0 * kSide0 * N, n1 = M1 * kSide1 * kSide1 * N;
  const int64_t e1 = D1 * kSide1 * kSide1 * N, e2 = D2 * kSide0 * kSide0 * N;
  for (auto* v : {&g_h0, &g_m0, &g_xhat0, &g_a0, &dg_m0, &dg_h0, &dg_a0}) grow(*v, n0);
  for (auto* v : {&g_m1, &g_xhat1, &g_a1, &dg_m1, &dg_a1}) grow(*v, n1);
  for (auto* v : {&g_m2, &g_out, &d_x, &dg_m2, &dd_x, &dd_images}) grow(*v, kPixels * N);
  for (auto* v : {&d_a1, &dd_a1}) grow(*v, e1);
  for (auto* v : {&d_m2, &d_xhat2, &d_a2, &d_flat, &dd_flat, &dd_a2, &dd_m2}) grow(*v, e2);
  grow(z_, config_.z_dim * N);
  grow(d_logit, N);
  const Deconv2dShape dc1{.N = N, .H = 7, .W = 7, .C = M0, .OC = M1, .K = K, .stride = S, .pad = P};
  const Deconv2dShape dc2{
      .N = N, .H = 14, .W = 14, .C = M1, .OC = 1, .K = K, .stride = S, .pad = P};
  grow(g_cols1, dc1.cols_size());
  grow(g_cols2, dc2.cols_size());
  grow(dg_cols, std::max(dc1.cols_size(), dc2.cols_size()));
  const Conv2dShape c1{
      .N = N, .H = 28, .W = 28, .C = 1, .OC = D1, .KH = K, .KW = K, .stride = S, .pad = P};
  const Conv2dShape c2{
      .N = N, .H = 14, .W = 14, .C = D1, .OC = D2, .KH = K, .KW = K, .stride = S, .pad = P};
  grow(d_cols1, c1.patch() * c1.ld());
  grow(d_cols2, c2.patch() * c2.ld());
  grow(dd_cols, std::max(c1.patch() * c1.ld(), c2.patch() * c2.ld()));
}

// ---------------------------------------------------------------------------
// The generator

const float* Dcgan::generate(const float* z, const int* /*labels*/, int64_t N, bool train) {
  size_buffers(N);
  batch_n_ = N;
  const int64_t Z = config_.z_dim, M0 = config_.g_maps0, M1 = config_.g_maps1;
  const int64_t flat = M0 * kSide0 * kSide0;
  const Deconv2dShape dc1{.N = N, .H = 7, .W = 7, .C = M0, .OC = M1, .K = K, .stride = S, .pad = P};
  const Deconv2dShape dc2{
      .N = N, .H = 14, .W = 14, .C = M1, .OC = 1, .K = K, .stride = S, .pad = P};
  std::copy(z, z + N * Z, z_.begin());
  // h0 (N, 6272) = z fc_w^T + fc_b: the projection of z, then the rows as maps (128, 7, 7, N)
  linear_forward(g_h0.data(), z_.data(), g.p(g_fc_w), g.p(g_fc_b), N, Z, flat);
  transpose_forward(g_m0.data(), g_h0.data(), N, flat);
  // a0 = ReLU(BN(m0)), per channel over 7x7xN values
  const int64_t C0 = 49 * N, C1 = 196 * N;  // values per channel
  g_mean0.resize(M0);
  g_istd0.resize(M0);
  g_mean1.resize(M1);
  g_istd1.resize(M1);
  if (train)
    batchnorm_forward(g_a0.data(), g_xhat0.data(), g_mean0.data(), g_istd0.data(), g_m0.data(),
                      g.p(g_bn0_gamma), g.p(g_bn0_beta), M0, C0, g_bn0_mean.data(),
                      g_bn0_var.data());
  else
    batchnorm_inference(g_a0.data(), g_m0.data(), g.p(g_bn0_gamma), g.p(g_bn0_beta),
                        g_bn0_mean.data(), g_bn0_var.data(), M0, C0);
  relu_forward(g_a0.data(), g_a0.data(), M0 * C0);
  // m1 (64, 14, 14, N) = deconv1(a0);  a1 = ReLU(BN(m1))
  deconv2d_forward(g_m1.data(), g_cols1.data(), g_a0.data(), g.p(g_dc1_w), g.p(g_dc1_b), dc1);
  if (train)
    batchnorm_forward(g_a1.data(), g_xhat1.data(), g_mean1.data(), g_istd1.data(), g_m1.data(),
                      g.p(g_bn1_gamma), g.p(g_bn1_beta), M1, C1, g_bn1_mean.data(),
                      g_bn1_var.data());
  else
    batchnorm_inference(g_a1.data(), g_m1.data(), g.p(g_bn1_gamma), g.p(g_bn1_beta),
                        g_bn1_mean.data(), g_bn1_var.data(), M1, C1);
  relu_forward(g_a1.data(), g_a1.data(), M1 * C1);
  // m2 (1, 28, 28, N) = tanh(deconv2(a1)), then one row per image: out (N, 784)
  deconv2d_forward(g_m2.data(), g_cols2.data(), g_a1.data(), g.p(g_dc2_w), g.p(g_dc2_b), dc2);
  tanh_forward(g_m2.data(), g_m2.data(), kPixels * N);
  transpose_forward(g_out.data(), g_m2.data(), kPixels, N);
  return g_out.data();
}

void Dcgan::generator_backward(const float* d_images, int64_t N) {
  if (N != batch_n_) throw common::Error("dcgan: generator_backward for a different batch");
  const int64_t Z = config_.z_dim, M0 = config_.g_maps0, M1 = config_.g_maps1;
  const int64_t flat = M0 * kSide0 * kSide0, C0 = 49 * N, C1 = 196 * N;
  const Deconv2dShape dc1{.N = N, .H = 7, .W = 7, .C = M0, .OC = M1, .K = K, .stride = S, .pad = P};
  const Deconv2dShape dc2{
      .N = N, .H = 14, .W = 14, .C = M1, .OC = 1, .K = K, .stride = S, .pad = P};
  for (auto* v : {&dg_t, &dg_m2}) zero(*v, kPixels * N);
  for (auto* v : {&dg_a1, &dg_b1, &dg_m1}) zero(*v, M1 * C1);
  for (auto* v : {&dg_a0, &dg_b0, &dg_m0, &dg_h0}) zero(*v, M0 * C0);
  // out = m2^T, m2 the tanh output:  dg_t (1, 28, 28, N) = dL/dm2
  transpose_backward(dg_t.data(), d_images, kPixels, N);
  // m2 = tanh(deconv2(a1))
  tanh_backward(dg_m2.data(), dg_t.data(), g_m2.data(), kPixels * N);
  deconv2d_backward(dg_a1.data(), g.g(g_dc2_w), g.g(g_dc2_b), dg_cols.data(), dg_m2.data(),
                    g_a1.data(), g.p(g_dc2_w), dc2);
  // a1 = ReLU(b1);  b1 = BN(m1);  m1 = deconv1(a0)
  relu_backward(dg_b1.data(), dg_a1.data(), g_a1.data(), M1 * C1);
  batchnorm_backward(dg_m1.data(), g.g(g_bn1_gamma), g.g(g_bn1_beta), dg_b1.data(), g_xhat1.data(),
                     g_istd1.data(), g.p(g_bn1_gamma), M1, C1);
  deconv2d_backward(dg_a0.data(), g.g(g_dc1_w), g.g(g_dc1_b), dg_cols.data(), dg_m1.data(),
                    g_a0.data(), g.p(g_dc1_w), dc1);
  // a0 = ReLU(b0);  b0 = BN(m0);  m0 = h0^T;  h0 = z fc_w^T + fc_b
  relu_backward(dg_b0.data(), dg_a0.data(), g_a0.data(), M0 * C0);
  batchnorm_backward(dg_m0.data(), g.g(g_bn0_gamma), g.g(g_bn0_beta), dg_b0.data(), g_xhat0.data(),
                     g_istd0.data(), g.p(g_bn0_gamma), M0, C0);
  transpose_backward(dg_h0.data(), dg_m0.data(), N, flat);
  linear_backward<float>(nullptr, g.g(g_fc_w), g.g(g_fc_b), dg_h0.data(), z_.data(), g.p(g_fc_w), N,
                         Z, flat);
}

// ---------------------------------------------------------------------------
// The discriminator

const float* Dcgan::discriminate(const float* images, const int* /*labels*/, int64_t N) {
  size_buffers(N);
  d_batch_n_ = N;
  const int64_t D1 = config_.d_maps1, D2 = config_.d_maps2, flat = D2 * kSide0 * kSide0;
  const Conv2dShape c1{
      .N = N, .H = 28, .W = 28, .C = 1, .OC = D1, .KH = K, .KW = K, .stride = S, .pad = P};
  const Conv2dShape c2{
      .N = N, .H = 14, .W = 14, .C = D1, .OC = D2, .KH = K, .KW = K, .stride = S, .pad = P};
  // x (1, 28, 28, N) = images^T;  a1 (64, 14, 14, N) = LeakyReLU(conv1(x))
  transpose_forward(d_x.data(), images, N, kPixels);
  conv2d_forward(d_a1.data(), d_cols1.data(), d_x.data(), d.p(d_c1_w), d.p(d_c1_b), c1);
  leaky_relu_forward(d_a1.data(), d_a1.data(), D1 * 196 * N, config_.slope);
  // m2 (128, 7, 7, N) = conv2(a1);  a2 = LeakyReLU(BN(m2))
  conv2d_forward(d_m2.data(), d_cols2.data(), d_a1.data(), d.p(d_c2_w), d.p(d_c2_b), c2);
  d_mean2.resize(D2);
  d_istd2.resize(D2);
  batchnorm_forward(d_a2.data(), d_xhat2.data(), d_mean2.data(), d_istd2.data(), d_m2.data(),
                    d.p(d_bn_gamma), d.p(d_bn_beta), D2, 49 * N, d_bn_mean.data(), d_bn_var.data());
  leaky_relu_forward(d_a2.data(), d_a2.data(), D2 * 49 * N, config_.slope);
  // logit (N, 1) = flat fc_w^T + fc_b, flat (N, 6272) = a2 as one row per image
  transpose_forward(d_flat.data(), d_a2.data(), flat, N);
  linear_forward(d_logit.data(), d_flat.data(), d.p(d_fc_w), d.p(d_fc_b), N, flat, 1);
  return d_logit.data();
}

const float* Dcgan::discriminator_backward(const float* d_logits, int64_t N, bool update_weights) {
  if (N != d_batch_n_) throw common::Error("dcgan: discriminator_backward for a different batch");
  const int64_t D1 = config_.d_maps1, D2 = config_.d_maps2, flat = D2 * kSide0 * kSide0;
  const Conv2dShape c1{
      .N = N, .H = 28, .W = 28, .C = 1, .OC = D1, .KH = K, .KW = K, .stride = S, .pad = P};
  const Conv2dShape c2{
      .N = N, .H = 14, .W = 14, .C = D1, .OC = D2, .KH = K, .KW = K, .stride = S, .pad = P};
  // G's step differentiates through D without changing it: no weight gradients then.
  auto grad = [&](int64_t offset) { return update_weights ? d.g(offset) : nullptr; };
  for (auto* v : {&dd_flat, &dd_a2, &dd_b2, &dd_m2}) zero(*v, flat * N);
  for (auto* v : {&dd_a1, &dd_c1}) zero(*v, D1 * 196 * N);
  for (auto* v : {&dd_x, &dd_images}) zero(*v, kPixels * N);
  // logit = flat fc_w^T + fc_b;  flat = a2^T
  linear_backward(dd_flat.data(), grad(d_fc_w), grad(d_fc_b), d_logits, d_flat.data(), d.p(d_fc_w),
                  N, flat, 1);
  transpose_backward(dd_a2.data(), dd_flat.data(), flat, N);
  // a2 = LeakyReLU(b2);  b2 = BN(m2);  m2 = conv2(a1)
  leaky_relu_backward(dd_b2.data(), dd_a2.data(), d_a2.data(), flat * N, config_.slope);
  batchnorm_backward(dd_m2.data(), grad(d_bn_gamma), grad(d_bn_beta), dd_b2.data(), d_xhat2.data(),
                     d_istd2.data(), d.p(d_bn_gamma), D2, 49 * N);
  conv2d_backward(dd_a1.data(), grad(d_c2_w), grad(d_c2_b), dd_cols.data(), dd_m2.data(),
                  d_cols2.data(), d.p(d_c2_w), c2);
  // a1 = LeakyReLU(c1);  c1 = conv1(x);  x = images^T
  leaky_relu_backward(dd_c1.data(), dd_a1.data(), d_a1.data(), D1 * 196 * N, config_.slope);
  // D's own step needs no image gradient (d_in = nullptr skips it); G's step does.
  conv2d_backward(update_weights ? nullptr : dd_x.data(), grad(d_c1_w), grad(d_c1_b),
                  dd_cols.data(), dd_c1.data(), d_cols1.data(), d.p(d_c1_w), c1);
  if (update_weights) return nullptr;
  transpose_backward(dd_images.data(), dd_x.data(), N, kPixels);
  return dd_images.data();
}

// ---------------------------------------------------------------------------
// Updates

void Dcgan::zero_generator_grads() {
  std::fill(g.grads.begin(), g.grads.end(), 0.0f);
}
void Dcgan::zero_discriminator_grads() {
  std::fill(d.grads.begin(), d.grads.end(), 0.0f);
}
void Dcgan::step_generator(const AdamConfig& adam) {
  g.adam.step(g.params.data(), g.grads.data(), adam.lr, adam);
}
void Dcgan::step_discriminator(const AdamConfig& adam) {
  d.adam.step(d.params.data(), d.grads.data(), adam.lr, adam);
}

}  // namespace phase4::gan
