// phase1_perceptron/digits.h -- the multi-class perceptron and the averaged perceptron on
// MNIST digits, from raw pixels.
//
// Multi-class perceptron (an error-correction procedure of the 1960s pattern-recognition
// books, e.g. Nilsson 1965 and Duda and Hart 1973): one weight vector ("template") per class,
// predict the class whose template scores highest, and on a mistake pull the right
// template towards the image and push the wrongly chosen one away:
//
//   s_k   = w_k . x + b_k                     (k = 0..9)
//   y_hat = argmax_k s_k
//   if y_hat != y:   w_y += eta x,  b_y += eta,   w_yhat -= eta x,  b_yhat -= eta
//
// Averaged perceptron (Freund and Schapire, "Large margin classification using the
// perceptron algorithm", 1999): predict with the average of the weights over every training
// step instead of the last ones. The last weights swing with the last few mistakes; the
// average is a stable vote of all of them, and tests better.
//
// Dimension letters: N images, D = 784 pixels (28 x 28, row-major), K = 10 classes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image.h"
#include "tensor.h"

namespace phase1 {

// --- The model --------------------------------------------------------------------------

struct DigitModel {
  common::Tensor W;  // templates (K, D): row k "looks for" digit k
  common::Tensor b;  // biases (K)
  int64_t K() const { return W.dim(0); }
  int64_t D() const { return W.dim(1); }
};
DigitModel make_digit_model(int64_t K, int64_t D);  // all zeros

// --- Scores and predictions --------------------------------------------------------------

// One image, as the online rule needs it: scores (K) = W x + b.
void digit_scores(const DigitModel& m, const float* x, float* scores);
// The index of the largest score (the first one on ties).
int argmax(const float* scores, int64_t K);
// Many images at once with one matrix product: S (N, K) = X (N, D) W^T + b, then argmax.
std::vector<int> digit_predict(const DigitModel& m, const common::Tensor& X);
double accuracy(const std::vector<int>& predicted, const std::vector<int>& y);

// --- Training ---------------------------------------------------------------------------

// The running state of online training: the current weights and the sums that give the
// averaged weights at any time (see digits.cpp for the trick).
struct DigitTrainer {
  DigitModel model;        // w_t: the weights after t examples
  std::vector<double> U;   // (K, D) sum over updates of (step index) * (change of W)
  std::vector<double> Ub;  // (K) the same for b
  int64_t t = 0;           // examples seen so far
};
DigitTrainer make_digit_trainer(int64_t K, int64_t D);

// One pass over the examples in the given order, updating on every mistake. Returns the
// number of mistakes. Throws common::Error naming the step if a score is not finite.
int64_t perceptron_epoch(DigitTrainer& trainer, const common::Tensor& X, const std::vector<int>& y,
                         const std::vector<int64_t>& order, double lr);
// The average of w_1 .. w_t (the weights after each of the t examples seen).
DigitModel averaged_model(const DigitTrainer& trainer);

struct DigitConfig {
  int epochs = 10;       // passes over the training images
  double lr = 1.0;       // eta; from zero weights it only scales W, so any eta > 0 gives the
                         // same predictions (kept to show the rule in its usual form)
  uint64_t seed = 1;     // the shuffling order of each epoch
  bool progress = true;  // show a progress bar on stderr
};

struct DigitEpochLog {
  int epoch = 0;
  int64_t mistakes = 0;        // training mistakes made online during the epoch
  double test_accuracy = 0.0;  // with the weights at the end of the epoch
  double averaged_test_accuracy = 0.0;
};

struct DigitResult {
  DigitModel last;      // the final weights
  DigitModel averaged;  // the averaged weights
  std::vector<DigitEpochLog> log;
  double train_seconds = 0.0;  // online updates only (evaluation not included)
  int64_t images_seen = 0;     // epochs * N
};

// Shuffles (common::Rng(seed)) and runs config.epochs epochs, evaluating both models on
// the test set after each epoch.
DigitResult train_digits(const common::Tensor& train_x, const std::vector<int>& train_y,
                         const common::Tensor& test_x, const std::vector<int>& test_y,
                         const DigitConfig& config);

// --- Looking at the results --------------------------------------------------------------

// C (K, K) row-major: C[true * K + predicted] counts test images.
std::vector<int64_t> confusion_matrix(const std::vector<int>& predicted, const std::vector<int>& y,
                                      int64_t K);
// The matrix as a table with per-class recall on the right.
std::string format_confusion(const std::vector<int64_t>& confusion, int64_t K);
// Up to `count` misclassified images side by side in ASCII, "true 4, said 9" above each.
std::string format_misclassified(const common::Tensor& X, const std::vector<int>& y,
                                 const std::vector<int>& predicted, int count, int rows, int cols);
// The K templates as a grid of diverging pictures (red positive, blue negative weights,
// each template scaled by its own largest |weight|), `zoom` screen pixels per weight.
common::Image template_grid(const DigitModel& m, int rows, int cols, int grid_cols, int zoom);

}  // namespace phase1
