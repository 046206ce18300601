// phase5_resnet/resnet.h -- residual networks (He, Zhang, Ren and Sun, "Deep Residual
// Learning for Image Recognition", CVPR 2016, arXiv 2015) and their plain twins: the
// CIFAR-style family of the paper's section 4.2, here on 28x28 Fashion-MNIST images.
//
//   stem     3x3 conv, 16 channels, BatchNorm, ReLU                  28x28x16
//   stage 1  n basic blocks, 16 channels                              28x28x16
//   stage 2  n basic blocks, 32 channels, the first with stride 2     14x14x32
//   stage 3  n basic blocks, 64 channels, the first with stride 2      7x7x64
//   head     global average pooling, fully connected 64 -> 10, softmax cross-entropy
// depth = 6n + 2 weighted layers (20, 32, 44, 56, 110 for n = 3, 5, 7, 9, 18).
//
// A basic block (the paper's Figure 2, "building block"):
//   y = relu( F(x) + shortcut(x) ),   F(x) = BN2(conv2( relu(BN1(conv1(x))) ))
// with 3x3 convolutions (conv1 carries the block's stride). The plain twin is the same
// stack with the shortcut left out: y = relu(F(x)). The shortcut (section 3.3):
//   identity     when x and F(x) have the same shape;
//   option A     at the first block of stages 2 and 3: x subsampled with stride 2 and its
//                channels zero-padded (16 -> 32: channels 16..31 get nothing). No weights.
//   option B     there instead: a 1x1 convolution with stride 2 and BatchNorm (a
//                projection W_s x); the other blocks keep the identity.
//
// Layout: batch innermost, (C, H, W, N), as in conv.h: a convolution of the whole batch is
// one matrix product, and BatchNorm's channel c is one contiguous row of H*W*N values.
//
// The layers a block is made of are templates here (float for training, double for the
// gradient checks of tests/test_gradcheck.cpp); the network, its training loop and the
// experiments' measurements are in resnet.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "batchnorm.h"
#include "conv.h"
#include "data.h"
#include "layers.h"
#include "rng.h"

