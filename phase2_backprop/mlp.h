// phase2_backprop/mlp.h -- the multi-layer perceptron: the one file of the model, read top
// to bottom. Its sections, in teaching order:
//   1. matrix products      4. losses              7. the network's forward pass and loss
//   2. the linear layer     5. initialisation      8. backpropagation
//   3. activations          6. the network: config, parameters, the activations of a batch
//   9. SGD with momentum
// (train.h/.cpp runs the training loops over it; the lesson drivers call those.)
//
// A network of L fully connected layers. Layer l (l = 0 .. L-1) maps h_l to a_l:
//
//   z_l = h_l W_l^T + b_l          the linear part            (section 2: linear_forward)
//   a_l = f_l(z_l)                 the activation, element-wise (section 3)
//   h_0 = x,  h_{l+1} = a_l        each layer feeds the next
//
// f_l is config.hidden for the hidden layers and config.output for the last one; the
// loss (section 4) compares the last layer with the targets. Backpropagation walks the same
// chain backwards, each step one application of the chain rule (mlp_backward names every
// step).
//
// Every layer is a pair of functions side by side: X_forward computes the layer's output
// from its input; X_backward takes the gradient of the loss with respect to that output
// (d_out, "dL/d out") and returns the gradient with respect to the input (d_in) and to the
// layer's parameters. Chaining the backward functions in reverse order of the forward
// ones is backpropagation.
//
// Three structs carry the mental model (as in llama2.c): MlpConfig (the architecture),
// Mlp (the parameters and their gradients, all in one buffer with named views) and
// MlpState (everything computed for one mini-batch).
//
// Conventions (said once, for every function below):
//   * Dimensions: N examples in the mini-batch, I input features, O output features,
//     C classes; D_l the width of h_l (D_0 = input features), config.sizes = {D_0, ..., D_L}.
//     Buffers are row-major: x (N, I) stores example n's feature i at x[n*I + i].
//   * Outputs come first in the argument list, dimensions last (as in llm.c).
//   * Parameter gradients ACCUMULATE (d_weight += ..., d_bias += ...), exactly like
//     PyTorch's .grad: the caller zeroes them once per step. Input gradients (d_in) are
//     OVERWRITTEN: in an MLP every activation feeds exactly one layer, so its gradient has
//     a single contribution.
//   * Templates on the scalar type T. Training runs in float (T = float, matrix products
//     through common/matmul.h, i.e. common::gemm); the gradient checks run the very same
//     code in double (T = double, matrix products by plain loops), because a central
//     difference in float is drowned by rounding error (see gradcheck.h). One
//     implementation, two precisions: the code that is verified is the code that trains.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "error.h"
#include "matmul.h"
#include "rng.h"
#include "thread_pool.h"

