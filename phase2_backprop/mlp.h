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
// backwards, each step one application of the chain rule (mlp.cpp names every step).
//
// Three structs carry the mental model (as in llama2.c): MlpConfig (the architecture),
// Mlp (the parameters and their gradients, all in one buffer with named views) and
// MlpState (everything computed for one mini-batch). Dimensions: N examples in the batch,
// D_l the width of h_l (D_0 = input features), config.sizes = {D_0, D_1, ..., D_L}.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "init.h"
#include "rng.h"

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
Mlp<T> make_mlp(const MlpConfig& config);
// Draws the weights with config.init from rng (layer by layer, W before b); biases 0.
template <class T>
void mlp_init(Mlp<T>& model, common::Rng& rng);

// A named parameter tensor: "W1", "b1", "W2", ... (1-based, as in the README's equations
// and in the PyTorch golden file).
struct ParamTensor {
  std::string name;
  int64_t offset = 0, size = 0;
  std::vector<int64_t> shape;
};
template <class T>
std::vector<ParamTensor> parameter_tensors(const Mlp<T>& model);

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

// Computes z_l and a_l for every layer (for softmax-CE the last layer stops at the
// logits z_{L-1}; mlp_loss adds the probabilities).
template <class T>
void mlp_forward(const Mlp<T>& model, MlpState<T>& state, const T* x, int64_t N);
// The mean loss over the batch of the last forward pass.
template <class T>
double mlp_loss(const Mlp<T>& model, MlpState<T>& state, const Target<T>& target);
// The network's output for example n: logits z_{L-1} for softmax-CE, a_{L-1} otherwise.
template <class T>
const T* mlp_output(const Mlp<T>& model, const MlpState<T>& state, int64_t n);

// grads = 0
template <class T>
void mlp_zero_grad(Mlp<T>& model);
// Backpropagation after mlp_forward + mlp_loss: ADDS dL/dparams to model.grads.
template <class T>
void mlp_backward(Mlp<T>& model, MlpState<T>& state, const Target<T>& target);

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
void sgd_step(Sgd<T>& sgd, Mlp<T>& model);

}  // namespace phase2
