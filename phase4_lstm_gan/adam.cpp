// phase4_lstm_gan/adam.cpp -- see adam.h. Copied from phase3_cnn_rnn/adam.cpp.
#include "adam.h"

#include <cmath>

namespace phase4 {

// ---------------------------------------------------------------------------
// Optimisation

float clip_grad_norm(float* grad, int64_t n, float max_norm) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(grad[i]) * grad[i];
  const float norm = static_cast<float>(std::sqrt(sum));
  // PyTorch's clip_grad_norm_ formula (the 1e-6 guards against dividing by zero).
  const float scale = max_norm / (norm + 1e-6f);
  if (scale < 1.0f)
    for (int64_t i = 0; i < n; ++i) grad[i] *= scale;
  return norm;
}

void Adam::step(float* w, const float* grad, float lr, const AdamConfig& c) {
  ++t;
  const float correction1 = 1.0f - std::pow(c.beta1, static_cast<float>(t));
  const float correction2 = 1.0f - std::pow(c.beta2, static_cast<float>(t));
  const int64_t n = static_cast<int64_t>(m.size());
  for (int64_t i = 0; i < n; ++i) {
    const size_t k = static_cast<size_t>(i);
    m[k] = c.beta1 * m[k] + (1.0f - c.beta1) * grad[i];
    v[k] = c.beta2 * v[k] + (1.0f - c.beta2) * grad[i] * grad[i];
    const float m_hat = m[k] / correction1;
    const float v_hat = v[k] / correction2;
    w[i] -= lr * m_hat / (std::sqrt(v_hat) + c.eps);
  }
}

}  // namespace phase4