namespace phase2 {

using common::mat;
using common::matmul;             // double (the gradient checks): the plain loop
using common::matmul_accumulate;  // ditto
using common::transpose;

// ---------------------------------------------------------------------------
// 1. Matrix products: common::matmul (common::gemm for float), except for tiny ones.
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
// 2. Fully connected (linear) layer:  y = x W^T + b
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
// 3. Element-wise activations, y = f(x) on n numbers. Each backward uses whatever the forward
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
// 4. Losses. Softmax followed by cross-entropy, fused (numerically stable):
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
// 4. (continued) Mean squared error in the form of the 1986 paper: half the squared error summed
// over the outputs, averaged over the N examples of the batch,
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

// ---------------------------------------------------------------------------
// 5. Initialisation: where gradient descent starts
//
// Backpropagation needs the hidden units to start DIFFERENT from one another: if every
// weight started equal, every hidden unit would compute the same thing and receive the
// same gradient, forever (the symmetry the 1986 paper breaks with "small random weights").
// How large "small" should be depends on the layer's fan-in and on the activation:
//
//   uniform_small  w ~ U(-s, s), a fixed s (0.5 here)        Rumelhart et al. 1986
//   xavier         w ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out))
//                  keeps Var(y) ~ Var(x) forward and backward for tanh-like units
//                                                            Glorot and Bengio 2010
//   he             w ~ N(0, 2 / fan_in): a ReLU zeroes half its inputs, so the variance
//                  is doubled to keep the signal from shrinking layer by layer
//                                                            He et al. 2015
// Biases start at 0 in every scheme. Every draw comes from common::Rng, element by
// element in row-major order, so a seed gives the same network on every platform (and
// pytorch/twin.py, which re-implements the generator, builds the very same weights).

enum class Init { uniform_small, xavier, he };

inline std::string init_name(Init init) {
  switch (init) {
    case Init::uniform_small:
      return "uniform_small";
    case Init::xavier:
      return "xavier";
    case Init::he:
      return "he";
  }
  return "?";
}

// weight (fan_out, fan_in), i.e. (O, I)
template <class T>
void init_uniform_small(T* weight, int64_t fan_in, int64_t fan_out, double scale,
                        common::Rng& rng) {
  for (int64_t i = 0; i < fan_in * fan_out; ++i)
    weight[i] = static_cast<T>(rng.uniform(-scale, scale));
}
template <class T>
void init_xavier_uniform(T* weight, int64_t fan_in, int64_t fan_out, common::Rng& rng) {
  // a = sqrt(6 / (fan_in + fan_out)): U(-a, a) has variance a^2 / 3 = 2 / (fan_in + fan_out)
  const double a = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  for (int64_t i = 0; i < fan_in * fan_out; ++i) weight[i] = static_cast<T>(rng.uniform(-a, a));
}
template <class T>
void init_he_normal(T* weight, int64_t fan_in, int64_t fan_out, common::Rng& rng) {
  // standard deviation sqrt(2 / fan_in)
  const double stddev = std::sqrt(2.0 / static_cast<double>(fan_in));
  for (int64_t i = 0; i < fan_in * fan_out; ++i) weight[i] = static_cast<T>(rng.normal() * stddev);
}

// ---------------------------------------------------------------------------
// 6. The network: config

enum class Activation { identity, sigmoid, tanh, relu };
enum class Loss { softmax_cross_entropy, mse };

inline std::string activation_name(Activation activation) {
  switch (activation) {
    case Activation::identity:
      return "identity";
    case Activation::sigmoid:
      return "sigmoid";
    case Activation::tanh:
      return "tanh";
    case Activation::relu:
      return "relu";
  }
  return "?";
}

struct MlpConfig {
  std::vector<int64_t> sizes = {784, 256, 128, 10};  // D_0 (inputs) ... D_L (outputs)
  Activation hidden = Activation::relu;              // f of every hidden layer
  Activation output = Activation::identity;          // f of the last layer: identity gives
                                                     // logits for softmax-CE; sigmoid for
                                                     // the 1986 tasks with MSE
  Loss loss = Loss::softmax_cross_entropy;
  Init init = Init::he;     // see "Initialisation" above
  double init_scale = 0.5;  // s of Init::uniform_small
};

// "784-256-128-10 relu, softmax-CE, init he"
inline std::string describe(const MlpConfig& config) {
  std::string s;
  for (size_t i = 0; i < config.sizes.size(); ++i) {
    if (i > 0) s += '-';
    s += std::to_string(config.sizes[i]);
  }
  s += ' ' + activation_name(config.hidden);
  if (config.output != Activation::identity) s += ", " + activation_name(config.output) + " output";
  s += config.loss == Loss::softmax_cross_entropy ? ", softmax-CE" : ", MSE";
  s += ", init " + init_name(config.init);
  return s;
}

// ---------------------------------------------------------------------------
// 6. (continued) Parameters: one buffer, with a named view per layer

struct LinearSlot {
  int64_t in = 0, out = 0;    // I = D_l, O = D_{l+1}
  int64_t weight_offset = 0;  // W_l (O, I) starts at params[weight_offset]
  int64_t bias_offset = 0;    // b_l (O)
};

template <class T>
struct Mlp {
  MlpConfig config;
  std::vector<LinearSlot> layers;  // L slots
  std::vector<T> params;           // (P) W_0, b_0, W_1, b_1, ... back to back
  std::vector<T> grads;            // (P) dL/dparams, same layout

