// phase3_cnn_rnn/main.cpp -- the lesson driver of phase 3: LeNet-5 beats the classical
// methods on MNIST; a vanilla RNN writes text and shows why its gradients vanish.
//
// What this phase builds (one file per idea, read in this order):
//   layers.h/.cpp     matrix products, initialisation, tanh/ReLU, fully connected layer,
//                     softmax cross-entropy, SGD with momentum and weight decay, cosine schedule
//   conv.h/.cpp       2-D convolution: the direct loops (reference) and im2col + gemm (fast)
//   pool.h/.cpp       average pooling (LeCun's subsampling) and max pooling
//   lenet.h/.cpp      LeNet-5 (LeCun, Bottou, Bengio and Haffner 1998): model, training
//   classical.h/.cpp  the paper's baselines: linear classifier, 3-nearest neighbours, 2-layer MLP
//   pictures.h/.cpp   filters, feature maps, misclassified digits
//   rnn.h/.cpp        the Elman RNN (1990), BPTT, truncated BPTT, clipping, Adam; a noisy sine
//                     wave, a character-level language model, the vanishing gradient measured
// What it leaves out: C3's sparse connection table, trainable subsampling and the RBF output
// of the 1998 paper (see lenet.h), data augmentation (the paper's distortions), LSTM gates
// (phase 4).
//
// Build, run, test (from the repository root):
//   cmake --preset release && cmake --build --preset release
//   build/release/phase3_cnn_rnn/phase3_cnn_rnn                 # the whole lesson (< 10 min)
//   build/release/phase3_cnn_rnn/phase3_cnn_rnn lenet --epochs 5
//   ctest --preset release -R phase3_cnn_rnn
//
// This file parses flags, runs the experiments in teaching order with narration, writes
// the pictures and records the numbers (--json). The ideas live in the files above.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bench.h"
#include "char_rnn.h"
#include "classical.h"
#include "common.h"
#include "lenet.h"
#include "pictures.h"
#include "rnn.h"
#include "vanishing.h"

