// phase4_lstm_gan/evaluator.h -- measuring "recognizable" without a human: a small CNN
// classifier trained here on the real images scores the generators' samples.
//
// The evaluator is LeNet-5 with ReLU and max-pooling, copied forward from
// phase3_cnn_rnn/lenet.h (conv 5x5 x6 pad 2 -> pool -> conv 5x5 x16 -> pool -> 120 -> 84 ->
// 10), trained with Adam instead of phase 3's SGD schedule (fewer knobs, a few epochs
// suffice). Given N images it returns the softmax probabilities, and the scores below.
//
// The scores of a set of samples (the idea of the Inception Score, Salimans et al. 2016,
// split into parts a learner can read):
//   confident_fraction  the fraction the classifier assigns to one class with p > 0.9: does
//                       a sample look like SOME digit?
//   class_entropy       the entropy (nats) of the histogram of predicted classes: ln 10 =
//                       2.303 when every class is equally frequent, 0 when every sample is
//                       the same digit (total mode collapse)
//   classes_covered     the number of classes predicted for at least 5% of the samples
//   label_accuracy      (conditional models) the fraction predicted as the requested digit
#pragma once

#include <cstdint>
#include <vector>

#include "data.h"
#include "gan_conv.h"
#include "gan_layers.h"

namespace phase4::gan {

// All parameters in one buffer (PyTorch's layouts), with named offsets.
struct Evaluator {
  static constexpr int64_t kC1 = 6, kC3 = 16, kC5 = 120, kF6 = 84, kK = 5;
  std::vector<float> params;
  float *c1_w, *c1_b;    // (6, 1, 5, 5), (6)
  float *c3_w, *c3_b;    // (16, 6, 5, 5), (16)
  float *c5_w, *c5_b;    // (120, 400), (120): a 5x5 convolution over S4's 5x5 maps
  float *f6_w, *f6_b;    // (84, 120), (84)
  float *out_w, *out_b;  // (10, 84), (10)
  Evaluator();
  Evaluator(const Evaluator& other);
  Evaluator& operator=(const Evaluator& other);

 private:
  void point();
};

struct EvaluatorTrainConfig {
  int epochs = 4;
  int64_t batch_size = 64;
  float lr = 1e-3f;  // Adam, beta1 0.9
  uint64_t seed = 1;
  bool verbose = true;
};

// He initialisation (ReLU), then Adam on data.train_*; returns the accuracy on data.test_*.
double train_evaluator(Evaluator& model, const common::ImageDataset& data,
                       const EvaluatorTrainConfig& config);

// probs (N, 10) for images (N, 784) in [0, 1].
void evaluator_probs(float* probs, const Evaluator& model, const float* images, int64_t N);

struct SampleScores {
  int64_t count = 0;
  double confident_fraction = 0.0;  // max p > 0.9
  double class_entropy = 0.0;       // nats, of the predicted-class histogram
  int classes_covered = 0;          // classes with >= 5% of the samples
  double label_accuracy = -1.0;     // with requested labels; -1 otherwise
  std::vector<int64_t> histogram = std::vector<int64_t>(10, 0);  // predicted classes
};
// requested (N) may be null.
SampleScores score_images(const Evaluator& model, const float* images, int64_t N,
                          const int* requested = nullptr);

// A cruder check that needs no classifier: the mean over the 784 pixels of |mean image of a -
// mean image of b|, for a (na, 784) and b (nb, 784) in [0, 1]. An untrained generator's gray
// noise is about 0.4 away from the real digits' mean image; a trained one, a few hundredths.
double mean_image_distance(const float* a, int64_t na, const float* b, int64_t nb);

}  // namespace phase4::gan