  int num_layers() const { return static_cast<int>(layers.size()); }
  int64_t num_params() const { return static_cast<int64_t>(params.size()); }
  T* weight(int l) { return params.data() + layers[l].weight_offset; }  // W_l (O, I)
  T* bias(int l) { return params.data() + layers[l].bias_offset; }      // b_l (O)
  const T* weight(int l) const { return params.data() + layers[l].weight_offset; }
  const T* bias(int l) const { return params.data() + layers[l].bias_offset; }
  T* d_weight(int l) { return grads.data() + layers[l].weight_offset; }  // dL/dW_l (O, I)
  T* d_bias(int l) { return grads.data() + layers[l].bias_offset; }      // dL/db_l (O)
};

// Allocates the buffers (parameters zero) and checks the config; throws common::Error.
template <class T>
Mlp<T> make_mlp(const MlpConfig& config) {
  if (config.sizes.size() < 2) throw common::Error("MlpConfig: sizes needs at least 2 widths");
  for (int64_t d : config.sizes)
    if (d < 1) throw common::Error("MlpConfig: every width must be >= 1, got " + std::to_string(d));
  if (config.loss == Loss::softmax_cross_entropy && config.output != Activation::identity)
    throw common::Error("MlpConfig: softmax-CE applies its own softmax; set output = identity");
  Mlp<T> model;
  model.config = config;
  int64_t offset = 0;
  for (size_t l = 0; l + 1 < config.sizes.size(); ++l) {
    LinearSlot slot;
    slot.in = config.sizes[l];
    slot.out = config.sizes[l + 1];
    slot.weight_offset = offset;
    offset += slot.out * slot.in;
    slot.bias_offset = offset;
    offset += slot.out;
    model.layers.push_back(slot);
  }
  model.params.assign(static_cast<size_t>(offset), T(0));
  model.grads.assign(static_cast<size_t>(offset), T(0));
  return model;
}
// Draws the weights with config.init from rng (layer by layer, W before b); biases 0.
template <class T>
void mlp_init(Mlp<T>& model, common::Rng& rng) {
  for (int l = 0; l < model.num_layers(); ++l) {
    const LinearSlot& s = model.layers[l];
    switch (model.config.init) {
      case Init::uniform_small:
        init_uniform_small(model.weight(l), s.in, s.out, model.config.init_scale, rng);
        break;
      case Init::xavier:
        init_xavier_uniform(model.weight(l), s.in, s.out, rng);
        break;
      case Init::he:
        init_he_normal(model.weight(l), s.in, s.out, rng);
        break;
    }
    std::fill(model.bias(l), model.bias(l) + s.out, T(0));
  }
}

// A named parameter tensor: "W1", "b1", "W2", ... (1-based, as in the README's equations
// and in the PyTorch golden file).
struct ParamTensor {
  std::string name;
  int64_t offset = 0, size = 0;
  std::vector<int64_t> shape;
};
template <class T>
std::vector<ParamTensor> parameter_tensors(const Mlp<T>& model) {
  std::vector<ParamTensor> tensors;
  for (int l = 0; l < model.num_layers(); ++l) {
    const LinearSlot& s = model.layers[l];
    const std::string k = std::to_string(l + 1);
    tensors.push_back({"W" + k, s.weight_offset, s.out * s.in, {s.out, s.in}});
    tensors.push_back({"b" + k, s.bias_offset, s.out, {s.out}});
  }
  return tensors;
}

// ---------------------------------------------------------------------------
// 6. (continued) The activations of one mini-batch

template <class T>
struct MlpState {
  int64_t N = 0;                    // examples in the batch
  const T* input = nullptr;         // x = h_0 (N, D_0): the caller's batch, not copied
  std::vector<std::vector<T>> z;    // z_l (N, D_{l+1}) pre-activations
  std::vector<std::vector<T>> a;    // a_l (N, D_{l+1}) activations; for softmax-CE the
                                    //   last one holds the probabilities p (set by the loss)
  std::vector<std::vector<T>> d_z;  // dL/dz_l (N, D_{l+1})
  std::vector<std::vector<T>> d_a;  // dL/da_l (N, D_{l+1})
  bool want_input_grad = false;     // also compute dL/dx (the gradient check asks for it)
  std::vector<T> d_input;           // dL/dx (N, D_0), when want_input_grad
};

// What the loss compares the output with: class labels for softmax-CE, target values
// for MSE. Pointers into the caller's batch.
template <class T>
struct Target {
  const int* labels = nullptr;  // y (N), each in [0, D_L)
  const T* values = nullptr;    // t (N, D_L)
};

// ---------------------------------------------------------------------------
// 7. Forward and loss

// The activation of a layer, chosen by its config (the functions are in "Activations" above).
template <class T>
void activation_forward(Activation f, T* out, const T* in, int64_t n) {
  switch (f) {
    case Activation::identity:
      std::copy(in, in + n, out);
      break;
    case Activation::sigmoid:
      sigmoid_forward(out, in, n);
      break;
    case Activation::tanh:
      tanh_forward(out, in, n);
      break;
    case Activation::relu:
      relu_forward(out, in, n);
      break;
  }
}

template <class T>
void activation_backward(Activation f, T* d_in, const T* d_out, const T* out, int64_t n) {
  switch (f) {
    case Activation::identity:
      std::copy(d_out, d_out + n, d_in);
      break;
    case Activation::sigmoid:
      sigmoid_backward(d_in, d_out, out, n);
      break;
    case Activation::tanh:
      tanh_backward(d_in, d_out, out, n);
      break;
    case Activation::relu:
      relu_backward(d_in, d_out, out, n);
      break;
  }
}

// Sizes the state's buffers for a batch of N (no reallocation when N does not grow).
template <class T>
void resize_state(const Mlp<T>& model, MlpState<T>& state, int64_t N) {
  const size_t L = model.layers.size();
  state.N = N;
  state.z.resize(L);
  state.a.resize(L);
  state.d_z.resize(L);
  state.d_a.resize(L);
  for (size_t l = 0; l < L; ++l) {
    const size_t n = static_cast<size_t>(N * model.layers[l].out);
    state.z[l].resize(n);
    state.a[l].resize(n);
    state.d_z[l].resize(n);
    state.d_a[l].resize(n);
  }
  if (state.want_input_grad) state.d_input.resize(static_cast<size_t>(N * model.layers[0].in));
}

// h_l: the input of layer l (x for the first layer, a_{l-1} after that).
template <class T>
const T* layer_input(const MlpState<T>& state, int l) {
  return l == 0 ? state.input : state.a[l - 1].data();
}

// Computes z_l and a_l for every layer (for softmax-CE the last layer stops at the
// logits z_{L-1}; mlp_loss adds the probabilities).
template <class T>
void mlp_forward(const Mlp<T>& model, MlpState<T>& state, const T* x, int64_t N) {
  resize_state(model, state, N);
  state.input = x;
  const int L = model.num_layers();
  for (int l = 0; l < L; ++l) {
    const LinearSlot& s = model.layers[l];
    // z_l = h_l W_l^T + b_l
    linear_forward(state.z[l].data(), layer_input(state, l), model.weight(l), model.bias(l), N,
                   s.in, s.out);
    // a_l = f_l(z_l). The last layer of a softmax-CE network stops at the logits: the
    // fused loss applies the softmax itself.
    const bool last = l == L - 1;
    if (last && model.config.loss == Loss::softmax_cross_entropy) continue;
    activation_forward(last ? model.config.output : model.config.hidden, state.a[l].data(),
                       state.z[l].data(), N * s.out);
  }
}
// The mean loss over the batch of the last forward pass.
template <class T>
double mlp_loss(const Mlp<T>& model, MlpState<T>& state, const Target<T>& target) {
  const int last = model.num_layers() - 1;
  const int64_t C = model.layers[last].out;
  if (model.config.loss == Loss::softmax_cross_entropy) {
    if (!target.labels) throw common::Error("mlp_loss: softmax-CE needs class labels");
    for (int64_t n = 0; n < state.N; ++n)
      if (target.labels[n] < 0 || target.labels[n] >= C)
        throw common::Error("mlp_loss: label " + std::to_string(target.labels[n]) + " outside 0.." +
                            std::to_string(C - 1));
    // p = softmax(z_{L-1}),  L = mean -log p[y]
    return softmax_cross_entropy_forward(state.a[last].data(), state.z[last].data(), target.labels,
                                         state.N, C);
  }
  if (!target.values) throw common::Error("mlp_loss: MSE needs target values");
  // L = mean 1/2 |a_{L-1} - t|^2
  return mse_forward(state.a[last].data(), target.values, state.N, C);
}
// The network's output for example n: logits z_{L-1} for softmax-CE, a_{L-1} otherwise.
template <class T>
const T* mlp_output(const Mlp<T>& model, const MlpState<T>& state, int64_t n) {
  const int last = model.num_layers() - 1;
  const auto& out =
      model.config.loss == Loss::softmax_cross_entropy ? state.z[last] : state.a[last];
  return out.data() + n * model.layers[last].out;
}

// ---------------------------------------------------------------------------
// 8. Backpropagation

// grads = 0
template <class T>
void mlp_zero_grad(Mlp<T>& model) {
  std::fill(model.grads.begin(), model.grads.end(), T(0));
}
// Backpropagation after mlp_forward + mlp_loss: ADDS dL/dparams to model.grads.
template <class T>
void mlp_backward(Mlp<T>& model, MlpState<T>& state, const Target<T>& target) {
  const int L = model.num_layers();
  const int last = L - 1;
  const int64_t N = state.N;
  const int64_t C = model.layers[last].out;

  // Step 1, the loss: dL/dz_{L-1}.
  if (model.config.loss == Loss::softmax_cross_entropy) {
    // Forward: L = mean -log softmax(z_{L-1})[y]  ->  dL/dz = (p - onehot(y)) / N
    softmax_cross_entropy_backward(state.d_z[last].data(), state.a[last].data(), target.labels, N,
                                   C);
  } else {
    // Forward: L = mean 1/2 |a_{L-1} - t|^2  ->  dL/da_{L-1} = (a_{L-1} - t) / N
    mse_backward(state.d_a[last].data(), state.a[last].data(), target.values, N, C);
    // Forward: a_{L-1} = f_out(z_{L-1})  ->  dL/dz = dL/da * f_out'(z)
    activation_backward(model.config.output, state.d_z[last].data(), state.d_a[last].data(),
                        state.a[last].data(), N * C);
  }

  // Step 2, the layers from last to first.
  for (int l = last; l >= 0; --l) {
    const LinearSlot& s = model.layers[l];
    // Forward: z_l = h_l W_l^T + b_l  ->  dL/dW_l += dz_l^T h_l,  dL/db_l += sum_n dz_l,
    //                                     dL/dh_l  = dz_l W_l      (h_l = a_{l-1})
    T* d_h =
        l > 0 ? state.d_a[l - 1].data() : (state.want_input_grad ? state.d_input.data() : nullptr);
    linear_backward(d_h, model.d_weight(l), model.d_bias(l), state.d_z[l].data(),
                    layer_input(state, l), model.weight(l), N, s.in, s.out);
    if (l == 0) break;
    // Forward: a_{l-1} = f(z_{l-1})  ->  dL/dz_{l-1} = dL/da_{l-1} * f'(z_{l-1})
    activation_backward(model.config.hidden, state.d_z[l - 1].data(), state.d_a[l - 1].data(),
                        state.a[l - 1].data(), N * s.in);
  }
}

// ---------------------------------------------------------------------------
// 9. Stochastic gradient descent with momentum
//
//   v <- mu v + g          (g = dL/dtheta of this mini-batch)
//   theta <- theta - eta v
//
// This is PyTorch's torch.optim.SGD(momentum=mu). The 1986 paper writes the same rule
// with the step itself as the velocity, dw(t) = -eta g + alpha dw(t-1): the two agree
// step for step (dw = -eta v) while eta stays constant. Momentum lets a ball roll along a
// narrow ravine of the loss surface instead of bouncing between its walls.

struct SgdConfig {
  double lr = 0.05;       // eta, the learning rate
  double momentum = 0.9;  // mu (alpha in the 1986 paper); 0 gives plain SGD
};

template <class T>
struct Sgd {
  SgdConfig config;
  std::vector<T> velocity;  // (P) v, same layout as params; starts at 0
};

template <class T>
void sgd_step(Sgd<T>& sgd, Mlp<T>& model) {
  if (sgd.velocity.size() != model.params.size()) sgd.velocity.assign(model.params.size(), T(0));
  const T lr = static_cast<T>(sgd.config.lr);
  const T mu = static_cast<T>(sgd.config.momentum);
  T* v = sgd.velocity.data();
  T* theta = model.params.data();
  const T* g = model.grads.data();
  // The update touches every parameter three times (v, g, theta): for the digits network
  // that is ~3 MB of memory traffic per step, so both cores share it.
  common::parallel_for(0, model.num_params(), 16384, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      v[i] = mu * v[i] + g[i];  // v <- mu v + g
      theta[i] -= lr * v[i];    // theta <- theta - eta v
    }
  });
}

}  // namespace phase2
