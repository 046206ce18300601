// phase2_backprop/datasets.cpp -- see datasets.h.
#include "datasets.h"

#include <cmath>

#include "error.h"

namespace phase2 {

namespace {

constexpr double kPi = 3.14159265358979323846;

Dataset make(const std::string& name, int64_t N, int64_t D, int64_t classes, bool with_targets) {
  Dataset ds;
  ds.name = name;
  ds.classes = classes;
  ds.x = common::Tensor({N, D});
  ds.labels.assign(static_cast<size_t>(N), 0);
  if (with_targets) ds.targets = common::Tensor({N, classes});
  return ds;
}

}  // namespace

// ---------------------------------------------------------------------------
// The 1986 problems (exhaustive: every pattern is in the set)

Dataset xor_dataset() {
  Dataset ds = make("xor", 4, 2, 1, true);
  for (int k = 0; k < 4; ++k) {
    const int a = k >> 1, b = k & 1;
    ds.x.at(k, 0) = static_cast<float>(a);
    ds.x.at(k, 1) = static_cast<float>(b);
    ds.labels[k] = a ^ b;
    ds.targets.at(k, 0) = static_cast<float>(a ^ b);
  }
  return ds;
}

Dataset encoder_dataset(int n) {
  if (n < 2) throw common::Error("encoder_dataset: need at least 2 patterns");
  Dataset ds = make("encoder", n, n, n, true);
  for (int k = 0; k < n; ++k) {
    ds.x.at(k, k) = 1.0f;
    ds.targets.at(k, k) = 1.0f;
    ds.labels[k] = k;
  }
  return ds;
}

Dataset symmetry_dataset(int bits) {
  if (bits < 2 || bits > 16) throw common::Error("symmetry_dataset: bits must be in 2..16");
  const int64_t N = int64_t{1} << bits;
  Dataset ds = make("symmetry", N, bits, 1, true);
  for (int64_t k = 0; k < N; ++k) {
    bool symmetric = true;
    for (int i = 0; i < bits; ++i) {
      const int bit = static_cast<int>((k >> (bits - 1 - i)) & 1);
      const int mirror = static_cast<int>((k >> i) & 1);  // bit bits-1-i
      ds.x.at(k, i) = static_cast<float>(bit);
      if (bit != mirror) symmetric = false;
    }
    ds.labels[k] = symmetric ? 1 : 0;
    ds.targets.at(k, 0) = symmetric ? 1.0f : 0.0f;
  }
  return ds;
}

// ---------------------------------------------------------------------------
// Generated 2-D data

// Lang and Witbrock's spirals: point i of 97 (i = 0..96) sits at angle phi = i pi / 16 and
// radius r = 6.5 (104 - i) / 104, at (r sin phi, r cos phi); the second spiral is the
// first rotated by 180 degrees, (-x, -y). Three turns each, 1.0 apart at the widest.
// Here i is drawn uniformly from [0, 96] (a continuous position along the spiral), so
// fresh draws are points the network never saw, the coordinates are divided by 6.5 to lie
// in [-1, 1], and Gaussian noise is added. Points alternate between the two classes.
Dataset two_spirals(int64_t per_class, double noise, common::Rng& rng) {
  Dataset ds = make("spirals", 2 * per_class, 2, 2, false);
  for (int64_t k = 0; k < 2 * per_class; ++k) {
    const int label = static_cast<int>(k % 2);
    const double i = 96.0 * rng.uniform();
    const double phi = i * kPi / 16.0;
    const double r = (104.0 - i) / 104.0;  // 6.5 (104 - i) / 104, divided by 6.5
    const double sign = label == 0 ? 1.0 : -1.0;
    const double px = sign * r * std::sin(phi) + noise * rng.normal();
    const double py = sign * r * std::cos(phi) + noise * rng.normal();
    ds.x.at(k, 0) = static_cast<float>(px);
    ds.x.at(k, 1) = static_cast<float>(py);
    ds.labels[static_cast<size_t>(k)] = label;
  }
  return ds;
}

// The upper half circle (cos t, sin t) and the lower one (1 - cos t, 0.5 - sin t),
// t uniform in [0, pi], interleave without touching; shifted by (-0.5, -0.25) to centre
// them. Points alternate between the two classes.
Dataset two_moons(int64_t per_class, double noise, common::Rng& rng) {
  Dataset ds = make("moons", 2 * per_class, 2, 2, false);
  for (int64_t k = 0; k < 2 * per_class; ++k) {
    const int label = static_cast<int>(k % 2);
    const double t = kPi * rng.uniform();
    double px = label == 0 ? std::cos(t) : 1.0 - std::cos(t);
    double py = label == 0 ? std::sin(t) : 0.5 - std::sin(t);
    px += noise * rng.normal() - 0.5;
    py += noise * rng.normal() - 0.25;
    ds.x.at(k, 0) = static_cast<float>(px);
    ds.x.at(k, 1) = static_cast<float>(py);
    ds.labels[static_cast<size_t>(k)] = label;
  }
  return ds;
}

}  // namespace phase2
