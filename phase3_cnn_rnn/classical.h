// phase3_cnn_rnn/classical.h -- the methods LeNet-5 was measured against.
//
// LeCun et al. (1998, figure 9) compared their network with the classifiers of the day
// on the same MNIST split. We rebuild three of them on our split, so the comparison
// table of the lesson has numbers measured here beside the paper's:
//
//   linear classifier      one weight per (pixel, class): scores = x W^T + b   (paper: 12.0% error)
//   k-nearest neighbours   Euclidean distance on raw pixels, k = 3               (paper: 5.0%)
//   2-layer network        784 -> 300 tanh units -> 10                          (paper: 4.7%)
//
// The paper trained them on 60,000 images; ours see the training images we have.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data.h"
#include "layers.h"
#include "tensor.h"

namespace phase3 {

// ---------------------------------------------------------------------------
// Fully connected networks: the linear classifier and the 2-layer MLP are the same
// code, with no hidden layer and with one.

struct MlpConfig {
  std::vector<int64_t> sizes = {784, 300, 10};  // {784, 10}: the linear classifier
};

struct Mlp {
  explicit Mlp(const MlpConfig& config);
  MlpConfig config;
  std::vector<float> params, grads, velocity;  // every layer's W (out, in) then b (out)
  std::vector<int64_t> offsets;                // start of layer l's W in params
  int64_t layers() const { return static_cast<int64_t>(config.sizes.size()) - 1; }
  // Views of layer l's weight (sizes[l+1], sizes[l]) and bias (sizes[l+1]) inside
  // `buffer` (params, grads or velocity).
  float* weight(std::vector<float>& buffer, int64_t l) const { return buffer.data() + offsets[l]; }
  const float* weight(const std::vector<float>& buffer, int64_t l) const {
    return buffer.data() + offsets[l];
  }
  float* bias(std::vector<float>& buffer, int64_t l) const {
    return weight(buffer, l) + config.sizes[l + 1] * config.sizes[l];
  }
  const float* bias(const std::vector<float>& buffer, int64_t l) const {
    return weight(buffer, l) + config.sizes[l + 1] * config.sizes[l];
  }
};

struct ClassicalTrainConfig {
  int epochs = 10;                    // passes over the training set
  int64_t batch_size = 64;            // images per SGD step
  SgdConfig sgd{0.05f, 0.9f, 1e-4f};  // lr, momentum, weight decay
  uint64_t seed = 1;
  bool verbose = true;  // progress bar
};

// LeCun initialisation (tanh hidden units), then SGD with momentum and a cosine schedule
// on data.train_*. Returns the accuracy on data.test_*.
double train_mlp(Mlp& model, const common::ImageDataset& data, const ClassicalTrainConfig& train,
                 const std::string& label);
// The predicted class of every row of x (N, 784).
void mlp_predict(std::vector<int>& predicted, const Mlp& model, const common::Tensor& x);

// ---------------------------------------------------------------------------
// k-nearest neighbours
//
// The label is the majority among the k training images closest to the test image in
// Euclidean distance; with k = 3 a three-way tie goes to the nearest one. Distances for
// a block of test images against every training image come from one matrix product:
//   ||x - y||^2 = ||x||^2 - 2 x.y + ||y||^2,
// where the middle term for all pairs is test_block (b, 784) . train^T (784, N_train).
// Comparing neighbours of one test image, ||x||^2 is the same for all and is dropped.

std::vector<int> knn_predict(const common::Tensor& train_x, const std::vector<int>& train_y,
                             const common::Tensor& test_x, int k, int classes, bool verbose = true);

double accuracy(const std::vector<int>& predicted, const std::vector<int>& truth);

}  // namespace phase3
