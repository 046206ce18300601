// phase5_resnet/lenet.h -- LeNet-5 (LeCun, Bottou, Bengio and Haffner, "Gradient-based
// learning applied to document recognition", Proc. IEEE 1998), copied forward from phase 3
// (phase3_cnn_rnn/lenet.h/.cpp) for the `compare` experiment, with two changes: only the
// modern variant (ReLU + max-pooling; the 1998 tanh + average pooling is phase 3's), and
// EpochRecord renamed LeNetEpochRecord (resnet.h has its own).
//
//   input  32x32x1   (a 28x28 MNIST digit with a 2-pixel border of zeros; C1's padding)
//   C1     conv 5x5, 6 maps          -> 28x28x6      then the activation
//   S2     2x2 subsampling           -> 14x14x6
//   C3     conv 5x5, 16 maps         -> 10x10x16     then the activation
//   S4     2x2 subsampling           -> 5x5x16
//   C5     conv 5x5, 120 maps        -> 1x1x120      then the activation
//   F6     fully connected, 84 units -> 84           then the activation
//   output fully connected, 10 units -> 10 scores, softmax cross-entropy
//
// C5 is a 5x5 convolution over a 5x5 map: each of its 120 units sees the whole of S4,
// so it is computed as a fully connected layer over the 400 values of S4 (identical
// numbers, one product instead of im2col of a single patch). Its weights (120, 16, 5, 5)
// are those of the convolution, read as a (120, 400) matrix.
//
// Simplifications of the paper (the README discusses them):
//   * C3 connects every S2 map to every C3 map; the paper's table wires each C3 map to
//     only 3, 4 or 6 of the S2 maps (to save computation in 1998 and to break symmetry).
//   * S2 and S4 are plain averages (or maxima); the paper's subsampling multiplied the
//     average by a trainable coefficient, added a trainable bias and applied a sigmoid.
//   * The output is a fully connected layer with softmax cross-entropy; the paper used
//     84-dimensional RBF units matched against fixed 7x12 bitmaps of the characters,
//     with a special loss.
//   * The activation is ReLU and the pooling max (phase 3 also has the paper's tanh and
//     average pooling).
//
// Layout: batch innermost, (C, H, W, N), as in conv.h. The images arrive as rows (N, 784)
// and the fully connected layers want rows (N, D): the image batch is transposed once on
// the way in and S4's maps once on the way to C5.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "conv.h"
#include "data.h"
#include "layers.h"
#include "pool.h"
#include "rng.h"

namespace phase5 {

// ---------------------------------------------------------------------------
// Config, parameters, state

struct LeNetConfig {
  int64_t image_size = 28;  // square input images (MNIST: 28)
  int64_t classes = 10;
  // The fixed architecture of the paper.
  static constexpr int64_t kC1 = 6, kC3 = 16, kC5 = 120, kF6 = 84, kKernel = 5, kPad = 2;
};

std::string describe(const LeNetConfig& config);  // "ReLU + max-pooling"

// All parameters in one buffer with named views (so SGD, zeroing and checkpoints are
// one loop over `data`). The same struct holds gradients and momentum buffers.
struct LeNetParams {
  std::vector<float> data;
  float* c1_w;   // (6, 1, 5, 5)     C1 filters
  float* c1_b;   // (6)
  float* c3_w;   // (16, 6, 5, 5)    C3 filters
  float* c3_b;   // (16)
  float* c5_w;   // (120, 16, 5, 5)  C5 = fully connected over S4's 400 values
  float* c5_b;   // (120)
  float* f6_w;   // (84, 120)
  float* f6_b;   // (84)
  float* out_w;  // (10, 84)
  float* out_b;  // (10)

  explicit LeNetParams(const LeNetConfig& config);  // all zeros
  LeNetParams(const LeNetParams& other);
  LeNetParams& operator=(const LeNetParams& other);
  int64_t size() const { return static_cast<int64_t>(data.size()); }
  void zero();

  // name, pointer, shape -- for checkpoints, golden tests and pictures.
  struct View {
    std::string name;
    float* data;
    std::vector<int64_t> shape;
    int64_t size() const;
  };
  std::vector<View> views();

