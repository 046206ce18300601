// phase2_backprop/layers.cpp -- see layers.h for the conventions (shapes, accumulation).
#include "layers.h"

#include <algorithm>
#include <cmath>

#include "gemm.h"

namespace phase2 {

// ---------------------------------------------------------------------------
// Matrix product

namespace {

// The textbook triple loop: C[i][j] = sum_p op(A)[i][p] op(B)[p][j] + beta C[i][j].
template <class T>
void matmul_loops(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const T* A,
                  int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      T sum = 0;
      for (int64_t p = 0; p < K; ++p) {
        const T a = trans_a ? A[p * lda + i] : A[i * lda + p];
        const T b = trans_b ? B[j * ldb + p] : B[p * ldb + j];
        sum += a * b;
      }
      C[i * ldc + j] = sum + (beta == T(0) ? T(0) : beta * C[i * ldc + j]);
    }
  }
}

}  // namespace

template <>
void matmul<float>(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A,
                   int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  // gemm packs its operands and hands work to the thread pool, which costs a few
  // microseconds per call: far more than the whole product of the 2-2-1 XOR network
  // (4 x 2 x 2 multiply-adds), which the lesson trains 300 times for thousands of steps.
  // Tiny products therefore take the plain loop; every product of real size (a
  // mini-batch through a hidden layer) goes to gemm.
  constexpr int64_t kSmallProduct = 4096;  // multiply-adds
  if (M * N * K <= kSmallProduct) {
    matmul_loops(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  common::gemm(trans_a, trans_b, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

template <>
void matmul<double>(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const double* A,
                    int64_t lda, const double* B, int64_t ldb, double beta, double* C,
                    int64_t ldc) {
  matmul_loops(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

// ---------------------------------------------------------------------------
// Linear

template <class T>
void linear_forward(T* out, const T* in, const T* weight, const T* bias, int64_t N, int64_t I,
                    int64_t O) {
  // y = b, broadcast over the batch ...
  for (int64_t n = 0; n < N; ++n) std::copy(bias, bias + O, out + n * O);
  // ... then y += x W^T: one matrix product for the whole mini-batch.
  // gemm(trans_a=false, trans_b=true): (N, I) times (O, I)^T -> (N, O), beta = 1 keeps b.
  matmul<T>(false, true, N, O, I, in, I, weight, I, T(1), out, O);
}

template <class T>
void linear_backward(T* d_in, T* d_weight, T* d_bias, const T* d_out, const T* in, const T* weight,
                     int64_t N, int64_t I, int64_t O) {
  // Forward: y[n][o] = sum_i x[n][i] W[o][i] + b[o]. Each parameter's gradient sums its
  // contributions over every output it touched:
  //   dL/dW[o][i] = sum_n dL/dy[n][o] * x[n][i]      i.e. dW (O, I) += dy^T (O, N) x (N, I)
  matmul<T>(true, false, O, I, N, d_out, O, in, I, T(1), d_weight, I);
  //   dL/db[o]    = sum_n dL/dy[n][o]                (b was added to every example's y)
  for (int64_t n = 0; n < N; ++n) {
    const T* d_out_n = d_out + n * O;
    for (int64_t o = 0; o < O; ++o) d_bias[o] += d_out_n[o];
  }
  //   dL/dx[n][i] = sum_o dL/dy[n][o] * W[o][i]      i.e. dx (N, I) = dy (N, O) W (O, I)
  // The first layer's input is the data itself: nobody needs its gradient, so the caller
  // passes nullptr and we skip a third of this layer's backward work.
  if (d_in) matmul<T>(false, false, N, I, O, d_out, O, weight, I, T(0), d_in, I);
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
