// phase2_backprop/mlp.cpp -- see mlp.h for the equations and the three structs.
#include "mlp.h"

#include <algorithm>

#include "error.h"
#include "layers.h"
#include "thread_pool.h"

namespace phase2 {

std::string activation_name(Activation activation) {
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

std::string describe(const MlpConfig& config) {
  std::string s;
  for (size_t i = 0; i < config.sizes.size(); ++i) {
    if (i > 0) s += '-';
    s += std::to_string(config.sizes[i]);
  }
  s += ' ';
  s += activation_name(config.hidden);
  if (config.output != Activation::identity) {
    s += ", ";
    s += activation_name(config.output);
    s += " output";
  }
  s += config.loss == Loss::softmax_cross_entropy ? ", softmax-CE" : ", MSE";
  s += ", init ";
  s += init_name(config.init);
  return s;
}

// ---------------------------------------------------------------------------
// Parameters

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
// Activation functions by name (the layers themselves are in layers.cpp)

namespace {

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

}  // namespace

// ---------------------------------------------------------------------------
// Forward

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

template <class T>
const T* mlp_output(const Mlp<T>& model, const MlpState<T>& state, int64_t n) {
  const int last = model.num_layers() - 1;
  const auto& out =
      model.config.loss == Loss::softmax_cross_entropy ? state.z[last] : state.a[last];
  return out.data() + n * model.layers[last].out;
}

// ---------------------------------------------------------------------------
// Backward: the forward pass read from bottom to top, one chain-rule step per line.

template <class T>
void mlp_zero_grad(Mlp<T>& model) {
  std::fill(model.grads.begin(), model.grads.end(), T(0));
}

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
// Update

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

// ---------------------------------------------------------------------------

#define PHASE2_INSTANTIATE_MLP(T)                                               \
  template Mlp<T> make_mlp<T>(const MlpConfig&);                                \
  template void mlp_init<T>(Mlp<T>&, common::Rng&);                             \
  template std::vector<ParamTensor> parameter_tensors<T>(const Mlp<T>&);        \
  template void mlp_forward<T>(const Mlp<T>&, MlpState<T>&, const T*, int64_t); \
  template double mlp_loss<T>(const Mlp<T>&, MlpState<T>&, const Target<T>&);   \
  template const T* mlp_output<T>(const Mlp<T>&, const MlpState<T>&, int64_t);  \
  template void mlp_zero_grad<T>(Mlp<T>&);                                      \
  template void mlp_backward<T>(Mlp<T>&, MlpState<T>&, const Target<T>&);       \
  template void sgd_step<T>(Sgd<T>&, Mlp<T>&);

PHASE2_INSTANTIATE_MLP(float)
PHASE2_INSTANTIATE_MLP(double)

}  // namespace phase2
