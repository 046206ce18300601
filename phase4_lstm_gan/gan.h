// phase4_lstm_gan/gan.h -- the adversarial game (Goodfellow et al. 2014), the MLP GAN and
// its conditional twin (Mirza and Osindero 2014).
//
// Two networks play. The generator G turns noise z ~ N(0, I) into an image; the
// discriminator D scores an image with one logit l, D(x) = sigmoid(l) being its belief that
// x is a real digit. The value function of the game (Goodfellow et al. 2014, eq. 1):
//
//   min_G max_D V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]
//
// D ascends V: it is a binary classifier, real (target 1) against generated (target 0), so
// its loss is the cross-entropy
//   L_D = BCE(l_real, 1) + BCE(l_fake, 0) = -log D(x) - log(1 - D(G(z)))      (means)
// G should descend V, i.e. minimise log(1 - D(G(z))). Early in training D rejects G's
// samples with confidence, D(G(z)) ~ 0, where log(1 - D) is flat: its gradient with respect
// to the logit is -D(G(z)) ~ 0 and G learns nothing (it "saturates"). The paper's fix, used
// by everyone since, is the NON-SATURATING loss: G maximises log D(G(z)) instead,
//   L_G = BCE(l_fake, 1) = -log D(G(z)),   dL_G/dl = D(G(z)) - 1 ~ -1 when D wins,
// the same fixed point (D = 1/2 everywhere when p_G = p_data), strong gradients early.
// (README.md, "The GAN half", derives both.)
//
// The updates alternate: one Adam step of D on a real and a generated batch, then one of G
// through the updated D, which stays frozen during G's step (its gradients are not kept).
// Adam with the DCGAN settings, lr 2e-4, beta1 0.5 (gan_layers.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data.h"
#include "gan_layers.h"
#include "rng.h"
#include "tensor.h"

namespace phase4::gan {

inline constexpr int64_t kImageSide = 28, kPixels = 784, kClasses = 10;

// ---------------------------------------------------------------------------
// The losses (means over the N logits of a batch), forward and backward side by side

// L_D = BCE(l_real, 1) + BCE(l_fake, 0)
template <class Real>
Real discriminator_loss_forward(const Real* real_logits, const Real* fake_logits, int64_t N) {
  return bce_with_logits_forward(real_logits, Real(1), N) +
         bce_with_logits_forward(fake_logits, Real(0), N);
}
// d_real[n] += (sigmoid(l_real[n]) - 1) / N;   d_fake[n] += sigmoid(l_fake[n]) / N
template <class Real>
void discriminator_loss_backward(Real* d_real, Real* d_fake, const Real* real_logits,
                                 const Real* fake_logits, int64_t N) {
  bce_with_logits_backward(d_real, real_logits, Real(1), N);
  bce_with_logits_backward(d_fake, fake_logits, Real(0), N);
}

// Non-saturating generator loss: L_G = BCE(l_fake, 1) = mean -log D(G(z))
template <class Real>
Real generator_loss_forward(const Real* fake_logits, int64_t N) {
  return bce_with_logits_forward(fake_logits, Real(1), N);
}
// d_fake[n] += (sigmoid(l_fake[n]) - 1) / N = (D(G(z_n)) - 1) / N
template <class Real>
void generator_loss_backward(Real* d_fake, const Real* fake_logits, int64_t N) {
  bce_with_logits_backward(d_fake, fake_logits, Real(1), N);
}

// The saturating (minimax) loss, for comparison: L = mean log(1 - D(G(z))) = -BCE(l_fake, 0),
// d_fake[n] += -sigmoid(l_fake[n]) / N, which vanishes as D(G(z)) -> 0.
template <class Real>
Real generator_loss_minimax_forward(const Real* fake_logits, int64_t N) {
  return -bce_with_logits_forward(fake_logits, Real(0), N);
}
template <class Real>
void generator_loss_minimax_backward(Real* d_fake, const Real* fake_logits, int64_t N) {
  bce_with_logits_backward(d_fake, fake_logits, Real(0), N, Real(-1));
}

// ---------------------------------------------------------------------------
// A GAN, whatever its networks: what the training loop (train_gan) needs from a model.
// The MLP GAN and cGAN are below (gan.cpp), the DCGAN in dcgan.h/.cpp. Images are rows
// (N, 784) with pixels in [-1, 1]; labels (N) are the requested digits of a conditional
// model (ignored, and may be null, for an unconditional one).
class GanModel {
 public:
  virtual ~GanModel() = default;
  virtual std::string name() const = 0;
  virtual int64_t z_dim() const = 0;
  virtual bool conditional() const = 0;
  // Weights from the seed (each model's paper's scheme), Adam moments zeroed.
  virtual void init(common::Rng& rng) = 0;

  // G: z (N, z_dim) -> images (N, 784). train: BatchNorm uses (and records) the batch
  // statistics; otherwise its running averages. The returned buffer lives in the model
  // until the next generate().
  virtual const float* generate(const float* z, const int* labels, int64_t N, bool train) = 0;
  // After generate(train): accumulates dL/dG's weights from d_images (N, 784).
  virtual void generator_backward(const float* d_images, int64_t N) = 0;
  // D: images (N, 784) -> logits (N), in training mode.
  virtual const float* discriminate(const float* images, const int* labels, int64_t N) = 0;
  // After discriminate(). update_weights (D's own step): accumulates into D's gradients and
  // returns null -- nobody needs the images' gradient then, and it is not computed. Otherwise
  // (G's step, through a frozen D): returns d_images (N, 784), D's gradients untouched.
  virtual const float* discriminator_backward(const float* d_logits, int64_t N,
                                              bool update_weights) = 0;