namespace {

constexpr const char* kPhase = "phase3_cnn_rnn";

// The phase's own flags, with their defaults.
struct Options {
  std::string dataset = "mnist";       // lenet: mnist or fashion-mnist
  bool classic = false;                // lenet: the paper's tanh + average pooling
  std::string corpus = "shakespeare";  // char_rnn, vanishing: shakespeare or kjv
  int64_t hidden = 256;                // char_rnn: hidden units
  std::string prompt;                  // char_rnn: empty = the corpus's own ("ROMEO:")
  double temperature = 0.8;            // char_rnn: sampling temperature
  int64_t sample_chars = 500;          // char_rnn: length of the final sample
};

// What every experiment gets: the flags, the metrics file being filled in, and results
// that later experiments of the lesson reuse (LeNet's accuracy, the trained RNN).
struct Lesson {
  common::CommonFlags flags;
  Options options;
  common::Metrics metrics;
  std::optional<double> lenet_mnist_accuracy;
  std::optional<phase3::CharRnn> char_model;
  std::optional<phase3::CharCorpus> corpus;
};

using common::fmt;
using common::heading;
using common::say;

std::string out_path(const Lesson& lesson, const std::string& name) {
  common::make_dirs(lesson.flags.out_dir);
  return common::join_path(lesson.flags.out_dir, name);
}

void write_picture(const Lesson& lesson, const std::string& name, const common::Image& image) {
  const std::string path = out_path(lesson, name);
  common::write_png(path, image);
  say("    wrote " + path + "\n");
}

void write_chart(const Lesson& lesson, const std::string& name,
                 const std::vector<common::Series>& series, const common::ChartOptions& options) {
  const std::string path = out_path(lesson, name);
  common::write_svg_line_chart(path, series, options);
  say("    wrote " + path + "\n");
}

// ---------------------------------------------------------------------------
// LeNet-5

struct LeNetRun {
  phase3::LeNetTrainResult result;
  double accuracy = 0.0;
};

// Default sizes of a LeNet-5 run (the lesson's and the experiment's).
phase3::LeNetTrainConfig lenet_train_config(const Lesson& lesson, const std::string& dataset) {
  phase3::LeNetTrainConfig train;
  const bool quick = lesson.flags.quick;
  train.epochs = lesson.flags.epochs_or(quick ? 2 : dataset == "mnist" ? 20 : 10);
  train.batch_size = lesson.flags.batch_size_or(64);
  train.sgd.lr = static_cast<float>(lesson.flags.lr_or(train.sgd.lr));
  train.seed = lesson.flags.seed;
  return train;
}

common::ImageDataset load_images(const Lesson& lesson, const std::string& dataset) {
  // --quick: the first 10,000 training images (all of them for our MNIST) and 2,000 test.
  return common::load_image_dataset(lesson.flags.data_dir, dataset, lesson.flags.quick ? 10000 : 0,
                                    lesson.flags.quick ? 2000 : 0);
}

LeNetRun run_lenet(Lesson& lesson, const std::string& dataset, bool classic,
                   const std::string& json_name) {
  common::Timer timer;
  const common::ImageDataset ds = load_images(lesson, dataset);
  phase3::LeNetConfig config;
  if (classic) {
    config.activation = phase3::Activation::kTanh;
    config.pooling = phase3::Pooling::kAverage;
  }
  const phase3::LeNetTrainConfig train = lenet_train_config(lesson, dataset);
  const int64_t n_train = ds.train_x.dim(0), n_test = ds.test_x.dim(0);
  say("  data: " + dataset + ", " + std::to_string(n_train) + " training and " +
      std::to_string(n_test) + " test images (" + ds.variant + ")\n  model: LeNet-5 with " +
      phase3::describe(config) + "; " + std::to_string(train.epochs) + " epochs, batch " +
      std::to_string(train.batch_size) + ", SGD lr " + fmt("%g", train.sgd.lr) +
      " (cosine to 0), momentum " + fmt("%g", train.sgd.momentum) + ", weight decay " +
      fmt("%g", train.sgd.weight_decay) + ", seed " + std::to_string(train.seed) + "\n\n");

  phase3::LeNet model(config);
  LeNetRun run;
  run.result = phase3::train_lenet(model, ds, train);
  std::vector<int> predicted;
  run.accuracy = phase3::lenet_accuracy(model.params, config, ds.test_x, ds.test_y, &predicted);
  say("\n  test accuracy " + fmt("%.4f", run.accuracy) + " (error " +
      fmt("%.2f", 100.0 * (1.0 - run.accuracy)) + "%), training " +
      fmt("%.1f", run.result.train_seconds) + " s at " + fmt("%.0f", run.result.images_per_second) +
      " images/s on " + std::to_string(common::num_threads()) + " thread(s)\n");

  // Pictures: curves, C1 filters, feature maps of the first test digit, mistakes.
  const std::string prefix = "lenet_" + dataset + (classic ? "_classic" : "");
  common::Series loss{"training loss", {}, {}, true, true},
      acc{"test accuracy", {}, {}, true, true};
  for (const auto& e : run.result.history) {
    loss.x.push_back(e.epoch);
    loss.y.push_back(e.train_loss);
    acc.x.push_back(e.epoch);
    acc.y.push_back(e.test_accuracy);
  }
  say("\n");
  write_chart(lesson, prefix + "_loss.svg", {loss},
              {"LeNet-5 on " + dataset + ": training loss", "epoch", "cross-entropy (nats)", true});
  write_chart(lesson, prefix + "_accuracy.svg", {acc},
              {"LeNet-5 on " + dataset + ": test accuracy", "epoch", "accuracy"});
  write_picture(lesson, prefix + "_c1_filters.png",
                phase3::filters_picture(model.params.c1_w, 6, 5, 12));
  phase3::LeNetState one(config, 1);
  phase3::lenet_forward(one, model.params, config, ds.test_x.row(0), nullptr, 1);
  write_picture(
      lesson, prefix + "_c1_maps.png",
      phase3::feature_maps_picture(one.a1.data(), 28, 28, 6, 3, ds.test_x.row(0), 28, 28));
  write_picture(lesson, prefix + "_c3_maps.png",
                phase3::feature_maps_picture(one.a3.data(), 10, 10, 16, 8));
  std::vector<int64_t> wrong;
  for (int64_t i = 0; i < n_test && wrong.size() < 40; ++i)
    if (predicted[static_cast<size_t>(i)] != ds.test_y[static_cast<size_t>(i)]) wrong.push_back(i);
  write_picture(lesson, prefix + "_misclassified.png",
                phase3::misclassified_picture(ds.test_x, 28, wrong, ds.test_y, predicted, 10));
  say("\n  The first misclassified test images (true label -> LeNet-5's answer):\n" +
      phase3::ascii_misclassified(ds.test_x, 28, wrong, ds.test_y, predicted, 5));

  common::Json& m = lesson.metrics.experiment(json_name);
  m["dataset"] = dataset;
  m["dataset_variant"] = ds.variant;
  m["model"] = "LeNet-5, " + phase3::describe(config);
  m["train_examples"] = n_train;
  m["test_examples"] = n_test;
  m["epochs"] = train.epochs;
  m["batch_size"] = train.batch_size;
  m["lr"] = static_cast<double>(train.sgd.lr);
  m["test_accuracy"] = run.accuracy;
  m["final_train_loss"] = run.result.final_train_loss;
  common::Json per_epoch = common::Json::array();
  for (const auto& e : run.result.history) per_epoch.push_back(e.test_accuracy);
  m["test_accuracy_per_epoch"] = per_epoch;
  m["train_seconds"] = run.result.train_seconds;
  m["items_per_second"] = run.result.images_per_second;
  m["seconds"] = timer.seconds();
  return run;
}

void lenet(Lesson& lesson) {
  const std::string& dataset = lesson.options.dataset;
  heading("lenet: LeNet-5 on " + dataset,
          R"(Two convolutions, each followed by 2x2 subsampling, then three fully connected
layers (LeCun et al. 1998). A 5x5 filter slides over the image and the SAME 25
weights score every position: the network looks for a stroke anywhere, with
156 weights in C1 instead of the 117,600 that a separate 5x5 filter at each of the
4,704 output positions would need (a fully connected layer: about 3.7 million).
Each convolution is computed as the filters times im2col (the patches as columns):
one matrix product per mini-batch.
)");
  const LeNetRun run = run_lenet(lesson, dataset, lesson.options.classic, "lenet");
  if (dataset == "mnist" && !lesson.options.classic) lesson.lenet_mnist_accuracy = run.accuracy;
}

// The lesson's extra LeNet runs: the paper's tanh + average pooling, and Fashion-MNIST.
void lenet_classic(Lesson& lesson) {
  heading("lenet (classic): tanh and average pooling, as in 1998",
          "The same network with the paper's smooth tanh units and averaging subsampling.\n");
  run_lenet(lesson, "mnist", true, "lenet_classic");
}

void lenet_fashion(Lesson& lesson) {
  heading("lenet (fashion-mnist): the same network on clothes",
          R"(Fashion-MNIST (Xiao, Rasul and Vollgraf 2017) has MNIST's format -- 28x28 gray
images, 10 classes, 60,000 + 10,000 -- but shirts, sandals and bags, which are
harder to tell apart than digits. Labels: 0 T-shirt, 1 trouser, 2 pullover, 3 dress,
4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag, 9 ankle boot.
)");
  run_lenet(lesson, "fashion-mnist", false, "lenet_fashion");
}

// ---------------------------------------------------------------------------
// The classical methods

void classical(Lesson& lesson) {
  heading("classical: LeNet-5 against the methods of 1998",
          R"(The comparison of LeCun et al. (1998, figure 9), rebuilt on our MNIST split: a linear
classifier, k-nearest neighbours on raw pixels and a 2-layer network, trained here,
beside LeNet-5.
)");
  common::Timer timer;
  const bool quick = lesson.flags.quick;
  const common::ImageDataset ds = load_images(lesson, "mnist");
  const int64_t n_train = ds.train_x.dim(0), n_test = ds.test_x.dim(0);
  say("  data: " + std::to_string(n_train) + " training and " + std::to_string(n_test) +
      " test images (" + ds.variant + ")\n\n");

  phase3::ClassicalTrainConfig train;
  train.seed = lesson.flags.seed;
  train.epochs = quick ? 3 : 10;
  common::Timer t_linear;
  phase3::Mlp linear(phase3::MlpConfig{{784, 10}});
  const double linear_acc = phase3::train_mlp(linear, ds, train, "linear");
  const double linear_s = t_linear.seconds();

  common::Timer t_knn;
  const std::vector<int> knn_pred = phase3::knn_predict(ds.train_x, ds.train_y, ds.test_x, 3, 10);
  const double knn_acc = phase3::accuracy(knn_pred, ds.test_y);
  const double knn_s = t_knn.seconds();

  common::Timer t_mlp;
  train.epochs = quick ? 3 : 15;
  phase3::Mlp mlp(phase3::MlpConfig{{784, 300, 10}});
  const double mlp_acc = phase3::train_mlp(mlp, ds, train, "mlp 300");
  const double mlp_s = t_mlp.seconds();

  double lenet_acc = 0.0, lenet_s = 0.0;
  if (lesson.lenet_mnist_accuracy) {
    lenet_acc = *lesson.lenet_mnist_accuracy;
    say("  LeNet-5: the accuracy of the lenet experiment above.\n");
  } else {
    say("  LeNet-5: training it now (ReLU + max-pooling).\n");
    common::Timer t_lenet;
    phase3::LeNet model{phase3::LeNetConfig{}};
    phase3::LeNetTrainConfig lt = lenet_train_config(lesson, "mnist");
    lt.verbose = false;
    phase3::train_lenet(model, ds, lt);
    lenet_acc = phase3::lenet_accuracy(model.params, model.config, ds.test_x, ds.test_y);
    lenet_s = t_lenet.seconds();
  }

  struct Row {
    const char* method;
    double accuracy, paper_error, seconds;
  };
  const Row rows[] = {{"linear classifier (784 -> 10)", linear_acc, 12.0, linear_s},
                      {"k-NN, Euclidean, k = 3", knn_acc, 5.0, knn_s},
                      {"2-layer NN, 300 hidden units", mlp_acc, 4.7, mlp_s},
                      {"LeNet-5", lenet_acc, 0.95, lenet_s}};
  say("\n  method                           test error here   LeCun et al. 1998   time here\n");
  for (const Row& r : rows) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-32s %13.2f %%   %15.2f %%   %s\n", r.method,
                  100.0 * (1.0 - r.accuracy), r.paper_error,
                  r.seconds > 0 ? (fmt("%7.1f", r.seconds) + " s").c_str() : "  (above)");
    say(line);
  }
  say("\n  LeCun et al. trained on all 60,000 MNIST training images; these models saw " +
      std::to_string(n_train) + ",\n  so the errors here are higher" +
      (n_train < 60000 ? " (scripts/get_data.sh mnist can only fetch the first\n  10,000 here)"
                       : "") +
      R"(. The order is the point: the network that knows an image is 2-D,
  and that a stroke is a stroke wherever it is, beats the methods that see 784
  unrelated numbers.
)");

  common::Json& m = lesson.metrics.experiment("classical");
  m["dataset"] = "mnist";
  m["dataset_variant"] = ds.variant;
  m["train_examples"] = n_train;
  m["test_examples"] = n_test;
  m["linear_test_accuracy"] = linear_acc;
  m["knn_test_accuracy"] = knn_acc;
  m["mlp_test_accuracy"] = mlp_acc;
  m["lenet_test_accuracy"] = lenet_acc;
  m["knn_seconds"] = knn_s;
  m["seconds"] = timer.seconds();
}