namespace phase5 {

// ---------------------------------------------------------------------------
// Config

enum class Shortcut { kA, kB };
enum class Mode { kTrain, kEval };  // BatchNorm: batch statistics / running averages

struct ResNetConfig {
  int64_t depth = 20;    // 6n + 2
  bool residual = true;  // false: the plain twin (no shortcuts)
  Shortcut shortcut = Shortcut::kA;
  bool batchnorm = true;            // false: convolutions with biases and no BatchNorm
  bool zero_init_residual = false;  // Goyal et al. 2017: each block's last BN gamma = 0
  int64_t image_size = 28, in_channels = 1, classes = 10;
  int64_t width = 16;  // channels of stage 1 (doubled at stages 2 and 3)
  int64_t blocks_per_stage() const { return (depth - 2) / 6; }
};

// "resnet-20", "plain-56", "resnet-20 (B)", "plain-20 without BatchNorm"
std::string describe(const ResNetConfig& config);
// Throws common::Error unless depth = 6n + 2 with n >= 1 and the image has room for it.
void check_config(const ResNetConfig& config);

// ---------------------------------------------------------------------------
// The layer a network is made of: a convolution and its BatchNorm.
// Offsets of the weights in the model's parameter buffer (-1: absent) and of the running
// statistics in its statistics buffer.

struct ConvBn {
  Conv2dShape shape;                            // N is set per batch
  int64_t w = -1;                               // (OC, C, KH, KW)
  int64_t bias = -1;                            // (OC), only without BatchNorm
  int64_t gamma = -1, beta = -1;                // (OC), with BatchNorm
  int64_t running_mean = -1, running_var = -1;  // (OC), in the statistics buffer
  bool batchnorm() const { return gamma >= 0; }
  int64_t channel_values(int64_t N) const { return shape.OH() * shape.OW() * N; }  // M
};

// What a unit keeps from forward for backward: its BatchNorm's normalised values and
// statistics (a unit without BatchNorm keeps nothing: y is the convolution's output).
template <class Real>
struct ConvBnCache {
  std::vector<Real> xhat;          // (OC, OH, OW, N)
  std::vector<Real> mean, invstd;  // (OC)
};

// Workspaces every unit shares (sized for the largest layer; see ResNetState).
template <class Real>
struct Workspace {
  std::vector<Real> z;       // (OC, OH, OW, N) a convolution's output before BatchNorm
  std::vector<Real> cols;    // (C*KH*KW, ld) im2col of a unit's input
  std::vector<Real> d_cols;  // (C*KH*KW, ld)
  std::vector<Real> d_z;     // (OC, OH, OW, N)
};

// Forward: z = conv(x);  y = BN(z)  (train: batch statistics; eval: running averages)
//   y (OC, OH, OW, N);  x (C, H, W, N);  params: the parameter buffer, stats: the running
//   statistics (updated in training mode).
// Without BatchNorm: y = conv(x) + bias.
template <class Real>
void conv_bn_forward(Real* y, ConvBnCache<Real>& cache, Workspace<Real>& ws, const Real* x,
                     const ConvBn& u, const Real* params, Real* stats, int64_t N, Mode mode) {
  Conv2dShape s = u.shape;
  s.N = N;
  const int64_t OC = s.OC, M = u.channel_values(N);
  if (!u.batchnorm()) {
    conv2d_forward(y, ws.cols.data(), x, params + u.w, params + u.bias, s);
    return;
  }
  conv2d_forward<Real>(ws.z.data(), ws.cols.data(), x, params + u.w, nullptr, s);
  if (mode == Mode::kTrain) {
    batchnorm_train_forward(y, cache.xhat.data(), cache.mean.data(), cache.invstd.data(),
                            stats + u.running_mean, stats + u.running_var, ws.z.data(),
                            params + u.gamma, params + u.beta, OC, M);
  } else {
    batchnorm_eval_forward(y, ws.z.data(), params + u.gamma, params + u.beta,
                           stats + u.running_mean, stats + u.running_var, OC, M);
  }
}
// Backward (training mode): accumulates into d_x (unless null) and grads.
//   d_x (C, H, W, N);  d_y (OC, OH, OW, N);  x: the unit's input, as in forward.
// The im2col matrix of x is computed again instead of being kept from forward: one
// matrix per layer of a 56-layer net at batch 128 would take 1.7 GB; recomputing costs
// one im2col per layer (the bench's breakdown shows its share).
template <class Real>
void conv_bn_backward(Real* d_x, Real* grads, Workspace<Real>& ws, const Real* d_y,
                      const ConvBnCache<Real>& cache, const Real* x, const ConvBn& u,
                      const Real* params, int64_t N) {
  Conv2dShape s = u.shape;
  s.N = N;
  const int64_t OC = s.OC, M = u.channel_values(N);
  const Real* d_conv = d_y;  // gradient at the convolution's output
  if (u.batchnorm()) {
    // y = BN(z)  =>  d_z = the three-term form (batchnorm.h)
    std::fill(ws.d_z.begin(), ws.d_z.begin() + OC * M, Real(0));
    batchnorm_backward(ws.d_z.data(), grads + u.gamma, grads + u.beta, d_y, cache.xhat.data(),
                       cache.invstd.data(), params + u.gamma, OC, M);
    d_conv = ws.d_z.data();
  }
  // z = conv(x)  =>  d_W += d_z cols^T,  d_x += col2im(W^T d_z)
  im2col(ws.cols.data(), x, s);
  conv2d_backward(d_x, grads + u.w, u.bias >= 0 ? grads + u.bias : nullptr, ws.d_cols.data(),
                  d_conv, ws.cols.data(), params + u.w, s);
}

// ---------------------------------------------------------------------------
// Shortcut option A: out += P x, where P keeps every stride-th row and column of x's
// C_in channels and pads channels C_in..C_out-1 with zeros. With stride 1 and
// C_in = C_out, P is the identity. Backward: d_x += P^T d_out (the kept positions of
// the first C_in channels; padded channels and skipped positions send nothing back).
//   out (C_out, OH, OW, N);  x (C_in, H, W, N);  OH = H / stride, OW = W / stride

struct ShortcutShape {
  int64_t N = 1, C_in = 1, H = 1, W = 1, C_out = 1, stride = 1;
  int64_t OH() const { return (H + stride - 1) / stride; }
  int64_t OW() const { return (W + stride - 1) / stride; }
};

template <class Real>
void shortcut_a_forward(Real* out, const Real* x, const ShortcutShape& s) {
  const int64_t OH = s.OH(), OW = s.OW(), N = s.N;
  common::parallel_for(0, s.C_in * OH, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t ci = lo; ci < hi; ++ci) {
      const int64_t c = ci / OH, i = ci % OH;
      for (int64_t j = 0; j < OW; ++j) {
        Real* o = out + (ci * OW + j) * N;                                          // (N)
        const Real* src = x + ((c * s.H + i * s.stride) * s.W + j * s.stride) * N;  // (N)
        for (int64_t n = 0; n < N; ++n) o[n] += src[n];
      }
    }
  });
}
template <class Real>
void shortcut_a_backward(Real* d_x, const Real* d_out, const ShortcutShape& s) {
  const int64_t OH = s.OH(), OW = s.OW(), N = s.N;
  common::parallel_for(0, s.C_in * OH, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t ci = lo; ci < hi; ++ci) {
      const int64_t c = ci / OH, i = ci % OH;
      for (int64_t j = 0; j < OW; ++j) {
        const Real* g = d_out + (ci * OW + j) * N;
        Real* dx = d_x + ((c * s.H + i * s.stride) * s.W + j * s.stride) * N;
        for (int64_t n = 0; n < N; ++n) dx[n] += g[n];
      }
    }
  });
}

