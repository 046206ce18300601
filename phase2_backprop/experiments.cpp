// phase2_backprop/experiments.cpp -- see experiments.h. In teaching order:
// gradcheck, xor, xor_seeds, encoder, symmetry, moons, spirals, digits, then bench.
#include "experiments.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "data.h"
#include "datasets.h"
#include "error.h"
#include "files.h"
#include "image.h"
#include "perceptron.h"
#include "pictures.h"
#include "plot.h"
#include "progress.h"

namespace phase2 {

namespace {

std::string picture_path(const LessonOptions& options, const std::string& name) {
  common::make_dirs(options.out_dir);
  return common::join_path(options.out_dir, name);
}

void wrote(const std::string& path) {
  std::printf("  wrote %s\n", path.c_str());
}

// The 1986 networks: sigmoid everywhere, mean squared error, small uniform weights.
MlpConfig rumelhart_config(std::vector<int64_t> sizes, double init_scale) {
  return {.sizes = std::move(sizes),
          .hidden = Activation::sigmoid,
          .output = Activation::sigmoid,
          .loss = Loss::mse,
          .init = Init::uniform_small,
          .init_scale = init_scale};
}

}  // namespace

// ---------------------------------------------------------------------------
// 1. Gradient check

common::Json GradcheckResult::to_json() const {
  common::Json j = common::Json::object();
  j["max_relative_error"] = max_relative_error;
  common::Json nets = common::Json::array();
  for (const GradcheckReport& r : reports) {
    common::Json n = common::Json::object();
    n["network"] = r.network;
    n["max_relative_error"] = r.max_rel_error;
    nets.push_back(n);
  }
  j["networks"] = nets;
  j["headline"] = common::Json::array({"max_relative_error"});
  return j;
}

GradcheckResult run_gradcheck(const LessonOptions& options) {
  // Four small networks that between them use every layer, activation and loss.
  std::vector<MlpConfig> configs(4);
  configs[0] = rumelhart_config({3, 4, 2}, 1.0);  // sigmoid + sigmoid output + MSE
  configs[1].sizes = {4, 5, 5, 3};                // tanh + softmax-CE
  configs[1].hidden = Activation::tanh;
  configs[1].init = Init::xavier;
  configs[2].sizes = {4, 6, 5, 3};  // ReLU + softmax-CE
  configs[2].hidden = Activation::relu;
  configs[2].init = Init::he;
  configs[3].sizes = {3, 5, 2};  // ReLU + identity output + MSE
  configs[3].hidden = Activation::relu;
  configs[3].loss = Loss::mse;
  configs[3].init = Init::he;

  GradcheckResult result;
  const int64_t N = 4;
  for (size_t i = 0; i < configs.size(); ++i) {
    GradcheckReport report = gradcheck_mlp(configs[i], N, options.seed + i);
    std::printf("\n  %s   (batch of %lld, h = %g, double precision, loss %.6f)\n",
                report.network.c_str(), static_cast<long long>(N), kGradcheckStep, report.loss);
    std::printf("%s", format_gradcheck_table(report).c_str());
    if (configs[i].hidden == Activation::relu)
      std::printf("  (closest ReLU input to the kink at 0: %.2e, far beyond h)\n",
                  report.min_abs_preactivation);
    result.max_relative_error = std::max(result.max_relative_error, report.max_rel_error);
    result.reports.push_back(std::move(report));
  }
  std::printf("\n  largest relative error over every gradient: %.2e (bound 1e-6)\n",
              result.max_relative_error);
  return result;
}

// ---------------------------------------------------------------------------
// 2. XOR

namespace {

// Full-batch SGD with momentum 0.9 as in the 1986 paper; lr 0.5 on the mean loss (2.0 on
// the paper's summed error); weights start in U(-1, 1).
constexpr double kXorLr = 0.5;
constexpr double kXorMomentum = 0.9;
constexpr double kXorInitScale = 1.0;
constexpr int kXorEpochs = 2000;

}  // namespace

common::Json XorResult::to_json() const {
  common::Json j = common::Json::object();
  j["accuracy"] = accuracy;
  j["final_loss"] = final_loss;
  j["epochs"] = epochs;
  j["epochs_trained"] = epochs_trained;
  common::Json out = common::Json::array();
  for (float v : outputs) out.push_back(static_cast<double>(v));
  j["outputs"] = out;
  j["headline"] = common::Json::array({"accuracy", "epochs"});
  return j;
}

XorResult run_xor(const LessonOptions& options) {
  const Dataset ds = xor_dataset();
  common::Rng rng(options.seed);
  Mlp<float> model = make_mlp<float>(rumelhart_config({2, 2, 1}, kXorInitScale));
  mlp_init(model, rng);
  FullBatchConfig config;
  config.max_epochs = options.epochs > 0 ? options.epochs : kXorEpochs;
  config.sgd = {options.lr > 0 ? options.lr : kXorLr, kXorMomentum};
  config.stop_when_solved = false;
  const FullBatchResult fit = train_full_batch(model, ds, config);

  XorResult result;
  result.accuracy = accuracy(model, ds);
  result.final_loss = fit.final_loss;
  result.epochs = fit.solved_at;
  result.epochs_trained = fit.epochs;
  MlpState<float> state;
  mlp_forward(model, state, ds.x.data(), ds.size());
  std::printf("  2-2-1 sigmoid network, MSE, full batch, lr %g, momentum %g, %d epochs\n",
              config.sgd.lr, config.sgd.momentum, fit.epochs);
  std::printf("  x1 x2 | target | output | hidden h1 h2\n");
  for (int64_t n = 0; n < 4; ++n) {
    const float out = mlp_output(model, state, n)[0];
    result.outputs.push_back(out);
    std::printf("   %.0f  %.0f |   %d    | %.4f | %.3f %.3f\n", ds.x.at(n, 0), ds.x.at(n, 1),
                ds.labels[n], out, state.a[0][2 * n], state.a[0][2 * n + 1]);
  }
  for (int j = 0; j < 2; ++j)
    std::printf("  hidden unit %d switches on the line %+.2f x1 %+.2f x2 %+.2f = 0\n", j + 1,
                model.weight(0)[2 * j], model.weight(0)[2 * j + 1], model.bias(0)[j]);
  std::printf("  accuracy %.2f, solved at epoch %d, final loss %.5f\n", result.accuracy,
              result.epochs, result.final_loss);
  if (!options.out_dir.empty()) {
    const std::string path = picture_path(options, "xor.png");
    write_decision_png(path, model, ds, {-0.5, 1.5, -0.5, 1.5}, true);
    wrote(path);
  }
  return result;
}

// ---------------------------------------------------------------------------
// 3. XOR over many seeds

double XorSeedsResult::rate_for(int h) const {
  for (size_t i = 0; i < hidden.size(); ++i)
    if (hidden[i] == h) return success_rate[i];
  throw common::Error("xor_seeds: no result for " + std::to_string(h) + " hidden units");
}

common::Json XorSeedsResult::to_json() const {
  common::Json j = common::Json::object();
  for (size_t i = 0; i < hidden.size(); ++i) {
    j["success_rate_2_" + std::to_string(hidden[i]) + "_1"] = success_rate[i];
    j["mean_epochs_2_" + std::to_string(hidden[i]) + "_1"] = mean_epochs[i];
  }
  j["seeds"] = seeds;
  j["budget_epochs"] = budget;
  j["headline"] =
      common::Json::array({"success_rate_2_2_1", "success_rate_2_3_1", "success_rate_2_4_1"});
  return j;
}

XorSeedsResult run_xor_seeds(const LessonOptions& options) {
  XorSeedsResult result;
  result.seeds = options.seeds > 0 ? options.seeds : (options.quick ? 20 : 100);
  result.budget = options.epochs > 0 ? options.epochs : kXorEpochs;
  result.hidden = {2, 3, 4};
  const Dataset ds = xor_dataset();
  std::printf("  %d seeds (%llu .. %llu), budget %d epochs, lr %g, momentum %g, U(-%g, %g) init\n",
              result.seeds, static_cast<unsigned long long>(options.seed),
              static_cast<unsigned long long>(options.seed + result.seeds - 1), result.budget,
              options.lr > 0 ? options.lr : kXorLr, kXorMomentum, kXorInitScale, kXorInitScale);
  std::printf("  network | solved | success rate | mean epochs to solve\n");
  for (int h : result.hidden) {
    int solved = 0;
    double epoch_sum = 0.0;
    for (int k = 0; k < result.seeds; ++k) {
      common::Rng rng(options.seed + static_cast<uint64_t>(k));
      Mlp<float> model = make_mlp<float>(rumelhart_config({2, h, 1}, kXorInitScale));
      mlp_init(model, rng);
      FullBatchConfig config;
      config.max_epochs = result.budget;
      config.sgd = {options.lr > 0 ? options.lr : kXorLr, kXorMomentum};
      const FullBatchResult fit = train_full_batch(model, ds, config);
      if (fit.solved) {
        ++solved;
        epoch_sum += fit.solved_at;
      }
    }
    const double rate = static_cast<double>(solved) / result.seeds;
    result.success_rate.push_back(rate);
    result.mean_epochs.push_back(solved ? epoch_sum / solved : 0.0);
    std::printf("  2-%d-1   | %3d/%-3d | %.2f         | %.0f\n", h, solved, result.seeds, rate,
                result.mean_epochs.back());
  }
  return result;
}

// ---------------------------------------------------------------------------
// 4. The 8-3-8 encoder

common::Json EncoderResult::to_json() const {
  common::Json j = common::Json::object();
  j["accuracy"] = accuracy;
  j["codes_distinct"] = codes_distinct;
  j["binary"] = binary;
  j["success_rate"] = success_rate;
  j["binary_rate"] = binary_rate;
  j["seeds"] = seeds;
  j["epochs"] = epochs;
  j["final_loss"] = final_loss;
  j["headline"] = common::Json::array({"accuracy", "codes_distinct"});
  return j;
}

namespace {

struct EncoderFit {
  Mlp<float> model;
  FullBatchResult fit;
};

EncoderFit train_encoder(const Dataset& ds, uint64_t seed, const LessonOptions& options) {
  common::Rng rng(seed);
  EncoderFit e{make_mlp<float>(rumelhart_config({8, 3, 8}, 0.5)), {}};
  mlp_init(e.model, rng);
  FullBatchConfig config;
  config.max_epochs = options.epochs > 0 ? options.epochs : 10000;
  config.sgd = {options.lr > 0 ? options.lr : 0.5, 0.9};
  config.stop_when_solved = false;  // keep going: the codes sharpen long after solving
  e.fit = train_full_batch(e.model, ds, config);
  return e;
}

// The thresholded 3-bit code of each pattern; binary: every activation below 0.2 or
// above 0.8.
std::set<int> encoder_codes(const MlpState<float>& state, bool& binary) {
  std::set<int> codes;
  binary = true;
  for (int64_t n = 0; n < 8; ++n) {
    int code = 0;
    for (int j = 0; j < 3; ++j) {
      const float h = state.a[0][static_cast<size_t>(3 * n + j)];
      code = code * 2 + (h > 0.5f ? 1 : 0);
      binary = binary && (h < 0.2f || h > 0.8f);
    }
    codes.insert(code);
  }
  return codes;
}

}  // namespace

EncoderResult run_encoder(const LessonOptions& options) {
  const Dataset ds = encoder_dataset(8);
  EncoderFit e = train_encoder(ds, options.seed, options);
  Mlp<float>& model = e.model;

  EncoderResult result;
  result.epochs = e.fit.epochs;
  result.final_loss = e.fit.final_loss;
  result.accuracy = accuracy(model, ds);
  MlpState<float> state;
  mlp_forward(model, state, ds.x.data(), ds.size());
  bool binary = false;
  const std::set<int> codes = encoder_codes(state, binary);
  std::printf("  8-3-8 sigmoid network, MSE, full batch, lr %g, momentum 0.9, %d epochs\n",
              options.lr > 0 ? options.lr : 0.5, e.fit.epochs);
  std::printf("  input    | hidden activations  | code | output (rounded) | ok\n");
  for (int64_t n = 0; n < 8; ++n) {
    const float* h = state.a[0].data() + 3 * n;
    result.hidden.push_back({h[0], h[1], h[2]});
    std::string in, out;
    for (int c = 0; c < 8; ++c) {
      in += ds.x.at(n, c) > 0.5f ? '1' : '0';
      out += mlp_output(model, state, n)[c] > 0.5f ? '1' : '0';
    }
    std::printf("  %s | %.2f  %.2f  %.2f    | %d%d%d  | %s         | %s\n", in.c_str(), h[0], h[1],
                h[2], h[0] > 0.5f, h[1] > 0.5f, h[2] > 0.5f, out.c_str(),
                example_correct(model, state, ds, n) ? "yes" : "NO");
  }
  result.codes_distinct = codes.size() == 8;
  result.binary = binary;
  std::printf(
      "  patterns reproduced %.0f/8, distinct hidden codes %zu/8, %s, final loss %.5f\n",
      result.accuracy * 8, codes.size(),
      binary ? "every activation below 0.2 or above 0.8" : "some activations between 0.2 and 0.8",
      result.final_loss);

  // Other seeds: the task is always learned, but not always with a clean binary code.
  result.seeds = options.seeds > 0 ? options.seeds : (options.quick ? 5 : 20);
  int distinct = 0, binary_count = 0;
  for (int k = 0; k < result.seeds; ++k) {
    EncoderFit other = train_encoder(ds, options.seed + static_cast<uint64_t>(k), options);
    MlpState<float> s;
    mlp_forward(other.model, s, ds.x.data(), ds.size());
    bool b = false;
    const bool ok = accuracy(other.model, ds) == 1.0 && encoder_codes(s, b).size() == 8;
    distinct += ok;
    binary_count += ok && b;
  }
  result.success_rate = static_cast<double>(distinct) / result.seeds;
  result.binary_rate = static_cast<double>(binary_count) / result.seeds;
  std::printf(
      "  over %d seeds: all 8 reproduced with distinct codes %d times (%.2f), with a"
      " binary code %d times (%.2f)\n",
      result.seeds, distinct, result.success_rate, binary_count, result.binary_rate);
  return result;
}

// ---------------------------------------------------------------------------
// 5. Symmetry

namespace {

// The paper's settings: epsilon = 0.1, alpha = 0.9, initial weights uniform in
// [-0.3, 0.3], one update per sweep through the 64 patterns. Its error is SUMMED over the
// patterns, ours is the mean (layers.h), so the same step needs a learning rate 64 times
// larger: 0.1 x 64 = 6.4.
constexpr double kSymmetryLr = 0.1 * 64;
constexpr double kSymmetryMomentum = 0.9;
constexpr double kSymmetryInitScale = 0.3;
constexpr int kSymmetryEpochs = 5000;

// -0.001 would print as "-0.00"; show it as 0.
double tidy(double v) {
  return std::fabs(v) < 0.005 ? 0.0 : v;
}

FullBatchResult train_symmetry(Mlp<float>& model, const Dataset& ds, const LessonOptions& options,
                               bool stop_when_solved) {
  FullBatchConfig config;
  config.max_epochs = options.epochs > 0 ? options.epochs : kSymmetryEpochs;
  config.sgd = {options.lr > 0 ? options.lr : kSymmetryLr, kSymmetryMomentum};
  config.stop_when_solved = stop_when_solved;
  return train_full_batch(model, ds, config);
}

}  // namespace

common::Json SymmetryResult::to_json() const {
  common::Json j = common::Json::object();
  j["accuracy"] = accuracy;
  j["epochs"] = epochs;
  j["final_loss"] = final_loss;
  j["success_rate"] = success_rate;
  j["seeds"] = seeds;
  j["headline"] = common::Json::array({"accuracy", "success_rate"});
  return j;
}

SymmetryResult run_symmetry(const LessonOptions& options) {
  const Dataset ds = symmetry_dataset(6);
  const MlpConfig net = rumelhart_config({6, 2, 1}, kSymmetryInitScale);
  SymmetryResult result;
  common::Rng rng(options.seed);
  Mlp<float> model = make_mlp<float>(net);
  mlp_init(model, rng);
  const FullBatchResult fit = train_symmetry(model, ds, options, false);
  result.accuracy = accuracy(model, ds);
  result.epochs = fit.solved_at;
  result.final_loss = fit.final_loss;
  std::printf("  6-2-1 sigmoid network, MSE, full batch over the 64 patterns, lr %g, momentum %g\n",
              options.lr > 0 ? options.lr : kSymmetryLr, kSymmetryMomentum);
  std::printf("  accuracy %.4f (%d/64), solved at epoch %d, final loss %.5f\n", result.accuracy,
              static_cast<int>(std::lround(result.accuracy * 64)), result.epochs,
              result.final_loss);
  std::printf(
      "  learned weights    x1      x2      x3      x4      x5      x6  | bias   | to output\n");
  for (int j = 0; j < 2; ++j) {
    std::vector<float> w(model.weight(0) + 6 * j, model.weight(0) + 6 * j + 6);
    result.hidden_weights.push_back(w);
    result.hidden_bias.push_back(model.bias(0)[j]);
    result.output_weights.push_back(model.weight(1)[j]);
    std::printf("  hidden %d      ", j + 1);
    for (float v : w) std::printf(" %+6.2f ", v);
    std::printf("| %+6.2f | %+6.2f\n", model.bias(0)[j], model.weight(1)[j]);
  }
  // The pattern the paper reports: mirror-image inputs get weights of equal size and
  // opposite sign (so a palindrome sums to 0), and the three pairs differ by factors
  // of 2 (so no two different non-palindromes cancel).
  for (int j = 0; j < 2; ++j) {
    const auto& w = result.hidden_weights[static_cast<size_t>(j)];
    const double inner = std::fabs(w[2]) + std::fabs(w[3]);
    std::printf(
        "  hidden %d: pair sums x1+x6 %+.2f, x2+x5 %+.2f, x3+x4 %+.2f;"
        " magnitudes inner:middle:outer = 1 : %.2f : %.2f\n",
        j + 1, tidy(w[0] + w[5]), tidy(w[1] + w[4]), tidy(w[2] + w[3]),
        (std::fabs(w[1]) + std::fabs(w[4])) / inner, (std::fabs(w[0]) + std::fabs(w[5])) / inner);
  }

  // How often does it work? The same network from other seeds.
  result.seeds = options.seeds > 0 ? options.seeds : (options.quick ? 5 : 20);
  int solved = 0;
  for (int k = 0; k < result.seeds; ++k) {
    common::Rng seed_rng(options.seed + static_cast<uint64_t>(k));
    Mlp<float> m = make_mlp<float>(net);
    mlp_init(m, seed_rng);
    solved += train_symmetry(m, ds, options, true).solved;
  }
  result.success_rate = static_cast<double>(solved) / result.seeds;
  std::printf("  over %d seeds (%llu .. %llu): %d solved within %d epochs, success rate %.2f\n",
              result.seeds, static_cast<unsigned long long>(options.seed),
              static_cast<unsigned long long>(options.seed + result.seeds - 1), solved,
              options.epochs > 0 ? options.epochs : kSymmetryEpochs, result.success_rate);
  return result;
}

// ---------------------------------------------------------------------------
// 6-7. Moons and spirals

common::Json PlaneResult::to_json() const {
  common::Json j = common::Json::object();
  j["network"] = network;
  j["train_examples"] = train_examples;
  j["test_examples"] = test_examples;
  j["epochs"] = epochs;
  j["final_train_loss"] = final_train_loss;
  j["train_accuracy"] = train_accuracy;
  j["test_accuracy"] = test_accuracy;
  j["seconds"] = seconds;
  j["items_per_second"] = items_per_second;
  j["headline"] = common::Json::array({"test_accuracy"});
  return j;
}

namespace {

struct PlaneSetup {
  std::string name;
  MlpConfig net;
  int64_t per_class_train, per_class_test;
  double noise;
  int epochs, batch_size;
  SgdConfig sgd;
  PlotBox box;
};

// One random stream, used in this order: training points, test points, weights, then
// the shuffles of every epoch (pytorch/twin.py follows the same order).
PlaneResult run_plane(PlaneSetup s, const LessonOptions& options,
                      Dataset (*generate)(int64_t, double, common::Rng&)) {
  common::Timer timer;
  if (options.epochs > 0) s.epochs = options.epochs;
  if (options.batch_size > 0) s.batch_size = options.batch_size;
  if (options.lr > 0) s.sgd.lr = options.lr;
  common::Rng rng(options.seed);
  const Dataset train = generate(s.per_class_train, s.noise, rng);
  const Dataset test = generate(s.per_class_test, s.noise, rng);
  Mlp<float> model = make_mlp<float>(s.net);
  mlp_init(model, rng);
  MiniBatchConfig config;
  config.epochs = s.epochs;
  config.batch_size = s.batch_size;
  config.sgd = s.sgd;
  config.label = s.name;
  config.progress = options.progress;
  std::printf("  %s, %lld training and %lld held-out points (noise %g)\n", describe(s.net).c_str(),
              static_cast<long long>(train.size()), static_cast<long long>(test.size()), s.noise);
  std::printf("  %d epochs, batch %d, SGD lr %g (decayed linearly to 0) momentum %g\n", s.epochs,
              s.batch_size, s.sgd.lr, s.sgd.momentum);
  const MiniBatchResult fit =
      train_minibatch(model, train.x, train.labels, test.x, test.labels, config, rng);
  PlaneResult result;
  result.network = describe(s.net);
  result.train_examples = train.size();
  result.test_examples = test.size();
  result.epochs = s.epochs;
  result.final_train_loss = fit.history.back().train_loss;
  result.train_accuracy = evaluate(model, train.x, train.labels).accuracy;
  result.test_accuracy = fit.history.back().test_accuracy;
  result.items_per_second = fit.items_per_second();
  for (const EpochRecord& r : fit.history)
    if (r.epoch == 1 || r.epoch % std::max(1, s.epochs / 5) == 0)
      std::printf("  epoch %4d  train loss %.4f  test accuracy %.4f\n", r.epoch, r.train_loss,
                  r.test_accuracy);
  std::printf("  train accuracy %.4f, held-out test accuracy %.4f\n", result.train_accuracy,
              result.test_accuracy);
  if (!options.out_dir.empty()) {
    const std::string path = picture_path(options, s.name + ".png");
    write_decision_png(path, model, train, s.box, false);
    wrote(path);
  }
  result.seconds = timer.seconds();
  return result;
}

}  // namespace

PlaneResult run_moons(const LessonOptions& options) {
  PlaneSetup s;
  s.name = "moons";
  s.net.sizes = {2, 32, 32, 2};
  s.net.hidden = Activation::tanh;
  s.net.init = Init::xavier;
  s.per_class_train = options.quick ? 200 : 500;
  s.per_class_test = 500;
  s.noise = 0.1;
  s.epochs = options.quick ? 20 : 100;
  s.batch_size = 32;
  s.sgd = {0.1, 0.9};
  s.box = {-1.75, 1.75, -1.5, 1.5};
  return run_plane(s, options, two_moons);
}

PlaneResult run_spirals(const LessonOptions& options) {
  PlaneSetup s;
  s.name = "spirals";
  s.net.sizes = {2, 64, 64, 2};
  s.net.hidden = Activation::relu;
  s.net.init = Init::he;
  s.per_class_train = options.quick ? 250 : 500;
  s.per_class_test = 500;
  s.noise = 0.02;
  s.epochs = options.quick ? 40 : 300;
  s.batch_size = 32;
  s.sgd = {0.05, 0.9};
  s.box = {-1.15, 1.15, -1.15, 1.15};
  return run_plane(s, options, two_spirals);
}

// ---------------------------------------------------------------------------
// 8. Digits

MlpConfig digits_config() {
  MlpConfig config;  // the defaults: 784-256-128-10, ReLU, softmax-CE, He init
  return config;
}

SgdConfig digits_sgd() {
  return {0.05, 0.9};
}

common::Json DigitsResult::to_json() const {
  common::Json j = common::Json::object();
  j["dataset"] = dataset;
  j["dataset_variant"] = dataset_variant;
  j["network"] = network;
  j["train_examples"] = train_examples;
  j["test_examples"] = test_examples;
  j["epochs"] = epochs;
  j["batch_size"] = batch_size;
  j["lr"] = lr;
  j["test_accuracy"] = test_accuracy;
  j["final_train_loss"] = final_train_loss;
  j["perceptron_test_accuracy"] = perceptron_test_accuracy;
  j["averaged_perceptron_test_accuracy"] = averaged_perceptron_test_accuracy;
  j["seconds"] = seconds;
  j["train_seconds"] = train_seconds;
  j["items_per_second"] = items_per_second;
  j["headline"] =
      common::Json::array({"test_accuracy", "perceptron_test_accuracy", "items_per_second"});
  return j;
}

DigitsResult run_digits(const LessonOptions& options) {
  common::Timer timer;
  // --quick: a subset, for the smoke tests.
  const int64_t max_train = options.quick ? 2000 : 0, max_test = options.quick ? 1000 : 0;
  const common::ImageDataset data =
      common::load_image_dataset(options.data_dir, "mnist", max_train, max_test);
  DigitsResult result;
  result.dataset = "mnist";
  result.dataset_variant = data.variant;
  result.train_examples = data.train_x.dim(0);
  result.test_examples = data.test_x.dim(0);
  result.epochs = options.epochs > 0 ? options.epochs : (options.quick ? 3 : 20);
  result.batch_size = options.batch_size > 0 ? options.batch_size : 64;
  SgdConfig sgd = digits_sgd();
  if (options.lr > 0) sgd.lr = options.lr;
  result.lr = sgd.lr;
  const MlpConfig net = digits_config();
  result.network = describe(net);
  std::printf("  data: %s (%s)\n", data.name.c_str(), data.variant.c_str());
  std::printf("  %lld training images, %lld test images%s\n",
              static_cast<long long>(result.train_examples),
              static_cast<long long>(result.test_examples),
              result.train_examples == 60000 ? " (the full MNIST training set)" : "");

  // The phase-1 baseline on the same split.
  common::Rng perceptron_rng(options.seed + 1000);
  const int perceptron_epochs = options.quick ? 1 : 10;  // phase 1's default
  const PerceptronResult baseline = train_multiclass_perceptron(
      data.train_x, data.train_y, data.test_x, data.test_y, static_cast<int>(data.classes),
      perceptron_epochs, perceptron_rng);
  result.perceptron_test_accuracy = baseline.test_accuracy;
  result.averaged_perceptron_test_accuracy = baseline.averaged_test_accuracy;

  // The MLP. One random stream: the weights, then every epoch's shuffle.
  common::Rng rng(options.seed);
  Mlp<float> model = make_mlp<float>(net);
  mlp_init(model, rng);
  MiniBatchConfig config;
  config.epochs = result.epochs;
  config.batch_size = result.batch_size;
  config.sgd = sgd;
  config.label = "digits";
  config.progress = options.progress;
  std::printf("  %s, %lld parameters\n", result.network.c_str(),
              static_cast<long long>(model.num_params()));
  std::printf("  %d epochs, batch %d, SGD lr %g (decayed linearly to 0) momentum %g\n",
              result.epochs, result.batch_size, sgd.lr, sgd.momentum);
  const MiniBatchResult fit =
      train_minibatch(model, data.train_x, data.train_y, data.test_x, data.test_y, config, rng);
  std::printf("  epoch | train loss | train acc | test loss | test acc\n");
  for (const EpochRecord& r : fit.history)
    std::printf("  %5d | %10.4f | %9.4f | %9.4f | %8.4f\n", r.epoch, r.train_loss, r.train_accuracy,
                r.test_loss, r.test_accuracy);
  result.history = fit.history;
  result.test_accuracy = fit.history.back().test_accuracy;
  result.final_train_loss = fit.history.back().train_loss;
  result.train_seconds = fit.train_seconds;
  result.items_per_second = fit.items_per_second();
  std::printf("\n  test accuracy on the same split (%lld train / %lld test images):\n",
              static_cast<long long>(result.train_examples),
              static_cast<long long>(result.test_examples));
  std::printf("    phase 1, multi-class perceptron (%d epochs)  %.4f\n", perceptron_epochs,
              result.perceptron_test_accuracy);
  std::printf("    phase 1, averaged perceptron                %.4f\n",
              result.averaged_perceptron_test_accuracy);
  std::printf("    phase 2, MLP %s  %.4f\n", result.network.c_str(), result.test_accuracy);
  std::printf("  training: %.2f s, %.0f images/s\n", result.train_seconds, result.items_per_second);

  if (!options.out_dir.empty()) {
    common::Series train_loss{"train loss", {}, {}, true}, test_loss{"test loss", {}, {}, true};
    common::Series train_acc{"train accuracy", {}, {}, true},
        test_acc{"test accuracy", {}, {}, true};
    for (const EpochRecord& r : fit.history) {
      for (common::Series* s : {&train_loss, &test_loss, &train_acc, &test_acc})
        s->x.push_back(r.epoch);
      train_loss.y.push_back(r.train_loss);
      test_loss.y.push_back(r.test_loss);
      train_acc.y.push_back(r.train_accuracy);
      test_acc.y.push_back(r.test_accuracy);
    }
    const std::string loss_path = picture_path(options, "digits_loss.svg");
    common::write_svg_line_chart(
        loss_path, {train_loss, test_loss},
        {"MLP " + result.network + ": cross-entropy", "epoch", "loss (nats)", true});
    wrote(loss_path);
    const std::string acc_path = picture_path(options, "digits_accuracy.svg");
    common::write_svg_line_chart(
        acc_path, {train_acc, test_acc},
        {"MLP " + result.network + ": accuracy", "epoch", "accuracy", false});
    wrote(acc_path);
  }
  result.seconds = timer.seconds();
  return result;
}

// ---------------------------------------------------------------------------
// bench

common::Json BenchResult::to_json() const {
  common::Json j = common::Json::object();
  j["items_per_second"] = items_per_second;
  j["unit"] = unit;
  j["config"] = config;
  return j;
}

BenchResult run_bench(const LessonOptions& options) {
  // Training throughput does not depend on the pixel values, so the bench needs no data:
  // random images in [0, 1) and random labels, the digits network and optimiser.
  const MlpConfig net = digits_config();
  const int64_t B = options.batch_size > 0 ? options.batch_size : 64;
  const int64_t D = net.sizes.front(), C = net.sizes.back();
  constexpr int64_t kPool = 64 * 64;  // distinct images, cycled through
  common::Rng rng(options.seed);
  std::vector<float> x(static_cast<size_t>(kPool * D));
  std::vector<int> y(static_cast<size_t>(kPool));
  for (float& v : x) v = static_cast<float>(rng.uniform());
  for (int& v : y) v = static_cast<int>(rng.randint(0, C));
  Mlp<float> model = make_mlp<float>(net);
  mlp_init(model, rng);
  Sgd<float> sgd{digits_sgd(), {}};
  MlpState<float> state;
  int64_t offset = 0;
  auto step = [&]() {
    Target<float> target;
    target.labels = y.data() + offset;
    mlp_forward(model, state, x.data() + offset * D, B);
    const double loss = mlp_loss(model, state, target);
    mlp_zero_grad(model);
    mlp_backward(model, state, target);
    sgd_step(sgd, model);
    offset = (offset + B) % (kPool - B + 1);
    return loss;
  };
  for (int i = 0; i < 20; ++i) step();  // warm-up: caches, thread pool, packing buffers
  // Five timed windows; the median is robust to a window disturbed by other programs on
  // a shared machine.
  const double window_seconds = options.quick ? 0.1 : 1.0;
  std::vector<double> rates;
  double loss = 0.0;
  int64_t steps = 0;
  for (int w = 0; w < 5; ++w) {
    common::Timer timer;
    int64_t window_steps = 0;
    while (timer.seconds() < window_seconds) {
      for (int i = 0; i < 10; ++i) loss = step();
      window_steps += 10;
    }
    rates.push_back(static_cast<double>(window_steps * B) / timer.seconds());
    steps += window_steps;
  }
  check_finite_loss(loss, steps, sgd.config.lr);
  std::vector<double> sorted = rates;
  std::sort(sorted.begin(), sorted.end());
  BenchResult result;
  result.items_per_second = sorted[2];
  char config[200];
  std::snprintf(config, sizeof config,
                "784-256-128-10 relu, softmax-CE, batch %lld, SGD momentum 0.9, float32, "
                "%d threads",
                static_cast<long long>(B), options.threads);
  result.config = config;
  std::printf("  mlp_train: %.0f images/s, median of 5 windows of %.1f s (%s)\n",
              result.items_per_second, window_seconds, result.config.c_str());
  std::printf("  windows:");
  for (double r : rates) std::printf(" %.0f", r);
  std::printf(" images/s; one step = forward + loss + backward + SGD on %lld images\n",
              static_cast<long long>(B));
  return result;
}

}  // namespace phase2
