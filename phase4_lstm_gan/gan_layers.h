// phase4_lstm_gan/gan_layers.h -- the building blocks of the GAN half: initialisation, the
// fully connected layer, LeakyReLU, tanh, the sigmoid with binary cross-entropy from logits,
// Adam, and the NaN guard.
//
// Conventions of the GAN half (said once, here):
//   * Every layer is a pair X_forward / X_backward with mirrored signatures: outputs first,
//     then inputs, then sizes. Backward functions ACCUMULATE into the gradients they write
//     (d_in += ..., d_weight += ...), so the caller zeroes them once per step.
//   * Buffers are raw row-major arrays with a shape comment: N batch, D features, C channels,
//     H/W height/width. The convolutional files (gan_conv.h, deconv.h, batchnorm.h) store
//     maps with the batch innermost, (C, H, W, N), as phase 3 did.
//   * The math is templated over Real: float for training, double for the gradient checks
//     (tests/test_gan_gradcheck.cpp).
//   * Everything lives in namespace phase4::gan, so that nothing here clashes with the LSTM
//     half's layers (phase4::linear_forward, phase4::Adam...) in the same library.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "adam.h"
#include "error.h"
#include "matmul.h"
#include "rng.h"
#include "thread_pool.h"

namespace phase4::gan {

using common::mat;
using common::matmul;
using common::matmul_accumulate;
using common::transpose;

// ---------------------------------------------------------------------------
// Initialisation
//
// Two schemes, each the one its paper (or its framework) uses:
//   init_uniform: w ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default for nn.Linear
//                 (weights and biases), which the MLP GAN of 2014-style code relies on;
//   init_normal:  w ~ N(0, stddev^2); the DCGAN paper: "all weights were initialized from a
//                 zero-centered Normal distribution with standard deviation 0.02".
// Values are drawn in order from rng, so a seed fixes every weight.

inline void init_uniform(float* w, int64_t n, int64_t fan_in, common::Rng& rng) {
  const double a = 1.0 / std::sqrt(static_cast<double>(fan_in));
  for (int64_t i = 0; i < n; ++i) w[i] = static_cast<float>(rng.uniform(-a, a));
}
inline void init_normal(float* w, int64_t n, double stddev, common::Rng& rng, double mean = 0.0) {
  for (int64_t i = 0; i < n; ++i) w[i] = static_cast<float>(mean + stddev * rng.normal());
}

// ---------------------------------------------------------------------------
// Fully connected layer:  out = in W^T + b
//   in (N, D_in), weight W (D_out, D_in) (PyTorch's layout), bias b (D_out), out (N, D_out)
// Copied from phase3_cnn_rnn/layers.h.

template <class Real>
void linear_forward(Real* out, const Real* in, const Real* weight, const Real* bias, int64_t N,
                    int64_t D_in, int64_t D_out) {
  // out (N, D_out) = b, then += in (N, D_in) W^T (D_in, D_out) in one product.
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < D_out; ++o) out[n * D_out + o] = bias[o];
  matmul_accumulate(mat(out, N, D_out), mat(in, N, D_in), transpose(mat(weight, D_out, D_in)));
}
// From out[n][o] = sum_i in[n][i] W[o][i] + b[o]:
//   d_W (D_out, D_in) += d_out^T in     d_b += column sums of d_out     d_in += d_out W
// d_weight / d_bias may be null (a frozen net: the generator's step differentiates through
// the discriminator without changing it); d_in may be null (the first layer).
template <class Real>
void linear_backward(Real* d_in, Real* d_weight, Real* d_bias, const Real* d_out, const Real* in,
                     const Real* weight, int64_t N, int64_t D_in, int64_t D_out) {
  if (d_weight != nullptr)  // d_W (D_out, D_in) += d_out^T (D_out, N) in (N, D_in)
    matmul_accumulate(mat(d_weight, D_out, D_in), transpose(mat(d_out, N, D_out)),
                      mat(in, N, D_in));
  if (d_bias != nullptr)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t o = 0; o < D_out; ++o) d_bias[o] += d_out[n * D_out + o];
  if (d_in != nullptr)  // d_in (N, D_in) += d_out (N, D_out) W (D_out, D_in)
    matmul_accumulate(mat(d_in, N, D_in), mat(d_out, N, D_out), mat(weight, D_out, D_in));
}

// ---------------------------------------------------------------------------
// Activations (elementwise over n values)

// Loops shorter than this run on one thread: the pool's hand-off would cost more.
inline constexpr int64_t kElementGrain = 16384;