// ---------------------------------------------------------------------------
// The RNN half

void sequence(Lesson& lesson) {
  heading("sequence: an RNN predicts a noisy sine wave",
          R"(The Elman recurrence h_t = tanh(W_xh x_t + W_hh h_{t-1} + b) reads the series one
value at a time; a linear read-out predicts the next value from h_t. The naive
baseline repeats the last value. The noise (std 0.1) cannot be predicted, so no
model can go below an error of 0.01.
)");
  phase3::SequenceConfig config;
  config.seed = lesson.flags.seed;
  config.steps = lesson.flags.steps_or(lesson.flags.quick ? 300 : config.steps);
  config.batch = lesson.flags.batch_size_or(static_cast<int>(config.batch));
  config.adam.lr = static_cast<float>(lesson.flags.lr_or(config.adam.lr));
  say("  " + std::to_string(config.length) + " samples, period " + fmt("%g", config.period) +
      ", noise " + fmt("%g", config.noise) + "; hidden " + std::to_string(config.hidden) +
      ", windows of " + std::to_string(config.window) + ", batch " + std::to_string(config.batch) +
      ", " + std::to_string(config.steps) + " Adam steps\n\n");
  const phase3::SequenceResult r = phase3::run_sequence_task(config);
  say("\n  test MSE: RNN " + fmt("%.4f", r.test_mse) + ", repeat-last-value baseline " +
      fmt("%.4f", r.baseline_mse) + ", noise floor " + fmt("%.4f", r.noise_mse) + "\n");
  common::Series truth{"series", {}, {}, false, true}, pred{"RNN prediction", {}, {}, false, true};
  for (size_t t = 0; t < std::min<size_t>(150, r.truth.size()); ++t) {
    truth.x.push_back(static_cast<double>(t));
    truth.y.push_back(r.truth[t]);
    pred.x.push_back(static_cast<double>(t));
    pred.y.push_back(r.prediction[t]);
  }
  write_chart(lesson, "sequence_prediction.svg", {truth, pred},
              {"Next-value prediction on the test part", "step", "value"});
  common::Json& m = lesson.metrics.experiment("sequence");
  m["test_mse"] = r.test_mse;
  m["baseline_mse"] = r.baseline_mse;
  m["noise_mse"] = r.noise_mse;
  m["steps"] = config.steps;
  m["seconds"] = r.seconds;
}