// ---------------------------------------------------------------------------
// The basic block
//   a1 = relu(BN1(conv1(x)))            conv1: 3x3, stride s, C_in -> C_out
//   y2 = BN2(conv2(a1))                 conv2: 3x3, stride 1
//   out = relu(y2 + shortcut(x))        residual;   out = relu(y2)   plain

struct Block {
  ConvBn conv1, conv2;
  ConvBn projection;       // option B at a block that changes shape (projection.w >= 0)
  ShortcutShape shortcut;  // identity / option A (N set per batch)
  bool residual = true;
  bool projects() const { return projection.w >= 0; }
};

// Everything a block keeps from forward for backward.
template <class Real>
struct BlockCache {
  ConvBnCache<Real> bn1, bn2, bn_projection;
  std::vector<Real> a1;   // (C_out, OH, OW, N) after conv1, BN1 and ReLU
  std::vector<Real> out;  // (C_out, OH, OW, N) the block's output, after the final ReLU
};
// The block's own scratch space, shared by all blocks (sized for the largest).
template <class Real>
struct BlockWorkspace {
  Workspace<Real> unit;
  std::vector<Real> y_projection;  // (C_out, OH, OW, N) option B's BN output
  std::vector<Real> d_sum;         // (C_out, OH, OW, N) dL/d(y2 + shortcut(x))
  std::vector<Real> d_a1;          // (C_out, OH, OW, N)
  std::vector<Real> d_y1;          // (C_out, OH, OW, N)
};

