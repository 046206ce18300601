// phase5_resnet/lesson_experiments.cpp -- the lesson's measurements beside the training
// runs of main.cpp: gradient_flow (the norm of dLoss/d(block output) over depth),
// batchnorm (plain-20 with and without BatchNorm) and compare (LeNet-5, a small VGG,
// resnet-20 and resnet-56).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "lenet.h"
#include "lesson.h"
#include "resnet.h"
#include "vgg.h"

namespace phase5_lesson {

// ---------------------------------------------------------------------------
// gradient_flow: ||dL/d out_b|| for every block b, plain-56 against resnet-56

namespace {

// ||dL/d out_b|| for every block on one batch (training mode, no update), averaged over
// `batches` random mini-batches of the training set; the running statistics are restored.
std::vector<double> block_gradient_norms(phase5::ResNet& net, const common::ImageDataset& data,
                                         int64_t batch_size, int batches, uint64_t seed) {
  const int64_t pixels = data.rows * data.cols;
  phase5::ResNetState st(net, batch_size);
  common::Rng rng(seed);
  common::Tensor batch_x({batch_size, pixels});
  std::vector<int> batch_y(static_cast<size_t>(batch_size));
  std::vector<double> norms(net.blocks.size(), 0.0);
  const std::vector<float> stats = net.stats;  // a measurement: running statistics untouched
  for (int k = 0; k < batches; ++k) {
    std::vector<int64_t> idx(static_cast<size_t>(batch_size));
    for (int64_t& i : idx) i = rng.randint(0, data.train_x.dim(0));
    common::gather_rows(data.train_x, idx, batch_x);
    for (size_t i = 0; i < idx.size(); ++i) batch_y[i] = data.train_y[static_cast<size_t>(idx[i])];
    phase5::resnet_forward(st, net, batch_x.data(), batch_y.data(), batch_size,
                           phase5::Mode::kTrain);
    std::fill(net.grads.begin(), net.grads.end(), 0.0f);
    phase5::resnet_backward(st, net, batch_y.data(), batch_size);
    for (size_t b = 0; b < norms.size(); ++b) norms[b] += st.block_grad_norm[b] / batches;
  }
  net.stats = stats;
  return norms;
}

struct Flow {
  std::vector<double> at_init, after_epoch;
};

Flow measure_flow(Lesson& lesson, const phase5::ResNetConfig& config, int64_t train_images,
                  int64_t batch, float lr) {
  const int batches = lesson.flags.quick ? 1 : 4;
  const common::ImageDataset& ds = fashion(lesson);
  phase5::ResNet net(config);
  Flow flow;
  // At initialisation: the same init that training uses (seed), 4 batches.
  common::Rng rng(lesson.flags.seed);
  phase5::resnet_init(net, rng);
  flow.at_init = block_gradient_norms(net, ds, batch, batches, lesson.flags.seed + 100);
  // After one epoch of training (train_resnet initialises from the same seed again).
  phase5::TrainConfig train =
      train_config(lesson, {.epochs = 1, .train_images = train_images, .warmup = 0, .lr = lr});
  train.epochs = 1;
  train.batch_size = batch;
  train.label = phase5::describe(config);
  phase5::train_resnet(net, ds, train);
  flow.after_epoch = block_gradient_norms(net, ds, batch, batches, lesson.flags.seed + 100);
  return flow;
}

double first_last(const std::vector<double>& v) {
  return v.front() / v.back();
}

}  // namespace

void gradient_flow(Lesson& lesson) {
  heading("gradient_flow: how the loss gradient reaches the first blocks",
          R"(The norm of dLoss/d(output of block b), for the 27 blocks of a 56-layer network,
averaged over 4 mini-batches of 128: at initialisation and after one epoch of
training on 10,000 images.
In a plain network the gradient reaching block b has passed through every layer
above it, a product of 2 x (27 - b) Jacobians (phase 3's vanishing gradient, in
depth instead of time). A residual block's output is its input plus F(x), so its
Jacobian is I + dF/dx: the identity carries the gradient down unchanged and the
products add paths instead of only multiplying them.
)");
  const bool quick = lesson.flags.quick;
  // --quick: one epoch of 64 images, one batch of 16 per measurement.
  const int64_t images =
      lesson.options.train_images > 0 ? lesson.options.train_images : (quick ? 64 : 10000);
  const int64_t batch = lesson.flags.batch_size_or(quick ? 16 : 128);
  const float lr = static_cast<float>(lesson.flags.lr_or(0.1));
  phase5::ResNetConfig plain = net_config(lesson, 56, true);
  plain.depth = 56;
  phase5::ResNetConfig residual = net_config(lesson, 56, false);
  residual.depth = 56;
  residual.zero_init_residual = false;
  const Flow p = measure_flow(lesson, plain, images, batch, lr);
  const Flow r = measure_flow(lesson, residual, images, batch, lr);

  say("\n  block   plain-56 init   after 1 epoch   resnet-56 init   after 1 epoch\n");
  for (size_t b = 0; b < p.at_init.size(); ++b)
    say(fmt("  %5zu   %13.3e   %13.3e   %14.3e   %13.3e\n", b + 1, p.at_init[b], p.after_epoch[b],
            r.at_init[b], r.after_epoch[b]));
  const double pr = first_last(p.at_init), rr = first_last(r.at_init);
  say("\n  first / last block gradient norm at initialisation: plain " + fmt("%.3g", pr) +
      ", residual " + fmt("%.3g", rr) + " (residual / plain: " + fmt("%.3g", rr / pr) +
      ")\n  after one epoch: plain " + fmt("%.3g", first_last(p.after_epoch)) + ", residual " +
      fmt("%.3g", first_last(r.after_epoch)) + "\n");

  auto series = [](const std::string& name, const std::vector<double>& v) {
    common::Series s{.name = name, .markers = true, .line = true};
    for (size_t b = 0; b < v.size(); ++b) {
      s.x.push_back(static_cast<double>(b + 1));
      s.y.push_back(v[b]);
    }
    return s;
  };
  say("\n");
  write_chart(lesson, "gradient_flow.svg",
              {series("plain-56, initialisation", p.at_init),
               series("plain-56, after 1 epoch", p.after_epoch),
               series("resnet-56, initialisation", r.at_init),
               series("resnet-56, after 1 epoch", r.after_epoch)},
              {.title = "||dLoss / d block output|| over depth",
               .x_label = "block (1 = next to the input, 27 = next to the classifier)",
               .y_label = "gradient norm",
               .log_y = true});

  common::Json& m = lesson.metrics.experiment("gradient_flow");
  m["train_images"] = images;
  m["batch_size"] = batch;
  m["plain_first_last_ratio"] = pr;
  m["resnet_first_last_ratio"] = rr;
  m["plain_first_last_ratio_after_epoch"] = first_last(p.after_epoch);
  m["resnet_first_last_ratio_after_epoch"] = first_last(r.after_epoch);
  auto array = [](const std::vector<double>& v) {
    common::Json a = common::Json::array();
    for (double x : v) a.push_back(x);
    return a;
  };
  m["plain_init"] = array(p.at_init);
  m["plain_after_epoch"] = array(p.after_epoch);
  m["resnet_init"] = array(r.at_init);
  m["resnet_after_epoch"] = array(r.after_epoch);
}

// ---------------------------------------------------------------------------
// batchnorm: plain-20 with and without BatchNorm

namespace {

// The step losses averaged over windows of `window` steps (a readable curve).
common::Series smoothed(const std::string& name, const std::vector<float>& losses, int window) {
  common::Series s{.name = name, .markers = false, .line = true};
  for (size_t start = 0; start + static_cast<size_t>(window) <= losses.size();
       start += static_cast<size_t>(window)) {
    double sum = 0;
    for (int k = 0; k < window; ++k) sum += losses[start + static_cast<size_t>(k)];
    s.x.push_back(static_cast<double>(start + static_cast<size_t>(window)));
    s.y.push_back(sum / window);
  }
  return s;
}

}  // namespace

void batchnorm(Lesson& lesson) {
  heading("batchnorm: the same plain-20 with and without BatchNorm",
          R"(BatchNorm normalises every channel over the mini-batch before the ReLU, so each
layer sees inputs of mean 0 and variance 1 whatever the layers below did. Without
it the 20-layer plain net (convolutions with biases, He initialisation) has to
keep its activations in range by itself: at the learning rate that trains the
BatchNorm net it diverges or stalls, and it needs a much smaller one.
)");
  const bool quick = lesson.flags.quick;
  const int64_t depth = quick ? 8 : 20;
  const TrainDefaults defaults{
      .epochs = 1, .train_images = quick ? 0 : 10000, .warmup = 0, .lr = 0.1f};
  phase5::TrainConfig train = train_config(lesson, defaults);
  train.verbose = !quick;
  const common::ImageDataset& ds = fashion(lesson);
  const int64_t n_train =
      train.train_images > 0 ? std::min(train.train_images, ds.train_x.dim(0)) : ds.train_x.dim(0);
  say("  data: " + std::to_string(n_train) + " training images, 1 epoch (" +
      std::to_string(n_train / train.batch_size) + " steps of " + std::to_string(train.batch_size) +
      "), cosine schedule, no warm-up\n");
  struct Run {
    std::string name;
    bool bn;
    float lr;
    bool diverged = false;
    phase5::TrainResult result;
  };
  std::vector<Run> runs;
  auto run = [&](bool bn, float lr) {
    phase5::ResNetConfig config{.depth = depth, .residual = false, .batchnorm = bn};
    phase5::ResNet net(config);
    phase5::TrainConfig t = train;
    t.sgd.lr = lr;
    t.label = phase5::describe(config) + " lr " + fmt("%g", lr);
    Run r{.name = phase5::describe(config), .bn = bn, .lr = lr, .result = {}};
    try {
      r.result = phase5::train_resnet(net, ds, t);
    } catch (const common::Error& e) {  // the loss became NaN or infinite
      r.diverged = true;
      say(std::string("  ") + e.what() + "\n");
    }
    runs.push_back(r);
    return runs.back();
  };
  run(true, 0.1f);
  // Without BatchNorm: the same rate, then 3x smaller ones until the net trains (its final
  // loss below 1.5 nats; guessing is 2.30).
  double best_lr = 0.0;
  const std::vector<float> rates = quick ? std::vector<float>{0.1f, 0.01f}
                                         : std::vector<float>{0.1f, 0.03f, 0.01f, 0.003f, 0.001f};
  for (float lr : rates) {
    const Run& r = run(false, lr);
    if (!r.diverged && r.result.train_loss < 1.5) {
      best_lr = lr;
      break;
    }
  }
  say("\n  network                         lr      train loss   test acc.\n");
  for (const Run& r : runs)
    say(fmt("  %-30s %6g   %10s   %9s\n", r.name.c_str(), static_cast<double>(r.lr),
            r.diverged ? "diverged" : fmt("%.4f", r.result.train_loss).c_str(),
            r.diverged ? "-" : fmt("%.4f", r.result.test_accuracy).c_str()));
  if (best_lr > 0)
    say("\n  the highest of these rates at which the net without BatchNorm trains: " +
        fmt("%g", best_lr) + "\n");
  else
    say("\n  without BatchNorm the net trained at none of these rates in this budget\n");
  std::vector<common::Series> curves;
  const int window = quick ? 2 : 8;
  for (const Run& r : runs)
    if (!r.diverged)
      curves.push_back(smoothed(r.name + ", lr " + fmt("%g", r.lr), r.result.step_losses, window));
  say("\n");
  write_chart(lesson, "batchnorm.svg", curves,
              {.title = "plain-" + std::to_string(depth) + " with and without BatchNorm",
               .x_label = "step",
               .y_label = "training loss (mean of " + std::to_string(window) + " steps)",
               .log_y = true});

  common::Json& m = lesson.metrics.experiment("batchnorm");
  m["train_images"] = n_train;
  m["no_bn_highest_lr_that_trains"] = best_lr;
  for (const Run& r : runs) {
    common::Json& e = m[std::string(r.bn ? "bn" : "no_bn") + "_lr_" + fmt("%g", r.lr)];
    e["model"] = r.name;
    e["lr"] = static_cast<double>(r.lr);
    e["diverged"] = r.diverged;
    if (!r.diverged) {
      e["train_loss"] = r.result.train_loss;
      e["test_accuracy"] = r.result.test_accuracy;
      e["seconds"] = r.result.train_seconds;
    }
  }
}

// ---------------------------------------------------------------------------
// compare: LeNet-5, a small VGG, resnet-20, resnet-56 on Fashion-MNIST

void compare(Lesson& lesson) {
  heading("compare: four convolutional networks on Fashion-MNIST",
          R"(LeNet-5 (1998, phase 3), a VGG-style stack of 3x3 convolutions with BatchNorm
and max pooling (2014), and the residual networks of 2015, trained with the same
budget as the degradation experiment (LeNet-5 as in phase 3: batch 64, lr 0.05,
no augmentation). Images/second is training throughput on this machine.
)");
  const bool quick = lesson.flags.quick;
  phase5::TrainConfig train = train_config(
      lesson, quick ? TrainDefaults{.epochs = 1, .train_images = 0, .warmup = 0, .lr = 0.1f}
                    : kDegradationBudget);
  const common::ImageDataset& ds = fashion(lesson);
  struct Row {
    std::string name;
    double accuracy = 0, images_per_second = 0;
    int64_t params = 0, flops = 0;
  };
  std::vector<Row> rows;
  {  // LeNet-5, copied forward from phase 3
    phase5::LeNet lenet{phase5::LeNetConfig{}};
    phase5::LeNetTrainConfig lt;
    lt.epochs = train.epochs;
    lt.seed = train.seed;
    common::ImageDataset subset = ds;
    if (train.train_images > 0 && train.train_images < ds.train_x.dim(0)) {
      subset.train_x = common::Tensor({train.train_images, 784});
      std::copy(ds.train_x.data(), ds.train_x.data() + train.train_images * 784,
                subset.train_x.data());
      subset.train_y.resize(static_cast<size_t>(train.train_images));
    }
    say("\n  LeNet-5\n");
    const phase5::LeNetTrainResult r = phase5::train_lenet(lenet, subset, lt);
    // multiply-adds: C1 6*25*784, C3 16*150*100, C5 120*400, F6 84*120, output 10*84
    const int64_t macs = 6 * 25 * 784 + 16 * 150 * 100 + 120 * 400 + 84 * 120 + 10 * 84;
    rows.push_back(
        {"LeNet-5", r.test_accuracy, r.images_per_second, lenet.params.size(), 2 * macs});
  }
  {
    phase5::Vgg vgg;
    phase5::TrainConfig t = train;
    t.label = "vgg";
    say("\n  VGG-style, 6 conv layers + classifier\n");
    const phase5::TrainResult r = phase5::train_vgg(vgg, ds, t);
    rows.push_back({"VGG-style (8 layers)", r.test_accuracy, r.images_per_second,
                    vgg.parameter_count(), phase5::flops_per_image(vgg)});
  }
  if (!lesson.degradation_resnets.empty()) {  // the whole lesson: trained by degradation
    say("\n  resnet-20 and resnet-56: the degradation experiment's runs (same budget)\n");
    for (const Lesson::Trained& t : lesson.degradation_resnets)
      rows.push_back({t.name, t.accuracy, t.images_per_second, t.params, t.flops});
  } else {
    for (int64_t depth : {quick ? int64_t{8} : int64_t{20}, quick ? int64_t{14} : int64_t{56}}) {
      phase5::ResNetConfig config = net_config(lesson, depth, false, kDegradationZeroInit);
      config.depth = depth;
      phase5::ResNet net(config);
      phase5::TrainConfig t = train;
      t.label = phase5::describe(config);
      say("\n  " + phase5::describe(config) + "\n");
      const phase5::TrainResult r = phase5::train_resnet(net, ds, t);
      rows.push_back({"resnet-" + std::to_string(depth), r.test_accuracy, r.images_per_second,
                      net.parameter_count(), phase5::flops_per_image(net)});
    }
  }
  say("\n  model                  test acc.   params   MFLOPs/img   train images/s\n");
  for (const Row& r : rows)
    say(fmt("  %-22s %9.4f   %6.3fM   %10.2f   %14.0f\n", r.name.c_str(), r.accuracy,
            r.params / 1e6, r.flops / 1e6, r.images_per_second));
  common::Json& m = lesson.metrics.experiment("compare");
  const char* keys[] = {"lenet5", "vgg", "resnet_20", "resnet_56"};
  for (size_t i = 0; i < rows.size(); ++i) {
    common::Json& e = m[keys[i]];
    e["model"] = rows[i].name;
    e["test_accuracy"] = rows[i].accuracy;
    e["params"] = rows[i].params;
    e["flops_per_image"] = rows[i].flops;
    e["images_per_second"] = rows[i].images_per_second;
  }
}

}  // namespace phase5_lesson
