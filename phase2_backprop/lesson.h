// phase2_backprop/lesson.h -- the lesson's experiments, in teaching order: with main.cpp,
// lesson_1986.cpp and lesson_data.cpp are the lesson driver. From an experiment a learner
// reaches every layer in two steps: train.cpp (the training loops) or gradcheck.cpp, then
// mlp.h (the model: every layer's forward and backward, the network, SGD).
//
// Each experiment is a function that trains, prints its tables to stdout, writes its
// pictures to options.out_dir and returns its numbers (main.cpp turns them into the
// --json metrics; the train tests assert on them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradcheck.h"
#include "json.h"
#include "mlp.h"
#include "train.h"

namespace phase2 {

struct LessonOptions {
  uint64_t seed = 1;
  bool quick = false;    // tiny sizes, for smoke tests
  int epochs = 0;        // 0: each experiment's own default
  int batch_size = 0;    // 0: default
  double lr = 0.0;       // 0: default
  int seeds = 0;         // xor_seeds / symmetry seed sweeps; 0: default (100 / 20)
  int threads = 1;       // recorded in bench's config string
  std::string data_dir;  // where data/mnist lives
  std::string out_dir;   // pictures; empty: none written
  bool progress = true;  // progress bars on stderr
};

// 1. Every gradient of four small networks against central differences (double).
struct GradcheckResult {
  std::vector<GradcheckReport> reports;
  double max_relative_error = 0.0;
  common::Json to_json() const;
};
GradcheckResult run_gradcheck(const LessonOptions& options);

// 2. XOR with a 2-2-1 sigmoid network (the wall of phase 1 falls).
struct XorResult {
  double accuracy = 0.0;
  double final_loss = 0.0;
  int epochs = 0;  // first epoch with all four patterns right (0: never)
  int epochs_trained = 0;
  std::vector<float> outputs;  // the network's output for (0,0), (0,1), (1,0), (1,1)
  common::Json to_json() const;
};
XorResult run_xor(const LessonOptions& options);

// 3. Over many seeds: how often do 2-2-1, 2-3-1 and 2-4-1 networks solve XOR?
struct XorSeedsResult {
  int seeds = 0;
  int budget = 0;           // epochs allowed per run
  std::vector<int> hidden;  // {2, 3, 4}
  std::vector<double> success_rate;
  std::vector<double> mean_epochs;  // of the successful runs
  double rate_for(int h) const;
  common::Json to_json() const;
};
XorSeedsResult run_xor_seeds(const LessonOptions& options);

// 4. The 8-3-8 encoder of Rumelhart, Hinton and Williams (1986).
struct EncoderResult {
  double accuracy = 0.0;        // fraction of the 8 patterns reproduced
  bool codes_distinct = false;  // the 8 thresholded hidden codes all differ
  bool binary = false;          // every hidden activation < 0.2 or > 0.8
  int seeds = 0;                // the same run from options.seeds seeds:
  double success_rate = 0.0;    //   all 8 reproduced with distinct codes
  double binary_rate = 0.0;     //   ... and a binary code
  int epochs = 0;
  double final_loss = 0.0;
  common::Json to_json() const;
};
EncoderResult run_encoder(const LessonOptions& options);

// 5. Symmetry detection, 6-2-1 (same paper).
struct SymmetryResult {
  double accuracy = 0.0;  // over the 64 patterns, default seed
  int epochs = 0;         // epochs until solved (0: never)
  double final_loss = 0.0;
  double success_rate = 0.0;  // over options.seeds seeds
  int seeds = 0;
  std::vector<std::vector<float>> hidden_weights;  // (2, 6)
  common::Json to_json() const;
};
SymmetryResult run_symmetry(const LessonOptions& options);

// 6-7. Generated non-linear 2-D data sets, held-out test points.
struct PlaneResult {
  std::string network;
  int64_t train_examples = 0, test_examples = 0;
  int epochs = 0;
  double final_train_loss = 0.0;
  double train_accuracy = 0.0;
  double test_accuracy = 0.0;
  double seconds = 0.0;
  double items_per_second = 0.0;  // training examples per second
  common::Json to_json() const;
};
PlaneResult run_moons(const LessonOptions& options);
PlaneResult run_spirals(const LessonOptions& options);

// 8. Handwritten digits (MNIST), next to the phase-1 perceptron on the same split.
struct DigitsResult {
  std::string dataset, dataset_variant, network;
  int64_t train_examples = 0, test_examples = 0;
  int epochs = 0, batch_size = 0;
  double lr = 0.0;
  double test_accuracy = 0.0;
  double final_train_loss = 0.0;
  double perceptron_test_accuracy = 0.0;
  double averaged_perceptron_test_accuracy = 0.0;
  double seconds = 0.0;           // whole experiment (loading, training, evaluation)
  double train_seconds = 0.0;     // the training steps only
  double items_per_second = 0.0;  // training images per second
  std::vector<EpochRecord> history;
  common::Json to_json() const;
};
DigitsResult run_digits(const LessonOptions& options);

// bench: training throughput of 784-256-128-10, batch 64, SGD with momentum.
struct BenchResult {
  double items_per_second = 0.0;
  std::string unit = "images";
  std::string config;
  common::Json to_json() const;
};
BenchResult run_bench(const LessonOptions& options);

// The configurations the experiments use (the tests and the README refer to them).
MlpConfig digits_config();
SgdConfig digits_sgd();

// Helpers of the experiment files: the path of a picture in --out-dir (created on
// demand), and the "wrote PATH" line.
std::string picture_path(const LessonOptions& options, const std::string& name);
void wrote(const std::string& path);

}  // namespace phase2
