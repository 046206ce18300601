// phase2_backprop/init.h -- where gradient descent starts: initial weights.
//
// Backpropagation needs the hidden units to start DIFFERENT from one another: if every
// weight started equal, every hidden unit would compute the same thing and receive the
// same gradient, forever (the symmetry the 1986 paper breaks with "small random weights").
// How large "small" should be depends on the layer's fan-in and on the activation:
//
//   uniform_small  w ~ U(-s, s), a fixed s (0.5 here)        Rumelhart et al. 1986
//   xavier         w ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out))
//                  keeps Var(y) ~ Var(x) forward and backward for tanh-like units
//                                                            Glorot and Bengio 2010
//   he             w ~ N(0, 2 / fan_in): a ReLU zeroes half its inputs, so the variance
//                  is doubled to keep the signal from shrinking layer by layer
//                                                            He et al. 2015
// Biases start at 0 in every scheme. Every draw comes from common::Rng, element by
// element in row-major order, so a seed gives the same network on every platform (and
// pytorch/twin.py, which re-implements the generator, builds the very same weights).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "rng.h"

namespace phase2 {

enum class Init { uniform_small, xavier, he };

std::string init_name(Init init);

// weight (fan_out, fan_in), i.e. (O, I)
template <class T>
void init_uniform_small(T* weight, int64_t fan_in, int64_t fan_out, double scale,
                        common::Rng& rng) {
  for (int64_t i = 0; i < fan_in * fan_out; ++i)
    weight[i] = static_cast<T>(rng.uniform(-scale, scale));
}
template <class T>
void init_xavier_uniform(T* weight, int64_t fan_in, int64_t fan_out, common::Rng& rng) {
  // a = sqrt(6 / (fan_in + fan_out)): U(-a, a) has variance a^2 / 3 = 2 / (fan_in + fan_out)
  const double a = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  for (int64_t i = 0; i < fan_in * fan_out; ++i) weight[i] = static_cast<T>(rng.uniform(-a, a));
}
template <class T>
void init_he_normal(T* weight, int64_t fan_in, int64_t fan_out, common::Rng& rng) {
  // standard deviation sqrt(2 / fan_in)
  const double stddev = std::sqrt(2.0 / static_cast<double>(fan_in));
  for (int64_t i = 0; i < fan_in * fan_out; ++i) weight[i] = static_cast<T>(rng.normal() * stddev);
}

}  // namespace phase2