std::string default_prompt(const std::string& corpus) {
  return corpus == "kjv" ? "And God said" : "ROMEO:";
}

// Sizes of the character model: the lesson's, or tiny ones for --quick.
phase3::CharRnnTrainConfig char_train_config(const Lesson& lesson) {
  phase3::CharRnnTrainConfig train;
  const bool quick = lesson.flags.quick;
  train.steps = lesson.flags.steps_or(quick ? 300 : train.steps);
  train.batch = lesson.flags.batch_size_or(static_cast<int>(train.batch));
  train.adam.lr = static_cast<float>(lesson.flags.lr_or(train.adam.lr));
  train.eval_every = quick ? 100 : train.eval_every;
  train.prompt =
      lesson.options.prompt.empty() ? default_prompt(lesson.options.corpus) : lesson.options.prompt;
  train.temperature = static_cast<float>(lesson.options.temperature);
  train.seed = lesson.flags.seed;
  return train;
}

phase3::RnnConfig char_model_config(const Lesson& lesson, int64_t vocab) {
  return phase3::RnnConfig{vocab, 64, lesson.flags.quick ? 64 : lesson.options.hidden, vocab};
}

const phase3::CharCorpus& corpus(Lesson& lesson) {
  if (!lesson.corpus || lesson.corpus->name != lesson.options.corpus)
    lesson.corpus = phase3::load_char_corpus(lesson.flags.data_dir, lesson.options.corpus,
                                             lesson.flags.quick ? 300000 : 0);
  return *lesson.corpus;
}