  virtual void zero_generator_grads() = 0;
  virtual void zero_discriminator_grads() = 0;
  virtual void step_generator(const AdamConfig& adam) = 0;
  virtual void step_discriminator(const AdamConfig& adam) = 0;
};

// ---------------------------------------------------------------------------
// Training: alternating updates

struct GanTrainConfig {
  int epochs = 30;
  int64_t batch_size = 64;
  AdamConfig adam = kDcganAdam;  // lr 2e-4, beta1 0.5, beta2 0.999
  uint64_t seed = 1;             // initialisation, shuffling, noise
  bool verbose = true;
};

struct GanEpochRecord {
  int epoch = 0;
  double d_loss = 0.0, g_loss = 0.0;  // means over the epoch's steps
  double d_real = 0.0, d_fake = 0.0;  // mean D(x) on real and D(G(z)) on generated images
  double seconds = 0.0;               // training time of this epoch
};

// Trains the model on images (N, 784) in [0, 1] (scaled to [-1, 1] here) with labels (N),
// calling on_epoch after every epoch (pictures). Returns one record per epoch.
std::vector<GanEpochRecord> train_gan(
    GanModel& model, const common::Tensor& images, const std::vector<int>& labels,
    const GanTrainConfig& config,
    const std::function<void(const GanEpochRecord&)>& on_epoch = nullptr);

// n fixed noise vectors (n, z_dim) from their own seed, and for a conditional model the
// requested digits 0, 1, ..., 9, 0, 1, ...
std::vector<float> fixed_noise(int64_t n, int64_t z_dim, uint64_t seed);
std::vector<int> cycling_labels(int64_t n);
// G in evaluation mode on z (n, z_dim): images (n, 784) mapped back to [0, 1].
std::vector<float> sample_images(GanModel& model, const std::vector<float>& z,
                                 const std::vector<int>& labels, int64_t n);

// ---------------------------------------------------------------------------
// The MLP GAN (Goodfellow et al. 2014 style) and the cGAN (Mirza and Osindero 2014)
//
//   G: z (64) [+ one-hot label (10)] -> 256 -> 512 -> 784, LeakyReLU 0.2, tanh at the end
//   D: image (784) [+ one-hot label (10)] -> 512 -> 256 -> 1 logit, LeakyReLU 0.2
// The conditional model feeds the requested digit, one-hot, into BOTH nets: G learns to draw
// that digit, D to reject an image that does not match its label.

struct MlpGanConfig {
  int64_t z_dim = 64;
  std::vector<int64_t> g_hidden{256, 512};
  std::vector<int64_t> d_hidden{512, 256};
  int64_t classes = 0;  // 0: unconditional; 10: the cGAN
  float slope = 0.2f;   // LeakyReLU
};

// A stack of fully connected layers: LeakyReLU after every hidden layer, tanh or nothing
// (a logit) after the last. All weights in one buffer: layer l's W (D_{l+1}, D_l), b (D_{l+1}).
struct Mlp {
  std::vector<int64_t> sizes;  // D_0 (input), D_1, ..., D_L (output)
  bool tanh_output = false;
  float slope = 0.2f;
  std::vector<float> params, grads;
  std::vector<int64_t> w_at, b_at;  // offsets of each layer's W and b in params / grads
  Adam adam{0};

  Mlp(std::vector<int64_t> sizes, bool tanh_output, float slope);
  int64_t layers() const { return static_cast<int64_t>(sizes.size()) - 1; }
  void init(common::Rng& rng);  // PyTorch's nn.Linear default: U(+-1/sqrt(fan_in)), W and b
};

// The activations of one batch: out[l] (N, D_{l+1}) after the activation, and gradients.
struct MlpState {
  std::vector<std::vector<float>> out, d_out, d_pre;
  std::vector<float> d_in;  // (N, D_0)
  const float* in = nullptr;
  int64_t N = 0;
};

// out[L-1] = the net on in (N, D_0).
void mlp_forward(MlpState& state, const Mlp& net, const float* in, int64_t N);
// From d_output (N, D_L): accumulates into net.grads when update_weights, fills state.d_in
// (N, D_0) when input_gradient.
void mlp_backward(MlpState& state, Mlp& net, const float* d_output, bool update_weights,
                  bool input_gradient);

class MlpGan : public GanModel {
 public:
  explicit MlpGan(const MlpGanConfig& config);
  std::string name() const override { return config_.classes > 0 ? "cgan" : "mlp"; }
  int64_t z_dim() const override { return config_.z_dim; }
  bool conditional() const override { return config_.classes > 0; }
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

  Mlp g, d;

 private:
  MlpGanConfig config_;
  MlpState g_state_, d_state_;
  std::vector<float> g_in_, d_in_;  // (N, z_dim + classes), (N, 784 + classes): with the label
  std::vector<float> d_images_;     // (N, 784)
};

}  // namespace phase4::gan
