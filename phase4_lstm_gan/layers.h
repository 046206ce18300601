// phase4_lstm_gan/layers.h -- the building blocks the phase's models share: matrix
// products, initialisation, activations (tanh, sigmoid, ReLU), the fully connected layer,
// softmax cross-entropy, the learning-rate schedule.
// Copied from phase3_cnn_rnn/layers.h; new here: the sigmoid (the LSTM's gates), and
// SGD with momentum left behind (every model of this phase trains with Adam, adam.h).
//
// Conventions for the whole phase (said once, here):
//   * Every layer is a pair X_forward / X_backward with mirrored signatures: outputs
//     first, then inputs, then sizes. Backward functions ACCUMULATE into the gradients
//     they write (d_in += ..., d_weight += ...), so the caller zeroes them once per step
//     and a tensor used twice simply receives both contributions.
//   * Buffers are raw row-major arrays; a comment gives each one's shape with the
//     letters N (batch), D (features), V (classes / vocabulary), T (time), B (batch of
//     sequences), H (hidden units).
//   * The math functions are templates over `Real`: float for training, double for the
//     gradient checks (tests/test_gradcheck.cpp), which need the extra precision to see
//     relative errors of 1e-6 through finite differences. They live here, in
//     the header, so each precision is compiled where it is used.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "matmul.h"
#include "rng.h"
#include "thread_pool.h"

namespace phase4 {

// ---------------------------------------------------------------------------
// Matrix products: common/matmul.h (float through common::gemm, double by a plain loop
// for the gradient checks), brought into this namespace so call sites read
// `matmul_accumulate(mat(out, N, D_out), mat(in, N, D_in), transpose(mat(weight, D_out, D_in)))`.
using common::mat;
using common::matmul;
using common::matmul_accumulate;
using common::transpose;

// ---------------------------------------------------------------------------
// Initialisation
//
// A layer's output variance is fan_in * Var(w) * E[x^2]. Keeping it constant from layer
// to layer needs Var(w) = gain / fan_in:
//   LeCun et al. 1998 ("Efficient BackProp"): gain 1, for tanh, whose slope at 0 is 1;
//   He et al. 2015: gain 2, for ReLU, which zeroes half of its inputs.
// Biases start at zero.

float lecun_std(int64_t fan_in);  // sqrt(1 / fan_in)
float he_std(int64_t fan_in);     // sqrt(2 / fan_in)
// w[i] ~ Normal(0, stddev^2), i < n, drawn in order from rng.
void init_normal(float* w, int64_t n, float stddev, common::Rng& rng);

// ---------------------------------------------------------------------------
// Activations (elementwise over n values)

// Elementwise loops are split over the thread pool in chunks of at least this many
// values; below it the pool's hand-off costs more than it saves.
inline constexpr int64_t kElementGrain = 16384;

// out = tanh(in)                           d_in += d_out * (1 - out^2)
// The plain version: the C library's tanh, one value at a time, on one thread. The
// tests hold tanh_forward to it.
template <class Real>
void tanh_plain_forward(Real* out, const Real* in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = std::tanh(in[i]);
}

// ===========================================================================
// FAST VERSION: tanh_forward below splits the values over the threads
// (kElementGrain per chunk at least) and, in float, computes tanh with the formula of
// tanh_of instead of the C library.
// tanh for float, computed here instead of by the C library, because the library's
// tanhf is a function call the compiler cannot vectorise: in the character RNN it took
// 45% of the training time; this version is about 30 times faster and accurate to
// 2e-7 relative (about 2 units in the last place), also near 0. The formula:
//   tanh(x) = expm1(2x) / (expm1(2x) + 2),       expm1(y) = e^y - 1,
// and e^y - 1 by range reduction: y = k ln2 + r with integer k and |r| <= ln2 / 2, so
//   e^y - 1 = 2^k (e^r - 1) + (2^k - 1),
// where e^r - 1 = r + r^2/2! + ... + r^7/7! (the Taylor series; the next term is below
// 6e-9), and 2^k is made directly from its bits. Written without branches (selects and
// clamps only); the phase is compiled with -fno-trapping-math so that GCC vectorises it
// (see CMakeLists.txt). A unit test compares it with std::tanh.
inline float tanh_of(float x) {
  // tanh(20) rounds to 1 in float, so clamping 2x to [-40, 40] changes nothing. A NaN
  // compares false and passes through the clamp, then through r to the result, so NaN
  // in gives NaN out and training's NaN checks keep working; +-Inf gives +-1.
  const float y2 = 2.0f * x;
  const float y1 = y2 < -40.0f ? -40.0f : y2;
  const float y = y1 > 40.0f ? 40.0f : y1;
  const float y_k = y == y ? y : 0.0f;  // only a number may be converted to an integer
  // k = round(y / ln2);  r = y - k ln2 (ln2 split in two parts, so k * ln2_hi is exact)
  const int32_t k = static_cast<int32_t>(y_k * 1.44269504088896341f + (y_k < 0.0f ? -0.5f : 0.5f));
  const float kf = static_cast<float>(k);
  const float r = (y - kf * 0.693145751953125f) - kf * 1.428606765330187e-06f;
  float p = 1.0f / 5040.0f;  // Horner: ((((((r/7! + 1/6!) r + 1/5!) r + ...) r + 1) r
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r;
  const float two_k = std::bit_cast<float>((k + 127) << 23);  // IEEE 754: exponent field k
  const float em1 = two_k * p + (two_k - 1.0f);
  return em1 / (em1 + 2.0f);
}
// Double precision (the gradient checks) uses the library.
inline double tanh_of(double x) {
  return std::tanh(x);
}
// ======================== end of the fast version ==========================

template <class Real>
void tanh_forward(Real* out, const Real* in, int64_t n) {
  common::parallel_for(0, n, kElementGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = tanh_of(in[i]);
  });
}
template <class Real>
void tanh_backward(Real* d_in, const Real* d_out, const Real* out, int64_t n) {
  // d tanh(x) / dx = 1 - tanh(x)^2: the output is all backward needs.
  common::parallel_for(0, n, kElementGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) d_in[i] += d_out[i] * (Real(1) - out[i] * out[i]);
  });
}

