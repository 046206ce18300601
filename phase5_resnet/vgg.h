// phase5_resnet/vgg.h -- a small VGG-style network (Simonyan and Zisserman, "Very Deep
// Convolutional Networks for Large-Scale Image Recognition", 2014) for the `compare`
// experiment: stacks of 3x3 convolutions, each followed by BatchNorm (which VGG itself did
// not have: it came a year later) and ReLU, with 2x2 max pooling between the stacks.
//
//   stack 1   conv 3x3, 32 -> BN -> ReLU, twice      28x28x32, max pool -> 14x14x32
//   stack 2   conv 3x3, 64, twice                     14x14x64, max pool ->  7x7x64
//   stack 3   conv 3x3, 128, twice                     7x7x128
//   head      global average pooling, fully connected 128 -> 10
// 8 weighted layers, 0.29M parameters and 58 MFLOPs per image: the budget of ResNet-20
// (0.27M, 62 MFLOPs), spent on width instead of depth. VGG's own head was three fully
// connected layers of 4096 units; global average pooling (Lin et al. 2013, as in ResNet)
// keeps this one small.
//
// Layout (C, H, W, N) as everywhere in this phase. The layers are the ResNet's
// (resnet.h: conv_bn_forward/backward, global average pooling) and pool.h's max pooling.
#pragma once

#include <cstdint>
#include <vector>

#include "pool.h"
#include "resnet.h"

namespace phase5 {

struct Vgg {
  static constexpr int64_t kWidths[3] = {32, 64, 128};
  std::vector<ConvBn> units;       // 6 conv + BN units, stack by stack
  std::vector<Pool2dShape> pools;  // after units 1 and 3
  int64_t fc_w = 0, fc_b = 0;
  std::vector<ParamView> views, stat_views;
  std::vector<float> params, grads, velocity, stats;
  Vgg();
  int64_t parameter_count() const { return static_cast<int64_t>(params.size()); }
};

void vgg_init(Vgg& net, common::Rng& rng);  // He initialisation, as resnet_init
int64_t flops_per_image(const Vgg& net);

struct VggState {
  VggState(const Vgg& net, int64_t max_batch);
  int64_t max_batch;
  std::vector<float> x;                      // (1, 28, 28, N)
  std::vector<ConvBnCache<float>> caches;    // per unit
  std::vector<std::vector<float>> a;         // per unit: (C, H, W, N) after BN and ReLU
  std::vector<std::vector<float>> pooled;    // (C, H/2, W/2, N) after units 1 and 3
  std::vector<std::vector<int32_t>> argmax;  // max-pooling winners, shaped like pooled
  Workspace<float> ws;
  std::vector<float> gap, logits, probs, d_gap, d_logits;  // (N, 128), (N, 10)
  std::vector<float> d_a, d_b, d_y;                        // (32, 28, 28, N) gradient buffers
};

float vgg_forward(VggState& st, Vgg& net, const float* images, const int* labels, int64_t N,
                  Mode mode);
void vgg_backward(VggState& st, Vgg& net, const int* labels, int64_t N);

// The training loop of train_resnet (augmentation, schedule), without checkpoints.
TrainResult train_vgg(Vgg& net, const common::ImageDataset& data, const TrainConfig& train);
double vgg_accuracy(Vgg& net, const common::Tensor& x, const std::vector<int>& y);

}  // namespace phase5
