// phase2_backprop/lesson_data.cpp -- part of the lesson driver (see lesson.h): the
// experiments on data beyond the 1986 paper, in teaching order: moons, spirals, digits, then bench.
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
    common::Series train_loss{.name = "train loss", .markers = true};
    common::Series test_loss{.name = "test loss", .markers = true};
    common::Series train_acc{.name = "train accuracy", .markers = true};
    common::Series test_acc{.name = "test accuracy", .markers = true};
    for (const EpochRecord& r : fit.history) {
      for (common::Series* s : {&train_loss, &test_loss, &train_acc, &test_acc})
        s->x.push_back(r.epoch);
      train_loss.y.push_back(r.train_loss);
      test_loss.y.push_back(r.test_loss);
      train_acc.y.push_back(r.train_accuracy);
      test_acc.y.push_back(r.test_accuracy);
    }
    const std::string loss_path = picture_path(options, "digits_loss.svg");
    common::write_svg_line_chart(loss_path, {train_loss, test_loss},
                                 {.title = "MLP " + result.network + ": cross-entropy",
                                  .x_label = "epoch",
                                  .y_label = "loss (nats)",
                                  .log_y = true});
    wrote(loss_path);
    const std::string acc_path = picture_path(options, "digits_accuracy.svg");
    common::write_svg_line_chart(acc_path, {train_acc, test_acc},
                                 {.title = "MLP " + result.network + ": accuracy",
                                  .x_label = "epoch",
                                  .y_label = "accuracy"});
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
