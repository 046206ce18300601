// common/rng.h -- the project's own random numbers, identical on every platform.
//
// Generator: xoshiro256** (Blackman and Vigna, 2018), 256 bits of state, period 2^256-1,
// seeded by running splitmix64 on the 64-bit seed (the seeding its authors recommend).
// All distributions below are written here, not taken from <random>, whose
// distributions differ between standard libraries: the same seed gives the same
// numbers with GCC or Clang, libstdc++ or libc++.
//
//   uniform()        double in [0, 1) from the top 53 bits of one draw
//   normal()         Box-Muller: z = sqrt(-2 ln u1) * cos(2 pi u2), second value cached
//   randint(lo, hi)  integer in [lo, hi), unbiased (rejection of the short last bucket)
//   shuffle(v)       Fisher-Yates, from the back
//   categorical(p)   index i with probability p[i] / sum(p) (inverse CDF)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace common {

// Everything that determines the numbers an Rng draws next: saved in a checkpoint and
// restored, a generator continues exactly where it stopped.
struct RngState {
  std::array<uint64_t, 4> s{};  // xoshiro256** state words (never all zero)
  bool has_spare = false;       // normal() has a second Box-Muller value cached
  double spare = 0.0;           // that value
};

class Rng {
 public:
  explicit Rng(uint64_t seed = 1);

  uint64_t next_u64();
  double uniform();                      // [0, 1)
  double uniform(double lo, double hi);  // [lo, hi)
  double normal();                       // mean 0, standard deviation 1
  double normal(double mean, double stddev);
  int64_t randint(int64_t lo, int64_t hi);  // [lo, hi); requires lo < hi
  int64_t categorical(const float* probabilities, int64_t n);
  int64_t categorical(const std::vector<float>& probabilities) {
    return categorical(probabilities.data(), static_cast<int64_t>(probabilities.size()));
  }

  RngState state() const;
  // Throws common::Error for an all-zero state (xoshiro would then draw 0 forever).
  void set_state(const RngState& state);

  template <class T>
  void shuffle(std::vector<T>& v) {
    for (int64_t i = static_cast<int64_t>(v.size()) - 1; i > 0; --i) {
      int64_t j = randint(0, i + 1);
      std::swap(v[static_cast<size_t>(i)], v[static_cast<size_t>(j)]);
    }
  }

 private:
  uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace common
