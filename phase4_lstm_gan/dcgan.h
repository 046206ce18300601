// phase4_lstm_gan/dcgan.h -- the deep convolutional GAN (Radford, Metz and Chintala 2015,
// "Unsupervised representation learning with deep convolutional generative adversarial
// networks"), sized for 28x28 digits.
//
//   G: z (100) -> fully connected 128x7x7 -> BatchNorm, ReLU
//              -> transposed conv 4x4 stride 2 pad 1, 64 maps  (14x14) -> BatchNorm, ReLU
//              -> transposed conv 4x4 stride 2 pad 1, 1 map    (28x28) -> tanh
//   D: image (1x28x28) -> conv 4x4 stride 2 pad 1, 64 maps   (14x14) -> LeakyReLU 0.2
//                      -> conv 4x4 stride 2 pad 1, 128 maps  (7x7)   -> BatchNorm, LeakyReLU 0.2
//                      -> fully connected 6272 -> 1 logit
//
// The paper's recipe, all of it here: strided convolutions instead of pooling (D learns its
// own downsampling, G its upsampling by transposed convolutions, deconv.h); BatchNorm in both
// nets except G's output and D's input layer (batchnorm.h); ReLU in G with tanh at the output,
// LeakyReLU in D; no hidden fully connected layers beyond the projection of z; weights from
// N(0, 0.02^2) (BatchNorm's gamma from N(1, 0.02^2), as in PyTorch's DCGAN example); Adam with
// lr 2e-4, beta1 0.5.
//
// Layout: maps batch innermost (C, H, W, N), images as rows (N, 784), transposed where they
// meet (gan_layers.h). Every layer has a bias, also before a BatchNorm (where it cancels:
// harmless, and it keeps every layer the same call).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "deconv.h"
#include "gan.h"
#include "gan_conv.h"

namespace phase4::gan {

struct DcganConfig {
  int64_t z_dim = 100;
  int64_t g_maps0 = 128, g_maps1 = 64;  // G: 128x7x7 -> 64x14x14 -> 1x28x28
  int64_t d_maps1 = 64, d_maps2 = 128;  // D: 1x28x28 -> 64x14x14 -> 128x7x7
  float slope = 0.2f;                   // D's LeakyReLU
};

// One buffer of parameters and a gradient twin, with named tensors (for the golden test,
// initialisation and pictures): name, offset, shape.
struct ParamBlock {
  struct Tensor {
    std::string name;
    int64_t offset;
    std::vector<int64_t> shape;
    int64_t size() const;
  };
  std::vector<float> params, grads;
  std::vector<Tensor> tensors;
  Adam adam{0};

  int64_t add(const std::string& name, std::vector<int64_t> shape);  // returns the offset
  void finish();                                                     // allocates
  float* p(int64_t offset) { return params.data() + offset; }
  float* g(int64_t offset) { return grads.data() + offset; }
  const Tensor& find(const std::string& name) const;
};

class Dcgan : public GanModel {
 public:
  explicit Dcgan(const DcganConfig& config = {});
  std::string name() const override { return "dcgan"; }
  int64_t z_dim() const override { return config_.z_dim; }
  bool conditional() const override { return false; }
  void init(common::Rng& rng) override;
  const float* generate(const float* z, const int* labels, int64_t N, bool train) override;
  void generator_backward(const float* d_images, int64_t N) override;
  const float* discriminate(const float* images, const int* labels, int64_t N) override;
  const float* discriminator_backward(const float* d_logits, int64_t N,
                                      bool update_weights) override;
  void zero_generator_grads() override;
  void zero_discriminator_grads() override;
  void step_generator(const AdamConfig& adam) override;
  void step_discriminator(const AdamConfig& adam) override;

  ParamBlock g, d;
  // BatchNorm running averages (evaluation mode), per channel.
  std::vector<float> g_bn0_mean, g_bn0_var, g_bn1_mean, g_bn1_var, d_bn_mean, d_bn_var;

 private:
  void size_buffers(int64_t N);
  DcganConfig config_;
  // Offsets of G's and D's tensors in their blocks.
  int64_t g_fc_w, g_fc_b, g_bn0_gamma, g_bn0_beta, g_dc1_w, g_dc1_b, g_bn1_gamma, g_bn1_beta,
      g_dc2_w, g_dc2_b;
  int64_t d_c1_w, d_c1_b, d_c2_w, d_c2_b, d_bn_gamma, d_bn_beta, d_fc_w, d_fc_b;
  // The activations of one batch (N images), G's then D's, with their gradients. M0 = 128
  // channels x 7x7, M1 = 64 x 14x14.
  int64_t batch_ = 0;
  std::vector<float> z_;             // (N, 100)   G's input
  std::vector<float> g_h0;           // (N, 6272)  fc output
  std::vector<float> g_m0;           // (128, 7, 7, N) the same, as maps
  std::vector<float> g_xhat0, g_a0;  // (128, 7, 7, N) normalised, after BN + ReLU
  std::vector<float> g_m1;           // (64, 14, 14, N) deconv 1
  std::vector<float> g_xhat1, g_a1;  // (64, 14, 14, N)
  std::vector<float> g_m2;           // (1, 28, 28, N) deconv 2 then tanh, in place
  std::vector<float> g_out;          // (N, 784)
  std::vector<float> g_mean0, g_istd0, g_mean1, g_istd1;  // BN batch statistics (C)
  std::vector<float> g_cols1, g_cols2;                    // deconv workspaces
  std::vector<float> d_x;                                 // (1, 28, 28, N) D's input as maps
  std::vector<float> d_a1;                                // (64, 14, 14, N) conv 1 + LeakyReLU
  std::vector<float> d_m2, d_xhat2, d_a2;  // (128, 7, 7, N) conv 2, normalised, activated
  std::vector<float> d_flat;               // (N, 6272)
  std::vector<float> d_logit;              // (N, 1)
  std::vector<float> d_mean2, d_istd2;
  std::vector<float> d_cols1, d_cols2;  // conv workspaces (im2col of conv 1, conv 2)
  // Gradients of the activations (the "dd_" prefix: D's; "dg_": G's).
  // b0, b1, b2: BatchNorm outputs (before the activation), c1: conv 1 before LeakyReLU.
  std::vector<float> dd_flat, dd_a2, dd_b2, dd_m2, dd_a1, dd_c1, dd_x, dd_cols, dd_images;
  std::vector<float> dg_t, dg_m2, dg_a1, dg_b1, dg_m1, dg_a0, dg_b0, dg_m0, dg_h0, dg_cols;
  int64_t batch_n_ = 0, d_batch_n_ = 0;  // N of the last generate() / discriminate()
};

}  // namespace phase4::gan