// Buffers for one block at batch N (the network's state sizes them for every block).
template <class Real>
void size_conv_bn_cache(ConvBnCache<Real>& cache, const ConvBn& u, int64_t N) {
  if (!u.batchnorm()) return;
  cache.xhat.assign(static_cast<size_t>(u.shape.OC * u.channel_values(N)), Real(0));
  cache.mean.assign(static_cast<size_t>(u.shape.OC), Real(0));
  cache.invstd = cache.mean;
}
template <class Real>
void size_block_cache(BlockCache<Real>& c, const Block& b, int64_t N) {
  size_conv_bn_cache(c.bn1, b.conv1, N);
  size_conv_bn_cache(c.bn2, b.conv2, N);
  if (b.projects()) size_conv_bn_cache(c.bn_projection, b.projection, N);
  c.a1.assign(static_cast<size_t>(b.conv2.shape.OC * b.conv2.channel_values(N)), Real(0));
  c.out = c.a1;
}
// values: the largest map (C * H * W * N); cols: the largest im2col matrix (patch * ld).
template <class Real>
void size_block_workspace(BlockWorkspace<Real>& ws, int64_t values, int64_t cols) {
  ws.unit.z.assign(static_cast<size_t>(values), Real(0));
  ws.unit.d_z = ws.y_projection = ws.d_sum = ws.d_a1 = ws.d_y1 = ws.unit.z;
  ws.unit.cols.assign(static_cast<size_t>(cols), Real(0));
  ws.unit.d_cols = ws.unit.cols;
}

template <class Real>
void block_forward(BlockCache<Real>& c, BlockWorkspace<Real>& ws, const Real* x, const Block& b,
                   const Real* params, Real* stats, int64_t N, Mode mode) {
  const int64_t n_out = b.conv2.shape.OC * b.conv2.channel_values(N);
  // a1 = relu(BN1(conv1(x)))
  conv_bn_forward(c.a1.data(), c.bn1, ws.unit, x, b.conv1, params, stats, N, mode);
  relu_forward(c.a1.data(), c.a1.data(), n_out);
  // y2 = BN2(conv2(a1)), written into out
  conv_bn_forward(c.out.data(), c.bn2, ws.unit, c.a1.data(), b.conv2, params, stats, N, mode);
  // out = relu(y2 + shortcut(x))
  if (b.residual) {
    if (b.projects()) {
      conv_bn_forward(ws.y_projection.data(), c.bn_projection, ws.unit, x, b.projection, params,
                      stats, N, mode);
      const Real* p = ws.y_projection.data();
      Real* o = c.out.data();
      common::parallel_for(0, n_out, kElementGrain, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) o[i] += p[i];
      });
    } else {
      ShortcutShape s = b.shortcut;
      s.N = N;
      shortcut_a_forward(c.out.data(), x, s);
    }
  }
  relu_forward(c.out.data(), c.out.data(), n_out);
}

// Backward: accumulates dL/dx into d_x and the parameter gradients into grads.
//   d_x (C_in, H, W, N);  d_out (C_out, OH, OW, N);  x as in forward.
template <class Real>
void block_backward(Real* d_x, Real* grads, BlockWorkspace<Real>& ws, const Real* d_out,
                    const BlockCache<Real>& c, const Real* x, const Block& b, const Real* params,
                    int64_t N) {
  const int64_t n_out = b.conv2.shape.OC * b.conv2.channel_values(N);
  // out = relu(sum)  =>  d_sum = d_out [out > 0]
  std::fill(ws.d_sum.begin(), ws.d_sum.begin() + n_out, Real(0));
  relu_backward(ws.d_sum.data(), d_out, c.out.data(), n_out);
  // sum = y2 + shortcut(x)  =>  d_y2 = d_sum and d_x += shortcut^T(d_sum): the identity
  // hands the gradient to the block's input unchanged, whatever the branch does.
  if (b.residual) {
    if (b.projects()) {
      conv_bn_backward(d_x, grads, ws.unit, ws.d_sum.data(), c.bn_projection, x, b.projection,
                       params, N);
    } else {
      ShortcutShape s = b.shortcut;
      s.N = N;
      shortcut_a_backward(d_x, ws.d_sum.data(), s);
    }
  }
  // y2 = BN2(conv2(a1))  =>  d_a1
  std::fill(ws.d_a1.begin(), ws.d_a1.begin() + n_out, Real(0));
  conv_bn_backward(ws.d_a1.data(), grads, ws.unit, ws.d_sum.data(), c.bn2, c.a1.data(), b.conv2,
                   params, N);
  // a1 = relu(y1)  =>  d_y1 = d_a1 [a1 > 0]
  std::fill(ws.d_y1.begin(), ws.d_y1.begin() + n_out, Real(0));
  relu_backward(ws.d_y1.data(), ws.d_a1.data(), c.a1.data(), n_out);
  // y1 = BN1(conv1(x))  =>  d_x
  conv_bn_backward(d_x, grads, ws.unit, ws.d_y1.data(), c.bn1, x, b.conv1, params, N);
}