// LeakyReLU (Maas, Hannun and Ng 2013), slope 0.2 in both GAN papers' discriminators:
//   out = in if in > 0, else slope * in
template <class Real>
void leaky_relu_forward(Real* out, const Real* in, int64_t n, Real slope) {
  // The task copies slope and the pointers into locals: read through the task object they
  // could alias out[], and the compiler would reload them after every store instead of
  // vectorising the loop (measured: 6% of a DCGAN step, scalar).
  common::parallel_for(0, n, kElementGrain, [=](int64_t lo, int64_t hi) {
    const Real s = slope;
    const Real* x = in;
    Real* y = out;
    for (int64_t i = lo; i < hi; ++i) {
      const Real v = x[i];
      y[i] = v > Real(0) ? v : s * v;
    }
  });
}
// d_in += d_out * (1 if out > 0 else slope)   (out and in have the same sign)
template <class Real>
void leaky_relu_backward(Real* d_in, const Real* d_out, const Real* out, int64_t n, Real slope) {
  // Locals as in the forward; the select becomes a blend, no branch on random signs.
  common::parallel_for(0, n, kElementGrain, [=](int64_t lo, int64_t hi) {
    const Real s = slope;
    const Real* g = d_out;
    const Real* y = out;
    Real* dx = d_in;
    for (int64_t i = lo; i < hi; ++i) {
      const Real gi = g[i];
      dx[i] += y[i] > Real(0) ? gi : s * gi;
    }
  });
}

// ReLU, the DCGAN generator's hidden activation: out = max(0, in); d_in += d_out [out > 0]
template <class Real>
void relu_forward(Real* out, const Real* in, int64_t n) {
  leaky_relu_forward(out, in, n, Real(0));
}
template <class Real>
void relu_backward(Real* d_in, const Real* d_out, const Real* out, int64_t n) {
  leaky_relu_backward(d_in, d_out, out, n, Real(0));
}

// tanh, the generators' last activation: pixels in (-1, 1), like the data scaled to [-1, 1].
//   out = tanh(in)          d_in += d_out * (1 - out^2)
// (The C library's tanh: at 784 values per image it is a small part of a step.)
template <class Real>
void tanh_forward(Real* out, const Real* in, int64_t n) {
  common::parallel_for(0, n, kElementGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = std::tanh(in[i]);
  });
}
template <class Real>
void tanh_backward(Real* d_in, const Real* d_out, const Real* out, int64_t n) {
  common::parallel_for(0, n, kElementGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) d_in[i] += d_out[i] * (Real(1) - out[i] * out[i]);
  });
}

// ---------------------------------------------------------------------------
// The sigmoid and binary cross-entropy, from logits
//
// The discriminator outputs one logit l per image; D = sigmoid(l) = 1 / (1 + e^-l) is its
// belief that the image is real. For a target t in {0, 1} the cross-entropy is
//   BCE(l, t) = -t log sigmoid(l) - (1 - t) log(1 - sigmoid(l))
//             = softplus(l) - t l,          softplus(l) = log(1 + e^l)
// (because -log sigmoid(l) = softplus(-l) = softplus(l) - l and -log(1 - sigmoid(l)) =
// softplus(l)). softplus(l) = max(l, 0) + log1p(e^-|l|) never overflows: this is why
// PyTorch's BCEWithLogitsLoss takes logits, and why we do too.

template <class Real>
Real sigmoid(Real l) {
  return Real(1) / (Real(1) + std::exp(-l));
}
template <class Real>
Real softplus(Real l) {
  return std::max(l, Real(0)) + std::log1p(std::exp(-std::abs(l)));
}

// Mean over N logits of BCE(logit, target); summed in double, in order.
template <class Real>
Real bce_with_logits_forward(const Real* logits, Real target, int64_t N) {
  double sum = 0.0;
  for (int64_t n = 0; n < N; ++n) sum += softplus(logits[n]) - target * logits[n];
  return static_cast<Real>(sum / static_cast<double>(N));
}
// d/dl [softplus(l) - t l] = sigmoid(l) - t:   d_logits[n] += scale (sigmoid(l_n) - t) / N
template <class Real>
void bce_with_logits_backward(Real* d_logits, const Real* logits, Real target, int64_t N,
                              Real scale = Real(1)) {
  for (int64_t n = 0; n < N; ++n)
    d_logits[n] += scale * (sigmoid(logits[n]) - target) / static_cast<Real>(N);
}

// ---------------------------------------------------------------------------
// Layout changes between rows of images (N, D) and batch-innermost maps (D, N) = (C, H, W, N)
//   dst (cols, rows) = src (rows, cols)^T          backward: d_src += d_dst^T

template <class Real>
void transpose_forward(Real* dst, const Real* src, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
}
template <class Real>
void transpose_backward(Real* d_src, const Real* d_dst, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) d_src[r * cols + c] += d_dst[c * rows + r];
}

// ---------------------------------------------------------------------------
// Adam with the DCGAN settings: lr 2e-4, beta1 0.5 (Radford et al. found the default 0.9
// "resulted in training oscillation and instability"). The optimiser itself is the LSTM
// half's (adam.h, copied from phase 3): one Adam for the whole phase.
inline constexpr AdamConfig kDcganAdam{.lr = 2e-4f, .beta1 = 0.5f, .beta2 = 0.999f, .eps = 1e-8f};

// Throws common::Error naming the step and suggesting a lower --lr when a loss is NaN or Inf.
inline void check_finite_loss(double loss, int64_t step, const std::string& what) {
  if (!std::isfinite(loss))
    throw common::Error(what + ": the loss became " + std::to_string(loss) + " at step " +
                        std::to_string(step) + "; training diverged, try a lower --lr");
}

}  // namespace phase4::gan
