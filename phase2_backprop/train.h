// phase2_backprop/train.h -- the training loops: full-batch for the tiny 1986 problems,
// shuffled mini-batches for the generated 2-D data and the digits.
//
// One training step is always the same four lines:
//   mlp_forward -> mlp_loss -> mlp_zero_grad + mlp_backward -> sgd_step
// and the loss is checked for NaN/Inf at every step (common::Error names the step and
// suggests a lower --lr).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "datasets.h"
#include "mlp.h"

namespace phase2 {

// ---------------------------------------------------------------------------
// Full batch: every pattern in every step (an "epoch" or "sweep" in the 1986 paper).

struct FullBatchConfig {
  int max_epochs = 5000;  // budget
  SgdConfig sgd;
  // Stop as soon as the network gets every pattern right (checked every epoch); false
  // trains all max_epochs, so that the outputs move on towards their targets.
  bool stop_when_solved = true;
};

struct FullBatchResult {
  int epochs = 0;           // epochs run
  int solved_at = 0;        // first epoch with every pattern right (0: never)
  bool solved = false;      // every pattern right at the end
  double final_loss = 0.0;  // loss of the last forward pass
};

// "Right" for an MSE task: every output on the correct side of 0.5 (output > 0.5 exactly
// where the target is 1); for softmax-CE: argmax = label.
bool example_correct(const Mlp<float>& model, const MlpState<float>& state, const Dataset& ds,
                     int64_t n);
// Fraction of ds's examples the model gets right (one forward pass).
double accuracy(const Mlp<float>& model, const Dataset& ds);

FullBatchResult train_full_batch(Mlp<float>& model, const Dataset& ds,
                                 const FullBatchConfig& config);

// ---------------------------------------------------------------------------
// Mini-batches, for classification with softmax-CE.

struct MiniBatchConfig {
  int epochs = 20;
  int batch_size = 64;
  SgdConfig sgd;
  // The learning rate decays linearly from sgd.lr to 0 over the whole run:
  //   eta_t = eta (1 - t / T)   for step t of T
  // Large steps early cover ground; small steps late settle into the minimum instead of
  // bouncing around it (with a constant rate the last epochs' accuracy jitters).
  std::string label = "train";  // progress bar label
  bool progress = true;         // show common::ProgressBar
};

struct EpochRecord {
  int epoch = 0;                // 1-based
  double train_loss = 0.0;      // mean over the epoch's mini-batches (as they were seen)
  double train_accuracy = 0.0;  // of those mini-batches, before each step
  double test_loss = 0.0;       // after the epoch
  double test_accuracy = 0.0;
};

struct MiniBatchResult {
  std::vector<EpochRecord> history;
  double train_seconds = 0.0;  // wall time of the training steps only
  int64_t examples_seen = 0;   // training examples processed (epochs x N)
  double items_per_second() const {
    return train_seconds > 0.0 ? static_cast<double>(examples_seen) / train_seconds : 0.0;
  }
};

struct Evaluation {
  double loss = 0.0;
  double accuracy = 0.0;
};
// Mean softmax-CE and accuracy over x (N, D) with labels y, in batches of 1000.
Evaluation evaluate(const Mlp<float>& model, const common::Tensor& x, const std::vector<int>& y);

// Trains on (train_x, train_y), shuffling every epoch with shuffle_rng; evaluates on
// (test_x, test_y) after every epoch.
MiniBatchResult train_minibatch(Mlp<float>& model, const common::Tensor& train_x,
                                const std::vector<int>& train_y, const common::Tensor& test_x,
                                const std::vector<int>& test_y, const MiniBatchConfig& config,
                                common::Rng& shuffle_rng);

// Throws common::Error("... diverged at step S ... try a lower --lr") unless loss is finite.
void check_finite_loss(double loss, int64_t step, double lr);

}  // namespace phase2
