// phase5_resnet/layers.cpp -- see layers.h (copied forward from phase3_cnn_rnn/layers.cpp).
#include "layers.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>
#include <vector>

#include "error.h"
#include "thread_pool.h"

namespace phase5 {

// ---------------------------------------------------------------------------
// Initialisation

float lecun_std(int64_t fan_in) {
  return static_cast<float>(std::sqrt(1.0 / fan_in));
}
float he_std(int64_t fan_in) {
  return static_cast<float>(std::sqrt(2.0 / fan_in));
}

void init_normal(float* w, int64_t n, float stddev, common::Rng& rng) {
  for (int64_t i = 0; i < n; ++i) w[i] = static_cast<float>(rng.normal() * stddev);
}

void argmax_rows(int* predicted, const float* scores, int64_t N, int64_t V) {
  for (int64_t n = 0; n < N; ++n) {
    const float* s = scores + n * V;
    predicted[n] = static_cast<int>(std::max_element(s, s + V) - s);
  }
}

// ---------------------------------------------------------------------------
// Optimisation

void sgd_momentum_step(float* w, const float* grad, float* velocity, int64_t n, float lr,
                       const SgdConfig& config) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] + config.weight_decay * w[i];
    velocity[i] = config.momentum * velocity[i] + g;
    w[i] -= lr * velocity[i];
  }
}

float cosine_lr(float base_lr, int64_t step, int64_t total_steps) {
  if (total_steps <= 0) return base_lr;
  const double progress = std::min(1.0, static_cast<double>(step) / total_steps);
  return static_cast<float>(base_lr * 0.5 * (1.0 + std::cos(3.14159265358979323846 * progress)));
}

void check_finite_loss(double loss, int64_t step, const char* what) {
  if (!std::isfinite(loss)) {
    throw common::Error(std::string(what) + ": the loss became " + std::to_string(loss) +
                        " at step " + std::to_string(step) +
                        "; training diverged, try a lower --lr");
  }
}

}  // namespace phase5
