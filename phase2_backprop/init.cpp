// phase2_backprop/init.cpp -- see init.h.
#include "init.h"

#include <cmath>

namespace phase2 {

std::string init_name(Init init) {
  switch (init) {
    case Init::uniform_small:
      return "uniform_small";
    case Init::xavier:
      return "xavier";
    case Init::he:
      return "he";
  }
  return "?";
}

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

template void init_uniform_small<float>(float*, int64_t, int64_t, double, common::Rng&);
template void init_uniform_small<double>(double*, int64_t, int64_t, double, common::Rng&);
template void init_xavier_uniform<float>(float*, int64_t, int64_t, common::Rng&);
template void init_xavier_uniform<double>(double*, int64_t, int64_t, common::Rng&);
template void init_he_normal<float>(float*, int64_t, int64_t, common::Rng&);
template void init_he_normal<double>(double*, int64_t, int64_t, common::Rng&);

}  // namespace phase2
