// phase2_backprop/gradcheck.h -- verifying backpropagation with finite differences.
//
// Backpropagation is exact calculus, but a hand-written backward pass can be wrong in
// ways that still train (a missing 1/N, a transposed product that happens to fit). The
// check compares each analytic derivative with a numeric one from central differences:
//
//   dL/dtheta_i  ~  ( L(theta + h e_i) - L(theta - h e_i) ) / (2 h)
//
// whose error is O(h^2) (the even terms of the Taylor series cancel) plus the rounding
// error of the two loss values divided by 2h. In float (7 digits) no h makes both small:
// h = 1e-3 leaves ~1e-4 of rounding noise. In double (16 digits), h = 1e-5 gives errors
// near 1e-10, so a correct backward pass agrees to 1e-7 or better, while a bug shows up
// as an error of order 1. That is why the layers are templates and the check runs in
// double (mlp.h).
//
// Per entry we report the relative error
//   rel = |a - n| / max(|a|, |n|, 1e-4)
// Why the floor: the numeric derivative carries a rounding error of about
// eps * |L| / h ~ 1e-16 * 1 / 1e-5 = 1e-11 whatever the size of the true derivative, so an
// entry of 1e-6 (a softmax probability that is nearly 0, a saturated sigmoid) can only be
// known to ~1e-5 relative. Below 1e-4 the measure therefore becomes the absolute error
// times 1e4: still 1e-7 for a correct entry, still ~1e-2 for an entry of 1e-6 that is
// wrong by 100%.
//
// ReLU has a kink at 0 where the derivative jumps: a difference that straddles it is
// meaningless. With random inputs in double the chance that a pre-activation lies within
// h = 1e-5 of 0 is about 1e-5 per unit, and gradcheck_mlp reports how close the nearest
// one came (min_abs_preactivation), so a failure caused by a kink is recognisable.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mlp.h"

namespace phase2 {

constexpr double kGradcheckStep = 1e-5;  // h

double relative_error(double analytic, double numeric);
// max_i relative_error(analytic[i], numeric[i])
double max_relative_error(const double* analytic, const double* numeric, int64_t n);

// Central differences of the scalar loss() with respect to each v[i]; v is perturbed in
// place and restored.
std::vector<double> numeric_gradient(const std::function<double()>& loss, double* v, int64_t n,
                                     double h = kGradcheckStep);

// One row of the table: a parameter tensor (or the input x).
struct GradcheckRow {
  std::string name;  // "W1", "b1", ..., "x"
  std::vector<int64_t> shape;
  double analytic_norm = 0.0;  // |dL/dtheta|_2 from backprop
  double numeric_norm = 0.0;   // |dL/dtheta|_2 from central differences
  double max_rel_error = 0.0;  // worst entry
};

struct GradcheckReport {
  std::string network;  // describe(config)
  int64_t N = 0;        // examples in the batch
  double loss = 0.0;
  double min_abs_preactivation = 0.0;  // closest any hidden z came to a ReLU kink
  std::vector<GradcheckRow> rows;
  double max_rel_error = 0.0;  // over all rows
};

// Builds a double-precision network with config, random weights and biases, a random
// batch of N examples (x ~ N(0, 1), random labels or targets in [0, 1]) and checks the
// gradient of every parameter tensor and of the input x.
GradcheckReport gradcheck_mlp(const MlpConfig& config, int64_t N, uint64_t seed);

// "name | shape | analytic | numeric | max relative error" as aligned text.
std::string format_gradcheck_table(const GradcheckReport& report);

}  // namespace phase2