std::string checkpoint_path(const Lesson& lesson, const phase3::RnnConfig& config) {
  return out_path(lesson, "char_rnn_" + lesson.options.corpus + "_h" +
                              std::to_string(config.hidden) + (lesson.flags.quick ? "_quick" : "") +
                              ".ckpt");
}

void char_rnn(Lesson& lesson) {
  heading("char_rnn: a character-level language model (" + lesson.options.corpus + ")",
          R"(Each character is embedded as a 64-number vector; the RNN reads the text one
character at a time and scores every possible next character. Training is truncated
backpropagation through time: 32 streams read the text side by side, 100 characters
per update; the hidden state flows on from one chunk to the next but the gradient
stops at the chunk's start. Adam, gradient norms clipped at 5. The last 10% of the
text is held out; the loss is in nats per character.
)");
  common::Timer timer;
  const phase3::CharCorpus& text = corpus(lesson);
  const phase3::RnnConfig config = char_model_config(lesson, text.vocab.size());
  const phase3::CharRnnTrainConfig train = char_train_config(lesson);
  say("  corpus: " + text.name + ", " + std::to_string(text.text.size()) + " bytes, " +
      std::to_string(text.vocab.size()) + " distinct characters, " +
      std::to_string(text.train.size()) + " for training, " + std::to_string(text.val.size()) +
      " for validation\n  (a uniform guess among " + std::to_string(text.vocab.size()) +
      " characters scores ln " + std::to_string(text.vocab.size()) + " = " +
      fmt("%.2f", std::log(static_cast<double>(text.vocab.size()))) +
      " nats)\n  model: embedding " + std::to_string(config.input) + ", hidden " +
      std::to_string(config.hidden) + "; " + std::to_string(train.steps) + " steps of " +
      std::to_string(train.batch) + " x " + std::to_string(train.seq_len) +
      " characters, Adam lr " + fmt("%g", train.adam.lr) + " (cosine to 0)\n");
  lesson.char_model.emplace(config);
  phase3::CharRnn& model = *lesson.char_model;
  const phase3::CharRnnTrainResult r = phase3::train_char_rnn(model, text, train);

  common::Rng rng(lesson.flags.seed);
  const std::string sample =
      phase3::sample_text(model.params, config, text.vocab, train.prompt,
                          lesson.options.sample_chars, train.temperature, rng);
  const std::set<std::string> known = [&] {
    const std::string train_text = text.vocab.decode(text.train);
    const std::vector<std::string> w = phase3::words_of(train_text);
    return std::set<std::string>(w.begin(), w.end());
  }();
  const double known_fraction =
      phase3::known_word_fraction(sample.substr(train.prompt.size()), known);
  say("\n  validation loss " + fmt("%.3f", r.val_loss) + " nats/char (" +
      fmt("%.3f", r.val_loss / std::log(2.0)) + " bits), training " + fmt("%.1f", r.train_seconds) +
      " s at " + fmt("%.0f", r.tokens_per_second) + " characters/s\n\n  A " +
      std::to_string(lesson.options.sample_chars) + "-character sample at temperature " +
      fmt("%g", train.temperature) + ":\n\n" + sample + "\n\n  " +
      fmt("%.0f", 100 * known_fraction) +
      R"(% of its words occur in the training text: the network spells, but it has no
  plan beyond a few words, because what it read 50 characters ago barely reaches
  its gradient (next experiment).
)");
  common::Series val{"validation", r.eval_steps, r.val_history, true, true};
  common::Series tr{"training (mean since last point)", r.eval_steps, r.train_history, true, true};
  write_chart(lesson, "char_rnn_loss.svg", {tr, val},
              {"Character RNN on " + text.name, "step", "cross-entropy (nats/char)"});
  const std::string ckpt = checkpoint_path(lesson, config);
  phase3::save_rnn_checkpoint(ckpt, model.params);
  say("    wrote " + ckpt + "\n");

  common::Json& m = lesson.metrics.experiment("char_rnn");
  m["corpus"] = text.name;
  m["dataset_variant"] = text.variant;
  m["hidden"] = config.hidden;
  m["steps"] = train.steps;
  m["val_loss"] = r.val_loss;
  m["train_loss"] = r.train_loss;
  m["tokens_per_second"] = r.tokens_per_second;
  m["train_seconds"] = r.train_seconds;
  m["sample"] = sample;
  m["known_word_fraction"] = known_fraction;
  m["seconds"] = timer.seconds();
}