// ---------------------------------------------------------------------------
// Global average pooling: one number per channel and image, the mean over positions.
//   out (N, C) -- one row per image, as the classifier wants it;  in (C, HW, N)
//   out[n][c] = (1/HW) sum_p in[c][p][n]          d_in[c][p][n] += d_out[n][c] / HW
template <class Real>
void global_avgpool_forward(Real* out, const Real* in, int64_t N, int64_t C, int64_t HW) {
  const Real scale = Real(1) / static_cast<Real>(HW);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) out[n * C + c] = Real(0);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t p = 0; p < HW; ++p) {
      const Real* x = in + (c * HW + p) * N;  // (N)
      for (int64_t n = 0; n < N; ++n) out[n * C + c] += x[n];
    }
  for (int64_t i = 0; i < N * C; ++i) out[i] *= scale;
}
template <class Real>
void global_avgpool_backward(Real* d_in, const Real* d_out, int64_t N, int64_t C, int64_t HW) {
  const Real scale = Real(1) / static_cast<Real>(HW);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t p = 0; p < HW; ++p) {
      Real* dx = d_in + (c * HW + p) * N;
      for (int64_t n = 0; n < N; ++n) dx[n] += d_out[n * C + c] * scale;
    }
}

// ---------------------------------------------------------------------------
// The network: its layers, parameters and running statistics

struct ParamView {
  std::string name;    // "stage2.block0.conv1.w"
  int64_t offset = 0;  // into ResNet::params (or ResNet::stats)
  std::vector<int64_t> shape;
  int64_t size() const;
};

struct ResNet {
  ResNetConfig config;
  ConvBn stem;
  std::vector<Block> blocks;   // stage by stage
  int64_t fc_w = 0, fc_b = 0;  // (classes, 4*width), (classes)
  std::vector<ParamView> views, stat_views;
  std::vector<float> params, grads, velocity;  // one buffer each, same layout
  std::vector<float> stats;                    // running means and variances

  explicit ResNet(const ResNetConfig& config);  // the layers; weights all zero
  int64_t parameter_count() const { return static_cast<int64_t>(params.size()); }
  int64_t final_channels() const { return 4 * config.width; }
  int64_t final_size() const;  // 7 for 28x28 images
};

// He et al. 2015 ("Delving deep into rectifiers"): conv weights ~ N(0, 2 / fan_in);
// gamma 1, beta 0 (gamma 0 for each block's BN2 with zero_init_residual); the classifier
// N(0, 1 / fan_in), biases 0; running mean 0, running variance 1. Velocity zeroed.
void resnet_init(ResNet& net, common::Rng& rng);

// Multiply-adds of one image's forward pass, times 2 (one multiply, one add).
int64_t flops_per_image(const ResNet& net);