 private:
  void point(const LeNetConfig& config);
  LeNetConfig config_;
};

// He initialisation (layers.h); zero biases.
void lenet_init(LeNetParams& params, const LeNetConfig& config, common::Rng& rng);

// Activations of one mini-batch of at most max_batch images, allocated once. Every
// activation keeps its own buffer (backward reads them) and has a gradient twin d_*.
struct LeNetState {
  LeNetState(const LeNetConfig& config, int64_t max_batch);
  int64_t max_batch;
  Conv2dShape c1_shape, c3_shape;  // N is set per batch
  Pool2dShape s2_shape, s4_shape;
  std::vector<float> x;                       // (1, 28, 28, N) the input images, batch innermost
  std::vector<float> c1, a1;                  // (6, 28, 28, N) C1 before / after the activation
  std::vector<float> s2;                      // (6, 14, 14, N)
  std::vector<float> c3, a3;                  // (16, 10, 10, N)
  std::vector<float> s4;                      // (16, 5, 5, N)
  std::vector<float> flat;                    // (N, 400) S4 as one row per image, (c, h, w) order
  std::vector<float> c5, a5;                  // (N, 120)
  std::vector<float> f6, a6;                  // (N, 84)
  std::vector<float> logits;                  // (N, 10)
  std::vector<float> probs;                   // (N, 10)
  std::vector<int32_t> s2_argmax, s4_argmax;  // max-pooling winners, shaped like s2 / s4
  std::vector<float> cols1;    // (25, 28*28*N)   im2col workspace of C1 (rows padded)
  std::vector<float> cols3;    // (150, 10*10*N)  im2col workspace of C3
  std::vector<float> d_cols3;  // (150, 10*10*N)
  std::vector<float> d_a1, d_c1, d_s2, d_a3, d_c3, d_s4, d_flat, d_a5, d_c5, d_a6, d_f6, d_logits;
};

// ---------------------------------------------------------------------------
// Forward and backward

// images (N, image_size^2) in [0, 1]. Fills state up to the logits; with labels (N) it
// also computes the softmax and returns the mean cross-entropy (else returns 0).
float lenet_forward(LeNetState& state, const LeNetParams& params, const LeNetConfig& config,
                    const float* images, const int* labels, int64_t N);
// After lenet_forward with labels: accumulates dLoss/dparams into grads.
void lenet_backward(LeNetParams& grads, LeNetState& state, const LeNetParams& params,
                    const LeNetConfig& config, const int* labels, int64_t N);

// ---------------------------------------------------------------------------
// Training and evaluation

struct LeNetTrainConfig {
  int epochs = 15;          // passes over the training set
  int64_t batch_size = 64;  // images per SGD step
  SgdConfig sgd;            // lr 0.05, momentum 0.9, weight decay 5e-4 (layers.h)
  uint64_t seed = 1;        // initialisation and shuffling
  bool verbose = true;      // one line per epoch on stdout, a progress bar on stderr
};

struct LeNetEpochRecord {
  int epoch = 0;
  double train_loss = 0.0;  // mean over the epoch's mini-batches
  double test_accuracy = 0.0;
  double seconds = 0.0;  // wall time since training started
};

struct LeNetTrainResult {
  std::vector<LeNetEpochRecord> history;
  double test_accuracy = 0.0;
  double final_train_loss = 0.0;
  double train_seconds = 0.0;      // training steps only (evaluation excluded)
  double images_per_second = 0.0;  // training throughput
};

struct LeNet {
  LeNetConfig config;
  LeNetParams params, grads, velocity;
  explicit LeNet(const LeNetConfig& c) : config(c), params(c), grads(c), velocity(c) {}
};

// One SGD step on a mini-batch: forward, backward, update. Returns the loss.
float lenet_train_step(LeNet& model, LeNetState& state, const float* images, const int* labels,
                       int64_t N, float lr, const SgdConfig& sgd);

// Initialises the model (from train.seed) and trains it on data.train_*, evaluating on
// data.test_* after every epoch.
LeNetTrainResult train_lenet(LeNet& model, const common::ImageDataset& data,
                             const LeNetTrainConfig& train);

// The predicted class of each of N images (N, 784). However large N is, the network
// runs on blocks of kInferenceBlock images: the activations and im2col matrices of 64
// images (about 13 MB) stay in the processor's caches, those of 1000 (200 MB) do not,
// and a block of 1000 was measured 2.4 times slower per image.
constexpr int64_t kInferenceBlock = 64;
void lenet_predict(int* predicted, const LeNetParams& params, const LeNetConfig& config,
                   const float* images, int64_t N);
// Fraction of correctly classified images; predictions (N) when not null.
double lenet_accuracy(const LeNetParams& params, const LeNetConfig& config, const common::Tensor& x,
                      const std::vector<int>& y, std::vector<int>* predictions = nullptr);

}  // namespace phase5
