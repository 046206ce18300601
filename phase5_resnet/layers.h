// phase5_resnet/layers.h -- the building blocks copied forward from phase 3
// (phase3_cnn_rnn/layers.h, unchanged but for the namespace and without tanh, which no
// network of this phase uses): matrix products, initialisation, ReLU, the fully connected
// layer, softmax cross-entropy, SGD with momentum and weight decay, the cosine schedule.
//
// Conventions for the whole phase (said once, here):
//   * Every layer is a pair X_forward / X_backward with mirrored signatures: outputs
//     first, then inputs, then sizes. Backward functions ACCUMULATE into the gradients
//     they write (d_in += ..., d_weight += ...), so the caller zeroes them once per step
//     and a tensor used twice simply receives both contributions (a residual block's
//     input: once through the branch, once through the shortcut).
//   * Buffers are raw row-major arrays; a comment gives each one's shape with the
//     letters N (batch), C (channels), H/W (height/width), D (features), V (classes).
//   * The math functions are templates over `Real`: float for training, double for the
//     gradient checks (tests/test_gradcheck.cpp), which need the extra precision to see
//     relative errors of 1e-6 through finite differences. They live in the headers, so
//     each precision is compiled where it is used.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "matmul.h"
#include "rng.h"
#include "thread_pool.h"

namespace phase5 {

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
// Optimisation: SGD with momentum and weight decay (PyTorch's formulation)
//
//   g = dL/dw + weight_decay * w        (L2 regularisation, folded into the gradient)
//   v = momentum * v + g                (velocity: a running sum of past gradients)
//   w = w - lr * v

struct SgdConfig {
  float lr = 0.05f;            // base learning rate (the schedule scales it)
  float momentum = 0.9f;       // 0 gives plain SGD
  float weight_decay = 5e-4f;  // L2 penalty coefficient
};

void sgd_momentum_step(float* w, const float* grad, float* velocity, int64_t n, float lr,
                       const SgdConfig& config);

// Cosine learning-rate schedule (Loshchilov and Hutter, 2017): starts at base_lr and
// glides to 0 at the last step: lr(s) = base_lr * (1 + cos(pi * s / total)) / 2.
// Large steps early to make progress, small steps late to settle into a minimum.
float cosine_lr(float base_lr, int64_t step, int64_t total_steps);

// Throws common::Error naming the step and suggesting a lower --lr when the loss is NaN
// or infinite (the usual sign that the learning rate is too high).
void check_finite_loss(double loss, int64_t step, const char* what);

}  // namespace phase5
