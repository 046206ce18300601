// phase2_backprop/layers.h -- the layers of a multi-layer perceptron, forward and backward.
//
// Every layer is a pair of functions side by side: X_forward computes the layer's output
// from its input; X_backward takes the gradient of the loss with respect to that output
// (d_out, "dL/d out") and returns the gradient with respect to the input (d_in) and to the
// layer's parameters. Chaining the backward functions in reverse order of the forward
// ones is backpropagation (mlp.h does it).
//
// Conventions (said once, for every function below):
//   * Dimensions: N examples in the mini-batch, I input features, O output features,
//     C classes. Buffers are row-major: x (N, I) stores example n's feature i at x[n*I + i].
//   * Outputs come first in the argument list, dimensions last (as in llm.c).
//   * Parameter gradients ACCUMULATE (d_weight += ..., d_bias += ...), exactly like
//     PyTorch's .grad: the caller zeroes them once per step. Input gradients (d_in) are
//     OVERWRITTEN: in an MLP every activation feeds exactly one layer, so its gradient has
//     a single contribution.
//   * Templates on the scalar type T. Training runs in float (T = float, matrix products
//     through common/matmul.h, i.e. common::gemm); the gradient checks run the very same code in
//     double (T = double, matrix products by plain loops), because a central difference in float is
//     drowned by rounding error (see gradcheck.h). One implementation, two precisions: the code
//     that is verified is the code that trains.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "matmul.h"

