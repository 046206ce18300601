// phase2_backprop/layers.cpp -- see layers.h for the conventions (shapes, accumulation).
#include "layers.h"

#include <algorithm>
#include <cmath>

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

namespace {

constexpr int64_t kSmallProduct = 4096;  // multiply-adds

// out = a b  (float; these plain functions win over common's templates for float, and
// double calls go straight to common::matmul)
void matmul(common::MatView<float> out, common::ConstMatView<float> a,
            common::ConstMatView<float> b) {
  if (out.rows * out.cols * a.cols <= kSmallProduct) {
    common::matmul_plain(out, a, b);
  } else {
    common::matmul(out, a, b);
  }
}

// out += a b  (float)
void matmul_accumulate(common::MatView<float> out, common::ConstMatView<float> a,
                       common::ConstMatView<float> b) {
  if (out.rows * out.cols * a.cols <= kSmallProduct) {
    common::matmul_plain_accumulate(out, a, b);
  } else {
    common::matmul_accumulate(out, a, b);
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Linear

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
// Activations

template <class T>
void sigmoid_forward(T* out, const T* in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = T(1) / (T(1) + std::exp(-in[i]));
}

template <class T>
void sigmoid_backward(T* d_in, const T* d_out, const T* out, int64_t n) {
  // dL/dx = dL/dy * dy/dx, with dy/dx = y (1 - y)
  for (int64_t i = 0; i < n; ++i) d_in[i] = d_out[i] * out[i] * (T(1) - out[i]);
}

template <class T>
void tanh_forward(T* out, const T* in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = std::tanh(in[i]);
}

template <class T>
void tanh_backward(T* d_in, const T* d_out, const T* out, int64_t n) {
  // dL/dx = dL/dy * (1 - y^2)
  for (int64_t i = 0; i < n; ++i) d_in[i] = d_out[i] * (T(1) - out[i] * out[i]);
}

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
// Softmax + cross-entropy (fused)

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
// Mean squared error

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

// ---------------------------------------------------------------------------
// The two precisions we use: float to train, double to check gradients.

#define PHASE2_INSTANTIATE_LAYERS(T)                                                            \
  template void linear_forward<T>(T*, const T*, const T*, const T*, int64_t, int64_t, int64_t); \
  template void linear_backward<T>(T*, T*, T*, const T*, const T*, const T*, int64_t, int64_t,  \
                                   int64_t);                                                    \
  template void sigmoid_forward<T>(T*, const T*, int64_t);                                      \
  template void sigmoid_backward<T>(T*, const T*, const T*, int64_t);                           \
  template void tanh_forward<T>(T*, const T*, int64_t);                                         \
  template void tanh_backward<T>(T*, const T*, const T*, int64_t);                              \
  template void relu_forward<T>(T*, const T*, int64_t);                                         \
  template void relu_backward<T>(T*, const T*, const T*, int64_t);                              \
  template double softmax_cross_entropy_forward<T>(T*, const T*, const int*, int64_t, int64_t); \
  template void softmax_cross_entropy_backward<T>(T*, const T*, const int*, int64_t, int64_t);  \
  template double mse_forward<T>(const T*, const T*, int64_t, int64_t);                         \
  template void mse_backward<T>(T*, const T*, const T*, int64_t, int64_t);

PHASE2_INSTANTIATE_LAYERS(float)
PHASE2_INSTANTIATE_LAYERS(double)

}  // namespace phase2
