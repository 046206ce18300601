// phase2_backprop/datasets.h -- the small problems of this phase, generated in code.
//
//   xor        4 points: the function a single-layer perceptron cannot learn (phase 1)
//   encoder    8 one-hot patterns to reproduce through 3 hidden units (Rumelhart, Hinton
//              and Williams 1986)
//   symmetry   all 64 6-bit strings: is the string a palindrome? (same paper)
//   spirals    two interleaved spirals (Lang and Witbrock 1988), the classic "hard for a
//              network" benchmark
//   moons      two interleaving half circles with noise
// Random ones draw from common::Rng, so a seed gives the same points everywhere
// (pytorch/twin.py re-implements the generator and rebuilds the same spirals).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rng.h"
#include "tensor.h"

namespace phase2 {

struct Dataset {
  std::string name;
  int64_t classes = 0;      // for classification; the output width for MSE tasks
  common::Tensor x;         // inputs (N, D)
  std::vector<int> labels;  // (N) class of each example (encoder: pattern index)
  common::Tensor targets;   // (N, C) target values for MSE tasks; empty otherwise
  int64_t size() const { return x.empty() ? 0 : x.dim(0); }
};

// x in {0,1}^2, label = x1 XOR x2, targets (4, 1) = label.
Dataset xor_dataset();
// n one-hot patterns of length n; targets = inputs; label = the position of the 1.
Dataset encoder_dataset(int n = 8);
// All 2^bits strings of bits; label/target 1 when the string reads the same backwards.
// Bit i of pattern k is (k >> (bits-1-i)) & 1, so pattern k is k written in binary.
Dataset symmetry_dataset(int bits = 6);

// per_class points on each of two spirals, with Gaussian noise of standard deviation
// `noise` added to each coordinate. Coordinates lie roughly in [-1, 1].
Dataset two_spirals(int64_t per_class, double noise, common::Rng& rng);
// per_class points on each of two half circles, with Gaussian noise; centred near 0.
Dataset two_moons(int64_t per_class, double noise, common::Rng& rng);

}  // namespace phase2
