// phase4_lstm_gan/adam.h -- the optimiser of every model in this phase: gradient-norm clipping and
// Adam. Copied from phase3_cnn_rnn/adam.h (its step runs vectorised on all threads here: adam.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace phase4 {

// ---------------------------------------------------------------------------
// Optimisation

// Gradient-norm clipping (Pascanu, Mikolov and Bengio, 2013): when the norm of the whole
// gradient exceeds max_norm, scale it down to max_norm. The exploding-gradient twin of
// the vanishing gradient makes a rare step enormous; clipping keeps its direction and
// caps its length. Returns the norm before clipping.
float clip_grad_norm(float* grad, int64_t n, float max_norm);

// Adam (Kingma and Ba, 2015) -- a later optimiser than anything in the RNN papers of
// 1990, used here because a vanilla RNN trains far more reliably with it than with plain
// SGD. It keeps running averages of the gradient (m, the momentum) and of its square
// (v), and divides one by the square root of the other, so every weight gets its own
// step size:
//   m = beta1 m + (1 - beta1) g          v = beta2 v + (1 - beta2) g^2
//   m_hat = m / (1 - beta1^t)            v_hat = v / (1 - beta2^t)     (bias correction)
//   w = w - lr m_hat / (sqrt(v_hat) + eps)
struct AdamConfig {
  float lr = 2e-3f;      // base learning rate
  float beta1 = 0.9f;    // decay of the gradient average
  float beta2 = 0.999f;  // decay of the squared-gradient average
  float eps = 1e-8f;     // keeps the division finite
};

struct Adam {
  explicit Adam(int64_t n) : m(static_cast<size_t>(n)), v(static_cast<size_t>(n)) {}
  void step(float* w, const float* grad, float lr, const AdamConfig& config);
  std::vector<float> m, v;  // first and second moment, one per parameter
  int64_t t = 0;            // steps taken (for the bias correction)
};

}  // namespace phase4
