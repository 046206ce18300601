// phase3_cnn_rnn/layers.h -- the building blocks every model of this phase shares:
// matrix products, initialisation, activations, the fully connected layer, softmax
// cross-entropy, SGD with momentum and weight decay, and the learning-rate schedule.
//
// Conventions for the whole phase (said once, here):
//   * Every layer is a pair X_forward / X_backward with mirrored signatures: outputs
//     first, then inputs, then sizes. Backward functions ACCUMULATE into the gradients
//     they write (d_in += ..., d_weight += ...), so the caller zeroes them once per step
//     and a tensor used twice simply receives both contributions.
//   * Buffers are raw row-major arrays; a comment gives each one's shape with the
//     letters N (batch), D (features), V (classes / vocabulary).
//   * The math functions are templates over `Real`: float for training, double for the
//     gradient checks (tests/test_gradcheck.cpp), which need the extra precision to see
//     relative errors of 1e-6 through finite differences. They are instantiated for
//     both in the .cpp files.
#pragma once

#include <cstdint>

#include "matmul.h"
#include "rng.h"

namespace phase3 {

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

// out = tanh(in)                           d_in += d_out * (1 - out^2)
template <class Real>
void tanh_forward(Real* out, const Real* in, int64_t n);
template <class Real>
void tanh_backward(Real* d_in, const Real* d_out, const Real* out, int64_t n);

// out = max(0, in)                         d_in += d_out * [out > 0]
template <class Real>
void relu_forward(Real* out, const Real* in, int64_t n);
template <class Real>
void relu_backward(Real* d_in, const Real* d_out, const Real* out, int64_t n);

// ---------------------------------------------------------------------------
// Fully connected layer:  out = in W^T + b
//   in (N, D_in), weight W (D_out, D_in) (PyTorch's layout), bias b (D_out), out (N, D_out)
//
// Backward, from out[n][o] = sum_i in[n][i] W[o][i] + b[o]:
//   d_W (D_out, D_in) += d_out^T in      d_b += sum over n of d_out     d_in += d_out W
// d_in may be null (the first layer needs no input gradient).

template <class Real>
void linear_forward(Real* out, const Real* in, const Real* weight, const Real* bias, int64_t N,
                    int64_t D_in, int64_t D_out);
template <class Real>
void linear_backward(Real* d_in, Real* d_weight, Real* d_bias, const Real* d_out, const Real* in,
                     const Real* weight, int64_t N, int64_t D_in, int64_t D_out);

// ---------------------------------------------------------------------------
// Softmax cross-entropy over N rows of V scores:
//   p[n] = softmax(logits[n]),   loss = -(1/N) sum_n log p[n][y_n]
// Forward writes probs (N, V) and returns the mean loss (summed in double, in row order,
// so it does not depend on the thread count).
// Backward: d_logits[n] += (p[n] - onehot(y_n)) / N.

template <class Real>
Real softmax_cross_entropy_forward(Real* probs, const Real* logits, const int* targets, int64_t N,
                                   int64_t V);
template <class Real>
void softmax_cross_entropy_backward(Real* d_logits, const Real* probs, const int* targets,
                                    int64_t N, int64_t V);

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

}  // namespace phase3
