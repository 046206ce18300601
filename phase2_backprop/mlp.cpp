// phase2_backprop/mlp.cpp -- see mlp.h for the equations and the three structs.
#include "mlp.h"

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

}  // namespace phase2