void vanishing(Lesson& lesson) {
  const int64_t sequences = lesson.flags.quick ? 64 : 512;
  heading("vanishing: how far back does the gradient reach?",
          "For sequences of 151 characters and a loss at the last one only, we measure the\n"
          "norm of dLoss/dh_{T-k}, k steps back, averaged over " +
              std::to_string(sequences) +
              R"( validation sequences.
Every step back multiplies the gradient by W_hh^T diag(1 - h_t^2) (Hochreiter 1991,
Bengio, Simard and Frasconi 1994).
)");
  common::Timer timer;
  const phase3::CharCorpus& text = corpus(lesson);
  const phase3::RnnConfig config = char_model_config(lesson, text.vocab.size());
  if (!lesson.char_model || lesson.char_model->config.hidden != config.hidden ||
      lesson.char_model->config.vocab != config.vocab) {
    const std::string ckpt = checkpoint_path(lesson, config);
    lesson.char_model.emplace(config);
    if (common::file_exists(ckpt)) {
      say("  using the model the char_rnn experiment saved: " + ckpt + "\n");
      phase3::load_rnn_checkpoint(ckpt, lesson.char_model->params);
    } else {
      say("  no trained model at " + ckpt + ": training one first (as char_rnn does)\n");
      phase3::CharRnnTrainConfig train = char_train_config(lesson);
      train.verbose = false;
      phase3::train_char_rnn(*lesson.char_model, text, train);
    }
  }
  const phase3::VanishingResult r = phase3::measure_vanishing(
      lesson.char_model->params, config, text.val, 100, sequences, 50, lesson.flags.seed);
  say("\n   k   mean ||dLoss/dh_{T-k}||\n");
  for (int64_t k : {0, 1, 2, 5, 10, 20, 30, 50, 75, 100})
    say("  " + fmt("%3.0f", static_cast<double>(k)) + "   " +
        fmt("%.3e", r.mean_norm[static_cast<size_t>(k)]) + "\n");
  say("\n  decay per step " + fmt("%.3f", r.decay_per_step) +
      " (a least-squares line through log ||g_k||, k = 1..100)\n  ||g_50|| / ||g_1|| = " +
      fmt("%.2e", r.ratio_k50_k1) +
      ": what the network read 50 characters ago\n  reaches "
      "its gradient " +
      fmt("%.1e", r.ratio_k50_k1 > 0 ? 1.0 / r.ratio_k50_k1 : INFINITY) +
      R"( times weaker than what it read one character ago.
  Training can only learn dependencies the gradient carries, so the RNN learns
  spelling and short-range grammar and little else. The LSTM of phase 4 adds a
  memory cell whose gradient path is a sum, not a product, and keeps this signal alive.
)");
  common::Series norms{"mean ||dLoss/dh_{T-k}||", {}, {}, false, true};
  for (size_t k = 0; k < r.mean_norm.size(); ++k) {
    norms.x.push_back(static_cast<double>(k));
    norms.y.push_back(r.mean_norm[k]);
  }
  write_chart(lesson, "vanishing_gradient.svg", {norms},
              {"Gradient reaching k steps back (trained char RNN)", "k (steps back)",
               "gradient norm (log scale)", true});
  common::Json& m = lesson.metrics.experiment("vanishing");
  m["corpus"] = text.name;
  m["decay_per_step"] = r.decay_per_step;
  m["ratio_k50_k1"] = r.ratio_k50_k1;
  m["sequences"] = r.sequences;
  common::Json norms_json = common::Json::array();
  for (double g : r.mean_norm) norms_json.push_back(g);
  m["mean_norm"] = norms_json;
  m["seconds"] = timer.seconds();
}