// out = sigmoid(in) = 1 / (1 + e^-in)       d_in += d_out * out * (1 - out)
// The plain version: the C library's exp. The tests hold sigmoid_of to it.
template <class Real>
Real sigmoid_plain(Real x) {
  return Real(1) / (Real(1) + std::exp(-x));
}
// FAST VERSION: sigmoid(x) = (1 + tanh(x / 2)) / 2 (an identity), so the vectorisable
// tanh_of above serves the LSTM's three sigmoid gates too; std::exp is a call the compiler
// cannot vectorise. Accurate to about 2e-7 absolute; a unit test compares the two.
inline float sigmoid_of(float x) {
  return 0.5f + 0.5f * tanh_of(0.5f * x);
}
inline double sigmoid_of(double x) {  // the gradient checks: exact
  return sigmoid_plain(x);
}

// out = max(0, in)                         d_in += d_out * [out > 0]
template <class Real>
void relu_forward(Real* out, const Real* in, int64_t n) {
  common::parallel_for(0, n, kElementGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = in[i] > Real(0) ? in[i] : Real(0);
  });
}
template <class Real>
void relu_backward(Real* d_in, const Real* d_out, const Real* out, int64_t n) {
  // The slope is 1 where the unit was active and 0 elsewhere (at exactly 0 we take 0,
  // as PyTorch does). Loading d_out[i] before the choice keeps the loop branch-free, so
  // the compiler vectorises it (a branch on random signs would be mispredicted half
  // the time: measured 40 times slower).
  common::parallel_for(0, n, kElementGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const Real g = d_out[i];
      d_in[i] += out[i] > Real(0) ? g : Real(0);
    }
  });
}

// ---------------------------------------------------------------------------
// Fully connected layer:  out = in W^T + b
//   in (N, D_in), weight W (D_out, D_in) (PyTorch's layout), bias b (D_out), out (N, D_out)
//
// Backward, from out[n][o] = sum_i in[n][i] W[o][i] + b[o]:
//   d_W (D_out, D_in) += d_out^T in      d_b += sum over n of d_out     d_in += d_out W
// d_in may be null (the first layer needs no input gradient).