namespace phase2 {

using common::mat;
using common::matmul;             // double (the gradient checks): the plain loop
using common::matmul_accumulate;  // ditto
using common::transpose;

// ---------------------------------------------------------------------------
// Matrix products: common::matmul (common::gemm for float), except for tiny ones.
// gemm packs its operands and hands work to the thread pool, which costs a few
// microseconds per call: far more than the whole product of the 2-2-1 XOR network
// (4 x 2 x 2 multiply-adds), which the lesson trains 300 times for thousands of steps.
// Products of at most kSmallProduct multiply-adds therefore take common's plain loop;
// every product of real size (a mini-batch through a hidden layer) goes to gemm.
// (double always takes the plain loop: common::matmul does that by itself.)

inline constexpr int64_t kSmallProduct = 4096;  // multiply-adds

// out = a b  (float; these plain functions win over common's templates for float, and
// double calls go straight to common::matmul)
inline void matmul(common::MatView<float> out, common::ConstMatView<float> a,
                   common::ConstMatView<float> b) {
  if (out.rows * out.cols * a.cols <= kSmallProduct) {
    common::matmul_plain(out, a, b);
  } else {
    common::matmul(out, a, b);
  }
}

// out += a b  (float)
inline void matmul_accumulate(common::MatView<float> out, common::ConstMatView<float> a,
                              common::ConstMatView<float> b) {
  if (out.rows * out.cols * a.cols <= kSmallProduct) {
    common::matmul_plain_accumulate(out, a, b);
  } else {
    common::matmul_accumulate(out, a, b);
  }
}

// ---------------------------------------------------------------------------
// Fully connected (linear) layer:  y = x W^T + b
//   y[n][o] = sum_i x[n][i] * W[o][i] + b[o]
// W is stored (O, I) -- one row of input weights per output unit, PyTorch's layout.

template <class T>
void linear_forward(T* out, const T* in, const T* weight, const T* bias, int64_t N, int64_t I,
                    int64_t O) {
  // y = b, broadcast over the batch ...
  for (int64_t n = 0; n < N; ++n) std::copy(bias, bias + O, out + n * O);
  // ... then y (N, O) += x (N, I) W^T (I, O): one matrix product for the whole mini-batch.
  matmul_accumulate(mat(out, N, O), mat(in, N, I), transpose(mat(weight, O, I)));
}
template <class T>
void linear_backward(T* d_in, T* d_weight, T* d_bias, const T* d_out, const T* in, const T* weight,
                     int64_t N, int64_t I, int64_t O) {
  // Forward: y[n][o] = sum_i x[n][i] W[o][i] + b[o]. Each parameter's gradient sums its
  // contributions over every output it touched:
  //   dL/dW[o][i] = sum_n dL/dy[n][o] * x[n][i]      i.e. dW (O, I) += dy^T (O, N) x (N, I)
  matmul_accumulate(mat(d_weight, O, I), transpose(mat(d_out, N, O)), mat(in, N, I));
  //   dL/db[o]    = sum_n dL/dy[n][o]                (b was added to every example's y)
  for (int64_t n = 0; n < N; ++n) {
    const T* d_out_n = d_out + n * O;
    for (int64_t o = 0; o < O; ++o) d_bias[o] += d_out_n[o];
  }
  //   dL/dx[n][i] = sum_o dL/dy[n][o] * W[o][i]      i.e. dx (N, I) = dy (N, O) W (O, I)
  // The first layer's input is the data itself: nobody needs its gradient, so the caller
  // passes nullptr and we skip a third of this layer's backward work.
  if (d_in) matmul(mat(d_in, N, I), mat(d_out, N, O), mat(weight, O, I));
}

// ---------------------------------------------------------------------------
// Element-wise activations, y = f(x) on n numbers. Each backward uses whatever the forward
// saved that makes the derivative cheapest: sigmoid and tanh have derivatives that are
// functions of their OUTPUT, so they take y; ReLU's derivative is a step on x > 0,
// which is the same test as y > 0.

// Sigmoid (the logistic function of the 1986 paper): y = 1 / (1 + e^-x), dy/dx = y (1 - y)
template <class T>
void sigmoid_forward(T* out, const T* in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = T(1) / (T(1) + std::exp(-in[i]));
}
template <class T>
void sigmoid_backward(T* d_in, const T* d_out, const T* out, int64_t n) {
  // dL/dx = dL/dy * dy/dx, with dy/dx = y (1 - y)
  for (int64_t i = 0; i < n; ++i) d_in[i] = d_out[i] * out[i] * (T(1) - out[i]);
}

// Hyperbolic tangent: y = tanh(x), dy/dx = 1 - y^2
template <class T>
void tanh_forward(T* out, const T* in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = std::tanh(in[i]);
}
template <class T>
void tanh_backward(T* d_in, const T* d_out, const T* out, int64_t n) {
  // dL/dx = dL/dy * (1 - y^2)
  for (int64_t i = 0; i < n; ++i) d_in[i] = d_out[i] * (T(1) - out[i] * out[i]);
}

// Rectified linear unit: y = max(0, x), dy/dx = 1 if x > 0 else 0 (at the kink x = 0 we
// take 0, as PyTorch does; a finite difference straddling 0 would see 1/2).
template <class T>
void relu_forward(T* out, const T* in, int64_t n) {
  // Written as "x < 0 ? 0 : x" rather than "x > 0 ? x : 0" so that a NaN passes through
  // (every comparison with NaN is false), as in PyTorch: a diverging network must reach
  // the loss's NaN check instead of being silently zeroed here.
  for (int64_t i = 0; i < n; ++i) out[i] = in[i] < T(0) ? T(0) : in[i];
}
template <class T>
void relu_backward(T* d_in, const T* d_out, const T* out, int64_t n) {
  // dL/dx = dL/dy where the unit was active (y > 0 exactly when x > 0), 0 elsewhere:
  // a ReLU passes gradient through unchanged or blocks it.
  for (int64_t i = 0; i < n; ++i) d_in[i] = out[i] > T(0) ? d_out[i] : T(0);
}

// ---------------------------------------------------------------------------
// Softmax followed by cross-entropy, fused (numerically stable):
//   p[n][c] = exp(z[n][c] - m_n) / sum_k exp(z[n][k] - m_n),   m_n = max_k z[n][k]
//   L = (1/N) sum_n -log p[n][y_n] = (1/N) sum_n (m_n + log sum_k exp(z[n][k] - m_n) - z[n][y_n])
// Subtracting the row maximum m_n changes nothing mathematically and keeps exp() from
// overflowing; computing -log p from the log-sum-exp avoids log(0) when p underflows.
// Fused backward: dL/dz[n][c] = (p[n][c] - [c == y_n]) / N. Going through dL/dp first
// would divide by p (unstable) only for the Jacobian of softmax to multiply it back.

template <class T>
double softmax_cross_entropy_forward(T* probs, const T* logits, const int* labels, int64_t N,
                                     int64_t C) {
  double total = 0.0;
  for (int64_t n = 0; n < N; ++n) {
    const T* z = logits + n * C;
    T* p = probs + n * C;
    const T m = *std::max_element(z, z + C);  // m_n: the shift that keeps exp() finite
    T sum = 0;
    for (int64_t c = 0; c < C; ++c) {
      p[c] = std::exp(z[c] - m);
      sum += p[c];
    }
    for (int64_t c = 0; c < C; ++c) p[c] /= sum;
    // -log p[y] = log sum_k exp(z_k - m) - (z_y - m)
    total += std::log(static_cast<double>(sum)) - static_cast<double>(z[labels[n]] - m);
  }
  return total / static_cast<double>(N);
}
template <class T>
void softmax_cross_entropy_backward(T* d_logits, const T* probs, const int* labels, int64_t N,
                                    int64_t C) {
  // dL/dz[n][c] = (p[n][c] - [c == y_n]) / N: the predicted distribution minus the one-hot
  // target. The gradient pushes up the right class's logit and down every other in
  // proportion to how much probability it wrongly took.
  const T scale = T(1) / static_cast<T>(N);
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) d_logits[n * C + c] = probs[n * C + c] * scale;
    d_logits[n * C + labels[n]] -= scale;
  }
}

// ---------------------------------------------------------------------------
// Mean squared error in the form of the 1986 paper: half the squared error summed over
// the outputs, averaged over the N examples of the batch,
//   L = (1/N) sum_n 1/2 sum_c (y[n][c] - t[n][c])^2,     dL/dy[n][c] = (y[n][c] - t[n][c]) / N
// The 1/2 cancels the 2 of the derivative; the mean over examples makes the learning rate
// independent of the batch size. (PyTorch's MSELoss averages over outputs too, i.e. it is
// 2/C times this.)

template <class T>
double mse_forward(const T* predictions, const T* targets, int64_t N, int64_t C) {
  double total = 0.0;
  for (int64_t i = 0; i < N * C; ++i) {
    const double e = static_cast<double>(predictions[i]) - static_cast<double>(targets[i]);
    total += 0.5 * e * e;
  }
  return total / static_cast<double>(N);
}
template <class T>
void mse_backward(T* d_predictions, const T* predictions, const T* targets, int64_t N, int64_t C) {
  // dL/dy = (y - t) / N
  const T scale = T(1) / static_cast<T>(N);
  for (int64_t i = 0; i < N * C; ++i) d_predictions[i] = (predictions[i] - targets[i]) * scale;
}

}  // namespace phase2
