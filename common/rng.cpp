// common/rng.cpp -- see rng.h.
#include "rng.h"

#include <cmath>

#include "error.h"

namespace common {

namespace {

// splitmix64 (Vigna): turns any 64-bit seed, even 0 or 1, into well-mixed state words.
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

constexpr double kTwoPi = 6.283185307179586476925286766559;

}  // namespace

Rng::Rng(uint64_t seed) {
  uint64_t x = seed;
  for (auto& s : s_) s = splitmix64(x);
}

RngState Rng::state() const {
  return {{s_[0], s_[1], s_[2], s_[3]}, has_spare_, spare_};
}

void Rng::set_state(const RngState& state) {
  if (state.s[0] == 0 && state.s[1] == 0 && state.s[2] == 0 && state.s[3] == 0) {
    throw Error("Rng::set_state: the state words are all zero (not a saved xoshiro256** state)");
  }
  for (int i = 0; i < 4; ++i) s_[i] = state.s[static_cast<size_t>(i)];
  has_spare_ = state.has_spare;
  spare_ = state.spare;
}

// xoshiro256**: output = rotl(s1 * 5, 7) * 9, then the xor-shift state update.
uint64_t Rng::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

// The top 53 bits scaled by 2^-53: every double in [0, 1) on a uniform grid.
double Rng::uniform() {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

double Rng::uniform(double lo, double hi) {
  return lo + (hi - lo) * uniform();
}

// Box-Muller: two independent uniforms give two independent standard normals,
//   z0 = sqrt(-2 ln u1) cos(2 pi u2),  z1 = sqrt(-2 ln u1) sin(2 pi u2).
// z1 is kept for the next call. u1 is taken in (0, 1] so that ln u1 is finite.
double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double u1 = 1.0 - uniform();
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  spare_ = r * std::sin(kTwoPi * u2);
  has_spare_ = true;
  return r * std::cos(kTwoPi * u2);
}

double Rng::normal(double mean, double stddev) {
  return mean + stddev * normal();
}

// Unbiased integer in [lo, hi): draws that fall in the incomplete last block of
// 2^64 mod range values are rejected, so every value is equally likely.
int64_t Rng::randint(int64_t lo, int64_t hi) {
  if (lo >= hi) throw Error("Rng::randint: empty range");
  const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;  // multiple of range
  uint64_t x;
  do {
    x = next_u64();
  } while (x >= limit);
  return lo + static_cast<int64_t>(x % range);
}

// Inverse CDF: walk the cumulative sum until it passes u * total. Zero-probability
// entries are never chosen; rounding at the end falls back to the last positive entry.
int64_t Rng::categorical(const float* p, int64_t n) {
  double total = 0.0;
  int64_t last_positive = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (!(p[i] >= 0.0f) || !std::isfinite(p[i]))
      throw Error("Rng::categorical: probabilities must be finite and >= 0");
    total += p[i];
    if (p[i] > 0.0f) last_positive = i;
  }
  if (last_positive < 0) throw Error("Rng::categorical: all probabilities are zero");
  const double target = uniform() * total;
  double cumulative = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    cumulative += p[i];
    if (target < cumulative && p[i] > 0.0f) return i;
  }
  return last_positive;
}

}  // namespace common
