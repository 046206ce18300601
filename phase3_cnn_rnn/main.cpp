// phase3_cnn_rnn/main.cpp -- the lesson driver of phase 3: LeNet-5 beats the classical
// methods on MNIST; a vanilla RNN writes text and shows why its gradients vanish.
//
// What this phase builds (one file per idea, read in this order):
//   layers.h          matrix products (common/matmul.h), initialisation, tanh/ReLU, fully
//                     connected layer, softmax cross-entropy, SGD with momentum, cosine schedule
//   conv.h            2-D convolution: the direct loops (reference), plain and fast im2col + gemm
//   pool.h            average pooling (LeCun's subsampling) and max pooling
//   lenet.h/.cpp      LeNet-5 (LeCun, Bottou, Bengio and Haffner 1998): model, training
//   classical.h/.cpp  the paper's baselines: linear classifier, 3-nearest neighbours, 2-layer MLP
//   pictures.h/.cpp   filters, feature maps, misclassified digits
//   rnn.h/.cpp        the Elman RNN (1990), BPTT; task 1, a noisy sine wave
//   adam.h/.cpp       its optimiser: Adam and gradient-norm clipping
//   char_rnn.h/.cpp   task 2, a character-level language model (truncated BPTT, sampling)
//   vanishing.h/.cpp  the vanishing gradient, measured
//   bench.h/.cpp      the `bench` experiment (throughput at the PyTorch twin's configurations)
// From an experiment, every layer's forward and backward is at most two files away:
//   lenet        main.cpp -> lenet.cpp -> conv.h, pool.h, layers.h
//   classical    main.cpp -> classical.cpp -> layers.h
//   sequence     lesson_rnn.cpp -> rnn.cpp -> rnn.h (the cell), layers.h
//   char_rnn     lesson_rnn.cpp -> char_rnn.cpp -> rnn.h (embedding, cell), adam.h, layers.h
//   vanishing    lesson_rnn.cpp -> vanishing.cpp -> rnn.h
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
// the pictures and records the numbers (--json): the CNN half here, the RNN half in
// lesson_rnn.cpp (lesson.h holds what both share). The ideas live in the files above.
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
#include "lesson.h"
#include "pictures.h"
#include "rnn.h"
#include "vanishing.h"

namespace phase3_lesson {

constexpr const char* kPhase = "phase3_cnn_rnn";

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
  common::Series loss{.name = "training loss", .markers = true, .line = true};
  common::Series acc{.name = "test accuracy", .markers = true, .line = true};
  for (const auto& e : run.result.history) {
    loss.x.push_back(e.epoch);
    loss.y.push_back(e.train_loss);
    acc.x.push_back(e.epoch);
    acc.y.push_back(e.test_accuracy);
  }
  say("\n");
  write_chart(lesson, prefix + "_loss.svg", {loss},
              {.title = "LeNet-5 on " + dataset + ": training loss",
               .x_label = "epoch",
               .y_label = "cross-entropy (nats)",
               .log_y = true});
  write_chart(lesson, prefix + "_accuracy.svg", {acc},
              {.title = "LeNet-5 on " + dataset + ": test accuracy",
               .x_label = "epoch",
               .y_label = "accuracy"});
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
// bench: the fixed configurations the PyTorch twin mirrors (bench.cpp)

void bench(Lesson& lesson) {
  phase3::run_bench(lesson.flags.data_dir, lesson.flags.seed, lesson.flags.quick,
                    lesson.metrics.experiment("bench"));
}

// ---------------------------------------------------------------------------

// A training flag the named experiment would ignore is refused (exit 2): LeNet and the
// classical methods count epochs, the RNN experiments count steps, bench has fixed
// configurations. (The whole lesson passes each flag to the experiments that use it.)
void check_training_flags(const common::CommonFlags& f) {
  const std::string& e = f.experiment;
  const bool epochs_based = e == "lenet" || e == "classical";
  const bool steps_based = e == "sequence" || e == "char_rnn" || e == "vanishing";
  if (e == "bench" && (f.epochs > 0 || f.steps > 0 || f.batch_size > 0 || f.lr > 0))
    throw common::UsageError(
        "bench measures fixed configurations: --epochs, --steps, --batch-size and --lr are not "
        "used");
  if (epochs_based && f.steps > 0)
    throw common::UsageError("--steps is not used by " + e + ": it counts epochs (--epochs)");
  if (steps_based && f.epochs > 0)
    throw common::UsageError("--epochs is not used by " + e + ": it counts steps (--steps)");
}

void check_options(const Options& o) {
  if (o.dataset != "mnist" && o.dataset != "fashion-mnist")
    throw common::UsageError("--dataset expects mnist or fashion-mnist, got '" + o.dataset + "'");
  if (o.corpus != "shakespeare" && o.corpus != "kjv")
    throw common::UsageError("--corpus expects shakespeare or kjv, got '" + o.corpus + "'");
  if (o.hidden < 1) throw common::UsageError("--hidden expects a positive integer");
  if (!(o.temperature > 0.0)) throw common::UsageError("--temperature expects a positive number");
  if (o.sample_chars < 1) throw common::UsageError("--sample-chars expects a positive integer");
}

}  // namespace phase3_lesson

using namespace phase3_lesson;  // NOLINT: the lesson's experiments, in order, below

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
    parser.add_flag("resume", &options.resume,
                    "char_rnn: continue from OUT_DIR/char_rnn_training.ckpt (saved every 500 "
                    "steps) with the same flags; the result is the same as an uninterrupted run");
    parser.set_epilog(
        R"(Data (fetched by scripts/get_data.sh NAME into data/NAME): mnist, fashion-mnist,
shakespeare, kjv. The MNIST here is 10,000 training images (the first of the
canonical 60,000) and the canonical 10,000 test images.
Pictures and charts go to --out-dir; the whole lesson takes about 2 minutes on 2 cores.)");
    const common::CommonFlags flags = parser.parse_or_exit(argc, argv);
    check_options(options);
    check_training_flags(flags);
    if (options.resume && flags.experiment != "char_rnn")
      throw common::UsageError(
          "--resume is for char_rnn (the one long training run): run "
          "`phase3_cnn_rnn char_rnn --resume`");
    Lesson lesson{
        .flags = flags,
        .options = options,
        .metrics = common::Metrics(kPhase, flags.seed, common::num_threads(), flags.quick)};
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