template <class Real>
void linear_forward(Real* out, const Real* in, const Real* weight, const Real* bias, int64_t N,
                    int64_t D_in, int64_t D_out) {
  // out (N, D_out) = b, then += in (N, D_in) W^T (D_in, D_out) in one product.
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < D_out; ++o) out[n * D_out + o] = bias[o];
  matmul_accumulate(mat(out, N, D_out), mat(in, N, D_in), transpose(mat(weight, D_out, D_in)));
}
template <class Real>
void linear_backward(Real* d_in, Real* d_weight, Real* d_bias, const Real* d_out, const Real* in,
                     const Real* weight, int64_t N, int64_t D_in, int64_t D_out) {
  // d_W (D_out, D_in) += d_out^T (D_out, N) in (N, D_in)
  matmul_accumulate(mat(d_weight, D_out, D_in), transpose(mat(d_out, N, D_out)), mat(in, N, D_in));
  // d_b (D_out) += column sums of d_out (N, D_out)
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < D_out; ++o) d_bias[o] += d_out[n * D_out + o];
  // d_in (N, D_in) += d_out (N, D_out) W (D_out, D_in)
  if (d_in != nullptr)
    matmul_accumulate(mat(d_in, N, D_in), mat(d_out, N, D_out), mat(weight, D_out, D_in));
}

// ---------------------------------------------------------------------------
// Softmax cross-entropy over N rows of V scores:
//   p[n] = softmax(logits[n]),   loss = -(1/N) sum_n log p[n][y_n]
// Forward writes probs (N, V) and returns the mean loss (summed in double, in row order,
// so it does not depend on the thread count).
// Backward: d_logits[n] += (p[n] - onehot(y_n)) / N.

template <class Real>
Real softmax_cross_entropy_forward(Real* probs, const Real* logits, const int* targets, int64_t N,
                                   int64_t V) {
  // Per-row losses, summed afterwards in row order. The buffer is kept between calls
  // (one per calling thread) so a training step allocates nothing.
  thread_local std::vector<double> row_loss;
  row_loss.resize(static_cast<size_t>(N));
  double* losses = row_loss.data();  // (a thread_local is per thread: hand workers a pointer)
  common::parallel_for(0, N, 64, [&](int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; ++n) {
      const Real* z = logits + n * V;
      Real* p = probs + n * V;
      // softmax(z) = exp(z - max z) / sum exp(z - max z): subtracting the maximum
      // changes nothing mathematically and keeps exp() from overflowing.
      const Real z_max = *std::max_element(z, z + V);
      double sum = 0.0;
      for (int64_t v = 0; v < V; ++v) {
        p[v] = std::exp(z[v] - z_max);
        sum += p[v];
      }
      const Real inv = static_cast<Real>(1.0 / sum);
      for (int64_t v = 0; v < V; ++v) p[v] *= inv;
      // -log p[y] = log(sum) - (z[y] - z_max), exact even when p[y] underflows to 0.
      losses[n] = std::log(sum) - (z[targets[n]] - z_max);
    }
  });
  double total = 0.0;
  for (int64_t n = 0; n < N; ++n) total += losses[n];
  return static_cast<Real>(total / static_cast<double>(N));
}
template <class Real>
void softmax_cross_entropy_backward(Real* d_logits, const Real* probs, const int* targets,
                                    int64_t N, int64_t V) {
  // dL/dz[n][v] = (p[n][v] - [v == y_n]) / N: the famous "probabilities minus one-hot".
  const Real scale = Real(1) / static_cast<Real>(N);
  common::parallel_for(0, N, 64, [&](int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; ++n) {
      for (int64_t v = 0; v < V; ++v) {
        const Real onehot = v == targets[n] ? Real(1) : Real(0);
        d_logits[n * V + v] += (probs[n * V + v] - onehot) * scale;
      }
    }
  });
}

// Index of the largest of V scores in each of N rows (the predicted class).
void argmax_rows(int* predicted, const float* scores, int64_t N, int64_t V);

// ---------------------------------------------------------------------------
// Schedule and checks

// Cosine learning-rate schedule (Loshchilov and Hutter, 2017): starts at base_lr and
// glides to 0 at the last step: lr(s) = base_lr * (1 + cos(pi * s / total)) / 2.
// Large steps early to make progress, small steps late to settle into a minimum.
float cosine_lr(float base_lr, int64_t step, int64_t total_steps);

// Throws common::Error naming the step and suggesting a lower --lr when the loss is NaN
// or infinite (the usual sign that the learning rate is too high).
void check_finite_loss(double loss, int64_t step, const char* what);

}  // namespace phase4