// Activations of a mini-batch of at most max_batch images (allocated once).
struct ResNetState {
  ResNetState(const ResNet& net, int64_t max_batch);
  int64_t max_batch;
  std::vector<float> x;  // (1, 28, 28, N) the input, batch innermost
  ConvBnCache<float> stem_bn;
  std::vector<float> stem_out;  // (16, 28, 28, N)
  std::vector<BlockCache<float>> blocks;
  BlockWorkspace<float> ws;
  std::vector<float> pooled;         // (N, 64)
  std::vector<float> logits, probs;  // (N, classes)
  std::vector<float> d_pooled, d_logits;
  std::vector<float> d_a, d_b;          // (16, 28, 28, N) ping-pong block-output gradients
  std::vector<double> block_grad_norm;  // (blocks) ||dL/d out_b||, filled by backward
};

// images (N, 28*28) in [0, 1]. Returns the mean cross-entropy when labels are given.
float resnet_forward(ResNetState& st, ResNet& net, const float* images, const int* labels,
                     int64_t N, Mode mode);
// After resnet_forward(..., Mode::kTrain) with labels: net.grads += dLoss/dparams, and
// st.block_grad_norm[b] = the L2 norm of dLoss/d(output of block b) (the gradient_flow
// experiment reads it).
void resnet_backward(ResNetState& st, ResNet& net, const int* labels, int64_t N);

// ---------------------------------------------------------------------------
// Training

enum class Schedule { kCosine, kStep };

struct TrainConfig {
  int epochs = 10;
  int64_t batch_size = 128;
  SgdConfig sgd{.lr = 0.1f, .momentum = 0.9f, .weight_decay = 1e-4f};  // the paper's
  Schedule schedule = Schedule::kCosine;  // kStep: lr / 10 at 50% and 75% of the steps
  int64_t warmup_steps = 0;  // linear warm-up from lr/10 (He et al. warm ResNet-110 up)
  bool augment = true;       // random crop (zero padding crop_pad) and horizontal flip
  int64_t crop_pad = 2;
  int64_t train_images = 0;  // > 0: the first that many training images
  uint64_t seed = 1;
  std::string checkpoint;  // saved after every epoch when not empty
  bool resume = false;     // continue from `checkpoint` (same flags: same result)
  int stop_after = 0;      // > 0: stop after this many epochs (to be resumed)
  bool verbose = true;
  std::string label = "resnet";  // the progress bar's label
};

struct EpochRecord {
  int epoch = 0;
  double train_loss = 0.0;  // mean over the epoch's mini-batches
  double test_accuracy = 0.0;
  double seconds = 0.0;  // training time so far
};

struct TrainResult {
  std::vector<EpochRecord> history;
  std::vector<float> step_losses;  // every step's mini-batch loss
  double train_loss = 0.0, test_accuracy = 0.0;
  double train_seconds = 0.0, images_per_second = 0.0;
  bool stopped = false;  // stop_after reached before the last epoch
};

// The learning rate of step `step` of `total`.
float learning_rate(const TrainConfig& train, int64_t step, int64_t total);

// One SGD step on a mini-batch (forward, backward, update). Returns the loss.
float resnet_train_step(ResNet& net, ResNetState& st, const float* images, const int* labels,
                        int64_t N, float lr, const SgdConfig& sgd);

// Random crop (zero padding `pad` on every side, then a 28x28 window at a random offset)
// and a horizontal flip with probability 1/2, image by image, drawn from rng in order.
//   out, in (N, H*W)
void augment_batch(float* out, const float* in, int64_t N, int64_t H, int64_t W, int64_t pad,
                   common::Rng& rng);

// Initialises net (from train.seed) unless resuming, trains on data.train_*, evaluates on
// data.test_* after every epoch.
TrainResult train_resnet(ResNet& net, const common::ImageDataset& data, const TrainConfig& train);

// Evaluation mode, blocks of 100 images.
void resnet_predict(int* predicted, ResNet& net, const float* images, int64_t N);
double resnet_accuracy(ResNet& net, const common::Tensor& x, const std::vector<int>& y,
                       std::vector<int>* predictions = nullptr);

}  // namespace phase5
