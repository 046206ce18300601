// phase2_backprop/mlp.h -- the multi-layer perceptron: forward, backward, SGD with momentum.
//
// A network of L fully connected layers. Layer l (l = 0 .. L-1) maps h_l to a_l:
//
//   z_l = h_l W_l^T + b_l          the linear part            (layers.h: linear_forward)
//   a_l = f_l(z_l)                 the activation, element-wise
//   h_0 = x,  h_{l+1} = a_l        each layer feeds the next
//
// f_l is config.hidden for the hidden layers and config.output for the last one; the
// loss compares the last layer with the targets. Backpropagation walks the same chain
// backwards, each step one application of the chain rule (mlp_backward below names every step).
//
// Three structs carry the mental model (as in llama2.c): MlpConfig (the architecture),
// Mlp (the parameters and their gradients, all in one buffer with named views) and
// MlpState (everything computed for one mini-batch). Dimensions: N examples in the batch,
// D_l the width of h_l (D_0 = input features), config.sizes = {D_0, D_1, ..., D_L}.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "error.h"
#include "init.h"
#include "layers.h"
#include "rng.h"
#include "thread_pool.h"

namespace phase2 {

// ---------------------------------------------------------------------------
// Config

enum class Activation { identity, sigmoid, tanh, relu };
enum class Loss { softmax_cross_entropy, mse };

std::string activation_name(Activation activation);

struct MlpConfig {
  std::vector<int64_t> sizes = {784, 256, 128, 10};  // D_0 (inputs) ... D_L (outputs)
  Activation hidden = Activation::relu;              // f of every hidden layer
  Activation output = Activation::identity;          // f of the last layer: identity gives
                                                     // logits for softmax-CE; sigmoid for
                                                     // the 1986 tasks with MSE
  Loss loss = Loss::softmax_cross_entropy;
  Init init = Init::he;     // see init.h
  double init_scale = 0.5;  // s of Init::uniform_small
};

// "784-256-128-10 relu, softmax-CE, init he"
std::string describe(const MlpConfig& config);

// ---------------------------------------------------------------------------
// Parameters: one buffer, with a named view per layer

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
// Activations of one mini-batch

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
// Forward, loss, backward

// The activation of a layer, chosen by its config (the functions are in layers.h).
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
// Stochastic gradient descent with momentum
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
