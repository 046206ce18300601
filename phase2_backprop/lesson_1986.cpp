// phase2_backprop/lesson_1986.cpp -- part of the lesson driver (see lesson.h): the
// experiments of the 1986 paper and its checks, in teaching order: gradcheck, xor, xor_seeds,
// encoder, symmetry. (moons, spirals, digits and bench: lesson_data.cpp.)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "data.h"
#include "datasets.h"
#include "error.h"
#include "files.h"
#include "image.h"
#include "lesson.h"
#include "perceptron.h"
#include "pictures.h"
#include "plot.h"
#include "progress.h"

namespace phase2 {

std::string picture_path(const LessonOptions& options, const std::string& name) {
  common::make_dirs(options.out_dir);
  return common::join_path(options.out_dir, name);
}

void wrote(const std::string& path) {
  std::printf("  wrote %s\n", path.c_str());
}

namespace {

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

// Full-batch SGD with momentum 0.9 as in the 1986 paper; lr 0.5 on the mean loss over the
// 4 patterns, which is 0.5 / 4 = 0.125 on the paper's summed error (the gradient of the
// mean is the gradient of the sum divided by 4); weights start in U(-1, 1).
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
// patterns, ours is the mean (mlp.h, section 4), so the same step needs a learning rate 64 times
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

}  // namespace phase2
