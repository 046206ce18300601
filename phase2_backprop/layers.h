// phase2_backprop/layers.h -- the layers of a multi-layer perceptron, forward and backward.
//
// Every layer is a pair of functions side by side: X_forward computes the layer's output
// from its input; X_backward takes the gradient of the loss with respect to that output
// (d_out, "dL/d out") and returns the gradient with respect to the input (d_in) and to the
// layer's parameters. Chaining the backward functions in reverse order of the forward
// ones is backpropagation (mlp.cpp does it).
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

#include <cstdint>

namespace phase2 {

// ---------------------------------------------------------------------------
// Fully connected (linear) layer:  y = x W^T + b
//   y[n][o] = sum_i x[n][i] * W[o][i] + b[o]
// W is stored (O, I) -- one row of input weights per output unit, PyTorch's layout.

template <class T>
void linear_forward(T* out,           // y (N, O)
                    const T* in,      // x (N, I)
                    const T* weight,  // W (O, I)
                    const T* bias,    // b (O)
                    int64_t N, int64_t I, int64_t O);
template <class T>
void linear_backward(T* d_in,          // dL/dx (N, I), overwritten; nullptr: not needed
                     T* d_weight,      // dL/dW (O, I), accumulated
                     T* d_bias,        // dL/db (O), accumulated
                     const T* d_out,   // dL/dy (N, O)
                     const T* in,      // x (N, I), saved by the forward pass
                     const T* weight,  // W (O, I)
                     int64_t N, int64_t I, int64_t O);

// ---------------------------------------------------------------------------
// Element-wise activations, y = f(x) on n numbers. Each backward uses whatever the forward
// saved that makes the derivative cheapest: sigmoid and tanh have derivatives that are
// functions of their OUTPUT, so they take y; ReLU's derivative is a step on x > 0,
// which is the same test as y > 0.

// Sigmoid (the logistic function of the 1986 paper): y = 1 / (1 + e^-x), dy/dx = y (1 - y)
template <class T>
void sigmoid_forward(T* out, const T* in, int64_t n);
template <class T>
void sigmoid_backward(T* d_in, const T* d_out, const T* out, int64_t n);

// Hyperbolic tangent: y = tanh(x), dy/dx = 1 - y^2
template <class T>
void tanh_forward(T* out, const T* in, int64_t n);
template <class T>
void tanh_backward(T* d_in, const T* d_out, const T* out, int64_t n);

// Rectified linear unit: y = max(0, x), dy/dx = 1 if x > 0 else 0 (at the kink x = 0 we
// take 0, as PyTorch does; a finite difference straddling 0 would see 1/2).
template <class T>
void relu_forward(T* out, const T* in, int64_t n);
template <class T>
void relu_backward(T* d_in, const T* d_out, const T* out, int64_t n);

// ---------------------------------------------------------------------------
// Softmax followed by cross-entropy, fused (numerically stable):
//   p[n][c] = exp(z[n][c] - m_n) / sum_k exp(z[n][k] - m_n),   m_n = max_k z[n][k]
//   L = (1/N) sum_n -log p[n][y_n] = (1/N) sum_n (m_n + log sum_k exp(z[n][k] - m_n) - z[n][y_n])
// Subtracting the row maximum m_n changes nothing mathematically and keeps exp() from
// overflowing; computing -log p from the log-sum-exp avoids log(0) when p underflows.
// Fused backward: dL/dz[n][c] = (p[n][c] - [c == y_n]) / N. Going through dL/dp first
// would divide by p (unstable) only for the Jacobian of softmax to multiply it back.

template <class T>
double softmax_cross_entropy_forward(T* probs,               // p (N, C)
                                     const T* logits,        // z (N, C)
                                     const int* labels,      // y (N), each in [0, C)
                                     int64_t N, int64_t C);  // returns L
template <class T>
void softmax_cross_entropy_backward(T* d_logits,        // dL/dz (N, C), overwritten
                                    const T* probs,     // p (N, C), from the forward
                                    const int* labels,  // y (N)
                                    int64_t N, int64_t C);

// ---------------------------------------------------------------------------
// Mean squared error in the form of the 1986 paper: half the squared error summed over
// the outputs, averaged over the N examples of the batch,
//   L = (1/N) sum_n 1/2 sum_c (y[n][c] - t[n][c])^2,     dL/dy[n][c] = (y[n][c] - t[n][c]) / N
// The 1/2 cancels the 2 of the derivative; the mean over examples makes the learning rate
// independent of the batch size. (PyTorch's MSELoss averages over outputs too, i.e. it is
// 2/C times this.)

template <class T>
double mse_forward(const T* predictions,   // y (N, C)
                   const T* targets,       // t (N, C)
                   int64_t N, int64_t C);  // returns L
template <class T>
void mse_backward(T* d_predictions,      // dL/dy (N, C), overwritten
                  const T* predictions,  // y (N, C)
                  const T* targets,      // t (N, C)
                  int64_t N, int64_t C);

}  // namespace phase2