// ---------------------------------------------------------------------------
// bench: the fixed configurations the PyTorch twin mirrors (bench.cpp)

void bench(Lesson& lesson) {
  phase3::run_bench(lesson.flags.data_dir, lesson.flags.seed, lesson.flags.quick,
                    lesson.metrics.experiment("bench"));
}

// ---------------------------------------------------------------------------

void check_options(const Options& o) {
  if (o.dataset != "mnist" && o.dataset != "fashion-mnist")
    throw common::UsageError("--dataset expects mnist or fashion-mnist, got '" + o.dataset + "'");
  if (o.corpus != "shakespeare" && o.corpus != "kjv")
    throw common::UsageError("--corpus expects shakespeare or kjv, got '" + o.corpus + "'");
  if (o.hidden < 1) throw common::UsageError("--hidden expects a positive integer");
  if (!(o.temperature > 0.0)) throw common::UsageError("--temperature expects a positive number");
  if (o.sample_chars < 1) throw common::UsageError("--sample-chars expects a positive integer");
}

}  // namespace

int main(int argc, char** argv) {
  return common::run_main(kPhase, [&] {
    common::flush_denormals_to_zero();  // docs/CONVENTIONS.md §8: subnormals would slow the RNN
                                        // down
    common::FlagParser parser(
        kPhase,
        R"(Phase 3: LeNet-5 (LeCun et al. 1998) with convolutions lowered to im2col + gemm,
beating a linear classifier, k-nearest neighbours and a 2-layer network on MNIST;
then a vanilla RNN (Elman 1990) trained by backpropagation through time: a noisy
sine wave, a character-level language model, and its vanishing gradient measured.)");
    parser.add_experiment("lenet", "LeNet-5 on MNIST (or --dataset fashion-mnist); pictures");
    parser.add_experiment("classical",
                          "linear, 3-NN and 2-layer MLP against LeNet-5: the 1998 table");
    parser.add_experiment("sequence",
                          "RNN next-value prediction of a noisy sine wave vs a baseline");
    parser.add_experiment("char_rnn", "character-level RNN on tiny Shakespeare (or --corpus kjv)");
    parser.add_experiment("vanishing", "norm of dLoss/dh_{T-k} for k = 0..100 in the trained RNN");
    parser.add_experiment("bench", "LeNet-5 images/s (train, infer) and char-RNN tokens/s");
    Options options;
    parser.add_flag("dataset", &options.dataset, "lenet: mnist or fashion-mnist");
    parser.add_flag("classic", &options.classic, "lenet: the paper's tanh and average pooling");
    parser.add_flag("corpus", &options.corpus, "char_rnn, vanishing: shakespeare or kjv");
    parser.add_flag("hidden", &options.hidden, "char_rnn, vanishing: hidden units");
    parser.add_flag("prompt", &options.prompt,
                    "char_rnn: text the samples start from; none: ROMEO: (shakespeare), And God "
                    "said (kjv)");
    parser.add_flag("temperature", &options.temperature, "char_rnn: sampling temperature");
    parser.add_flag("sample-chars", &options.sample_chars, "char_rnn: length of the final sample");
    parser.set_epilog(
        R"(Data (fetched by scripts/get_data.sh NAME into data/NAME): mnist, fashion-mnist,
shakespeare, kjv. The MNIST here is 10,000 training images (the first of the
canonical 60,000) and the canonical 10,000 test images.
Pictures and charts go to --out-dir; the whole lesson takes about 2 minutes on 2 cores.)");
    const common::CommonFlags flags = parser.parse_or_exit(argc, argv);
    check_options(options);
    Lesson lesson{
        flags, options, common::Metrics(kPhase, flags.seed, common::num_threads(), flags.quick),
        {},    {},      {}};
    if (flags.quick) common::ProgressBar::set_enabled(false);

    const std::string& e = flags.experiment;
    if (e == "lenet") lenet(lesson);
    if (e == "classical") classical(lesson);
    if (e == "sequence") sequence(lesson);
    if (e == "char_rnn") char_rnn(lesson);
    if (e == "vanishing") vanishing(lesson);
    if (e == "bench") bench(lesson);
    if (e.empty()) {
      say(R"(Phase 3: convolutional and recurrent networks. Experiments in teaching order:
lenet (MNIST, then the 1998 tanh/average version, then Fashion-MNIST), classical,
sequence, char_rnn, vanishing.
)");
      lesson.options.dataset = "mnist";
      lenet(lesson);
      lenet_classic(lesson);
      lenet_fashion(lesson);
      classical(lesson);
      sequence(lesson);
      char_rnn(lesson);
      vanishing(lesson);
    }
    lesson.metrics.write(flags.json_path);
    if (!flags.json_path.empty()) say("\nmetrics: " + flags.json_path + "\n");
    return 0;
  });
}
