// phase5_resnet/main.cpp -- the lesson driver of phase 5: BatchNorm and residual
// connections; a 56-layer ResNet beats the shallow networks it could not beat without them.
//
// What this phase builds (one file per idea, read in this order):
//   layers.h/.cpp     copied forward from phase 3: matrix products (common/matmul.h),
//                     initialisation, ReLU, fully connected layer, softmax cross-entropy,
//                     SGD with momentum and weight decay, cosine schedule
//   conv.h/.cpp       copied forward from phase 3: 2-D convolution, direct loops, plain and
//                     fast im2col + one matrix product per mini-batch (bias now optional)
//   batchnorm.h       Batch Normalization (Ioffe and Szegedy 2015): training mode, running
//                     averages for evaluation, the three-term backward pass
//   resnet.h/.cpp     the residual network of He et al. 2015 (section 4.2) and its plain twin:
//                     conv + BN units, the basic block with shortcuts A and B, global average
//                     pooling, the network's forward and backward, He initialisation, the
//                     training loop (augmentation, warm-up, cosine or step schedule,
//                     checkpoints with exact resume), the gradient-flow measurement
//   pool.h            copied forward from phase 3: max pooling (and average pooling)
//   vgg.h/.cpp        a small VGG-style network (Simonyan and Zisserman 2014) with BatchNorm
//   lenet.h/.cpp      copied forward from phase 3: LeNet-5 (ReLU + max-pooling)
//   bench.h/.cpp      the `bench` experiment: images/s and where a training step's time goes
//   lesson.h          what the experiments share (flags, configurations, pictures)
//   lesson_experiments.cpp   gradient_flow, batchnorm, compare
//   lesson_pictures.cpp      the stem's filters, the misclassified test images
// From an experiment, every layer's forward and backward is at most two files away:
//   resnet, degradation   main.cpp -> resnet.cpp -> resnet.h (block, GAP), batchnorm.h,
//                         conv.h, layers.h
//   gradient_flow,        lesson_experiments.cpp -> resnet.cpp -> the same layer files
//   batchnorm
//   compare               lesson_experiments.cpp -> vgg.cpp -> resnet.h (conv + BN units,
//                         GAP), pool.h, layers.h;  -> lenet.cpp -> conv.h, pool.h, layers.h;
//                         -> resnet.cpp as above
//   bench                 main.cpp -> bench.cpp -> resnet.cpp, conv.h, batchnorm.h
// What it leaves out: the paper's ImageNet networks (bottleneck blocks, 7x7 stem, 152
// layers), CIFAR-10 itself (Fashion-MNIST instead, 28x28 gray), the 64k-iteration schedule.
//
// Build, run, test (from the repository root):
//   cmake --preset release && cmake --build --preset release
//   build/release/phase5_resnet/phase5_resnet                        # the whole lesson
//   build/release/phase5_resnet/phase5_resnet resnet --depth 56 --epochs 2
//   ctest --preset release -R phase5_resnet
//
// This file parses flags, runs the experiments in teaching order with narration, writes
// the pictures and records the numbers (--json). The ideas live in the files above.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "bench.h"
#include "common.h"
#include "lesson.h"
#include "resnet.h"

namespace phase5_lesson {

constexpr const char* kPhase = "phase5_resnet";

// ---------------------------------------------------------------------------
// What the experiments share

const common::ImageDataset& fashion(Lesson& lesson) {
  if (!lesson.data) {
    const bool quick = lesson.flags.quick;
    lesson.data = common::load_image_dataset(lesson.flags.data_dir, "fashion-mnist",
                                             quick ? 1000 : 0, quick ? 500 : 0);
  }
  return *lesson.data;
}

phase5::ResNetConfig net_config(const Lesson& lesson, int64_t default_depth, bool plain,
                                bool default_zero_init) {
  const Options& o = lesson.options;
  const bool zero_init = o.zero_init >= 0 ? o.zero_init == 1 : default_zero_init;
  return {.depth = o.depth > 0 ? o.depth : default_depth,
          .residual = !plain,
          .shortcut = o.shortcut == "B" ? phase5::Shortcut::kB : phase5::Shortcut::kA,
          .batchnorm = !o.no_batchnorm,
          .zero_init_residual = zero_init && !plain};
}

phase5::TrainConfig train_config(const Lesson& lesson, const TrainDefaults& d) {
  const common::CommonFlags& f = lesson.flags;
  const Options& o = lesson.options;
  phase5::TrainConfig t;
  t.epochs = f.epochs_or(d.epochs);
  t.batch_size = f.batch_size_or(128);
  t.sgd.lr = static_cast<float>(f.lr_or(d.lr));
  t.schedule = o.schedule == "step" ? phase5::Schedule::kStep : phase5::Schedule::kCosine;
  t.warmup_steps = o.warmup >= 0 ? o.warmup : d.warmup;
  t.train_images = o.train_images >= 0 ? o.train_images : d.train_images;
  t.seed = f.seed;
  t.verbose = true;
  return t;
}

common::Series loss_series(const std::string& name, const phase5::TrainResult& r) {
  common::Series s{.name = name, .markers = r.history.size() < 30, .line = true};
  for (const auto& e : r.history) {
    s.x.push_back(e.epoch);
    s.y.push_back(e.train_loss);
  }
  return s;
}

common::Series error_series(const std::string& name, const phase5::TrainResult& r) {
  common::Series s{.name = name, .markers = r.history.size() < 30, .line = true};
  for (const auto& e : r.history) {
    s.x.push_back(e.epoch);
    s.y.push_back(100.0 * (1.0 - e.test_accuracy));
  }
  return s;
}

void write_panels(const Lesson& lesson, const std::string& name,
                  const std::vector<std::vector<common::Series>>& series,
                  const std::vector<common::ChartOptions>& options, int columns) {
  const int w = options[0].width, h = options[0].height;
  const int rows = (static_cast<int>(series.size()) + columns - 1) / columns;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(w * columns) + "\" height=\"" + std::to_string(h * rows) +
                    "\">\n";
  for (size_t i = 0; i < series.size(); ++i) {
    std::string panel = common::svg_line_chart(series[i], options[i]);
    const int x = static_cast<int>(i) % columns * w, y = static_cast<int>(i) / columns * h;
    panel.insert(4, " x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) + "\"");
    svg += panel;
  }
  svg += "</svg>\n";
  const std::string path = out_path(lesson, name);
  common::write_file_atomic(path, svg);
  say("    wrote " + path + "\n");
}

namespace {

std::string describe_training(const phase5::TrainConfig& t, int64_t n_train) {
  return std::to_string(t.epochs) + " epochs of " + std::to_string(n_train) + " images, batch " +
         std::to_string(t.batch_size) + ", SGD lr " + fmt("%g", t.sgd.lr) +
         (t.warmup_steps > 0 ? " (warm-up " + std::to_string(t.warmup_steps) + " steps)" : "") +
         (t.schedule == phase5::Schedule::kCosine ? ", cosine to 0" : ", step /10 at 50%, 75%") +
         ", momentum 0.9, weight decay " + fmt("%g", t.sgd.weight_decay) +
         (t.augment ? ", random crop (pad 2) + flip" : "") + ", seed " + std::to_string(t.seed);
}

int64_t images_used(const phase5::TrainConfig& t, const common::ImageDataset& ds) {
  return t.train_images > 0 ? std::min(t.train_images, ds.train_x.dim(0)) : ds.train_x.dim(0);
}

struct NetRun {
  phase5::ResNetConfig config;
  phase5::TrainResult result;
  int64_t params = 0, flops = 0;
  double seconds = 0.0;
};

NetRun train_one(Lesson& lesson, const phase5::ResNetConfig& config, phase5::TrainConfig train,
                 const std::string& pictures = "") {
  common::Timer timer;
  const common::ImageDataset& ds = fashion(lesson);
  phase5::ResNet net(config);
  train.label = phase5::describe(config);
  say("\n  " + phase5::describe(config) + ": " + std::to_string(net.parameter_count()) +
      " parameters, " + fmt("%.1f", phase5::flops_per_image(net) / 1e6) + " MFLOPs per image\n");
  NetRun run;
  run.config = config;
  run.result = phase5::train_resnet(net, ds, train);
  run.params = net.parameter_count();
  run.flops = phase5::flops_per_image(net);
  run.seconds = timer.seconds();
  if (!pictures.empty()) write_pictures(lesson, net, pictures);
  return run;
}

void record(common::Json& m, const NetRun& run) {
  m["train_loss"] = run.result.train_loss;
  m["test_accuracy"] = run.result.test_accuracy;
  m["params"] = run.params;
  m["flops_per_image"] = run.flops;
  m["seconds"] = run.seconds;
  m["epochs"] = static_cast<int64_t>(run.result.history.size());
  m["images_per_second"] = run.result.images_per_second;
  common::Json loss = common::Json::array(), acc = common::Json::array();
  for (const auto& e : run.result.history) {
    loss.push_back(e.train_loss);
    acc.push_back(e.test_accuracy);
  }
  m["train_loss_per_epoch"] = loss;
  m["test_accuracy_per_epoch"] = acc;
}

}  // namespace

// ---------------------------------------------------------------------------
// resnet: one network, as the flags describe it

void resnet(Lesson& lesson) {
  const Options& o = lesson.options;
  const phase5::ResNetConfig config = net_config(lesson, lesson.flags.quick ? 8 : 20, o.plain);
  heading("resnet: one network on Fashion-MNIST",
          R"(A 3x3 convolution, three stages of basic blocks (16, 32, 64 channels; the
maps shrink 28 -> 14 -> 7), global average pooling and one fully connected layer.
Every convolution is followed by BatchNorm; a residual block adds its input to its
output, a plain block does not.
)");
  phase5::TrainConfig train = train_config(
      lesson, {.epochs = lesson.flags.quick ? 2 : 10, .train_images = 0, .warmup = 0, .lr = 0.1f});
  train.checkpoint = o.checkpoint;
  train.resume = o.resume;
  train.stop_after = o.stop_after;
  const common::ImageDataset& ds = fashion(lesson);
  say("  data: Fashion-MNIST, " + std::to_string(images_used(train, ds)) + " training and " +
      std::to_string(ds.test_x.dim(0)) +
      " test images\n  training: " + describe_training(train, images_used(train, ds)) + "\n");
  const NetRun run = train_one(lesson, config, train, "resnet");
  say("\n  " + phase5::describe(config) + ": train loss " + fmt("%.4f", run.result.train_loss) +
      ", test accuracy " + fmt("%.4f", run.result.test_accuracy) + ", " +
      fmt("%.0f", run.result.images_per_second) + " training images/s\n");
  if (run.result.stopped)
    say("  stopped after epoch " + std::to_string(o.stop_after) + "; continue with --resume\n");
  common::Json& m = lesson.metrics.experiment("resnet");
  m["model"] = phase5::describe(config);
  record(m, run);
}

// ---------------------------------------------------------------------------
// degradation: plain-20, plain-56, resnet-20, resnet-56 with the same budget

void degradation(Lesson& lesson) {
  heading("degradation: deeper plain networks train worse; residual ones do not",
          R"(He et al. (2015, figure 1 and figure 6) trained plain networks of 20 and 56 layers
on CIFAR-10: the deeper one had the HIGHER training error -- not overfitting, an
optimisation failure, "the degradation problem". The same stacks with identity
shortcuts reversed the order: resnet-56 beat resnet-20. The four networks below
share everything else: data, augmentation, schedule, number of steps.
)");
  const bool quick = lesson.flags.quick;
  // --quick: resnet-8 and -14 for -20 and -56, one epoch of 1,000 images (a smoke test).
  const int64_t shallow = quick ? 8 : 20, deep = quick ? 14 : 56;
  phase5::TrainConfig train = train_config(
      lesson, quick ? TrainDefaults{.epochs = 1, .train_images = 0, .warmup = 0, .lr = 0.1f}
                    : kDegradationBudget);
  const common::ImageDataset& ds = fashion(lesson);
  say("  data: Fashion-MNIST, " + std::to_string(images_used(train, ds)) + " training and " +
      std::to_string(ds.test_x.dim(0)) + " test images\n  training (all four): " +
      describe_training(train, images_used(train, ds)) + "\n");
  struct Net {
    const char* key;
    int64_t depth;
    bool plain;
  };
  const Net nets[] = {{"plain_20", shallow, true},
                      {"plain_56", deep, true},
                      {"resnet_20", shallow, false},
                      {"resnet_56", deep, false}};
  std::vector<NetRun> runs;
  for (const Net& n : nets) {
    phase5::ResNetConfig config = net_config(lesson, n.depth, n.plain, kDegradationZeroInit);
    config.depth = n.depth;
    runs.push_back(train_one(lesson, config, train, n.depth == deep && !n.plain ? "resnet56" : ""));
  }
  const char* paper[] = {"-", "worse than plain-20", "8.75 %", "6.97 %"};
  say("\n  network          train loss   test acc.   params   MFLOPs/img   train time   CIFAR-10 "
      "error (paper)\n");
  for (size_t i = 0; i < runs.size(); ++i) {
    const NetRun& r = runs[i];
    say(fmt("  %-16s %10.4f   %9.4f   %6.3fM   %10.1f   %8.0f s   %s\n",
            phase5::describe(r.config).substr(0, 16).c_str(), r.result.train_loss,
            r.result.test_accuracy, r.params / 1e6, r.flops / 1e6, r.result.train_seconds,
            paper[i]));
  }
  say("  (the paper's table 6 also lists resnet-32 7.51 %, -44 7.17 %, -110 6.43 %; its plain\n"
      "  nets appear only in figure 6, with plain-56 above plain-20)\n");
  const double p20 = runs[0].result.train_loss, p56 = runs[1].result.train_loss;
  const double r20 = runs[2].result.train_loss, r56 = runs[3].result.train_loss;
  auto yes = [](bool b) { return b ? "yes" : "NO"; };
  say(std::string("\n  plain deep loss > plain shallow loss (degradation):  ") + yes(p56 > p20) +
      "\n  resnet deep loss < plain deep loss:                   " + yes(r56 < p56) +
      "\n  resnet deep loss <= resnet shallow loss:              " + yes(r56 <= r20) +
      "\n  resnet deep test accuracy > both plain nets, >= resnet shallow: " +
      yes(runs[3].result.test_accuracy > runs[0].result.test_accuracy &&
          runs[3].result.test_accuracy > runs[1].result.test_accuracy &&
          runs[3].result.test_accuracy >= runs[2].result.test_accuracy) +
      "\n");

  // Figure 6 of the paper: plain nets left, residual nets right; loss above, error below.
  auto name = [&](size_t i) { return phase5::describe(runs[i].config).substr(0, 9); };
  const common::ChartOptions loss{
      .x_label = "epoch", .y_label = "training loss (nats)", .log_y = true};
  const common::ChartOptions err{.x_label = "epoch", .y_label = "test error (%)"};
  auto titled = [](common::ChartOptions o, const std::string& t) {
    o.title = t;
    return o;
  };
  say("\n");
  write_panels(
      lesson, "degradation.svg",
      {{loss_series(name(0), runs[0].result), loss_series(name(1), runs[1].result)},
       {loss_series(name(2), runs[2].result), loss_series(name(3), runs[3].result)},
       {error_series(name(0), runs[0].result), error_series(name(1), runs[1].result)},
       {error_series(name(2), runs[2].result), error_series(name(3), runs[3].result)}},
      {titled(loss, "plain networks: training loss"),
       titled(loss, "residual networks: training loss"), titled(err, "plain networks: test error"),
       titled(err, "residual networks: test error")},
      2);

  common::Json& m = lesson.metrics.experiment("degradation");
  m["train_images"] = images_used(train, ds);
  m["test_images"] = ds.test_x.dim(0);
  m["warmup_steps"] = train.warmup_steps;
  m["zero_init_residual"] = runs[3].config.zero_init_residual;
  for (size_t i = 0; i < runs.size(); ++i) {
    common::Json& net = m[nets[i].key];
    net["model"] = phase5::describe(runs[i].config);
    record(net, runs[i]);
  }
  for (size_t i = 2; i < 4; ++i)
    lesson.degradation_resnets.push_back({.name = "resnet-" + std::to_string(runs[i].config.depth),
                                          .accuracy = runs[i].result.test_accuracy,
                                          .images_per_second = runs[i].result.images_per_second,
                                          .params = runs[i].params,
                                          .flops = runs[i].flops});
}

// ---------------------------------------------------------------------------
// Flags

namespace {

void check_flags(const common::CommonFlags& f, const Options& o) {
  const std::string& e = f.experiment;
  if (o.shortcut != "A" && o.shortcut != "B")
    throw common::UsageError("--shortcut expects A or B, got '" + o.shortcut + "'");
  if (o.schedule != "cosine" && o.schedule != "step")
    throw common::UsageError("--schedule expects cosine or step, got '" + o.schedule + "'");
  if (o.depth != 0 && (o.depth < 8 || (o.depth - 2) % 6 != 0))
    throw common::UsageError("--depth expects 6n + 2 (8, 20, 32, 44, 56, 110), got " +
                             std::to_string(o.depth));
  if (o.train_images == 0 || o.train_images < -1)
    throw common::UsageError("--train-images expects a positive number");
  if (o.zero_init < -1 || o.zero_init > 1) throw common::UsageError("--zero-init expects 0 or 1");
  if (o.warmup < -1) throw common::UsageError("--warmup expects a number of steps >= 0");
  if (o.stop_after < 0) throw common::UsageError("--stop-after expects a positive number");
  const bool single = e == "resnet";
  auto only = [&](bool given, const char* flag, bool allowed, const char* who) {
    if (given && !allowed)
      throw common::UsageError(std::string(flag) + " is not used by " +
                               (e.empty() ? std::string("the whole lesson") : e) + ": it is for " +
                               who);
  };
  only(o.depth != 0, "--depth", single, "resnet");
  only(o.plain, "--plain", single, "resnet");
  only(o.no_batchnorm, "--no-batchnorm", single, "resnet");
  only(!o.checkpoint.empty(), "--checkpoint", single, "resnet");
  only(o.resume, "--resume", single, "resnet");
  only(o.stop_after != 0, "--stop-after", single, "resnet");
  const bool trains = single || e == "degradation" || e == "gradient_flow";
  const bool some_training = trains || e == "batchnorm" || e == "compare" || e.empty();
  only(o.shortcut != "A", "--shortcut", trains, "resnet, degradation and gradient_flow");
  only(o.zero_init != -1, "--zero-init", single || e == "degradation" || e == "compare",
       "resnet, degradation and compare");
  only(o.warmup != -1, "--warmup", single || e == "degradation", "resnet and degradation");
  only(o.schedule != "cosine", "--schedule", single || e == "degradation",
       "resnet and degradation");
  only(o.train_images != -1, "--train-images", some_training,
       "resnet, degradation, gradient_flow and batchnorm");
  if (f.steps > 0) throw common::UsageError("--steps is not used: every experiment counts epochs");
  const bool epochs = single || e == "degradation" || e == "compare";
  only(f.epochs > 0, "--epochs", epochs, "resnet, degradation and compare");
  only(f.batch_size > 0, "--batch-size", some_training,
       "resnet, degradation, gradient_flow and batchnorm");
  only(f.lr > 0, "--lr", trains, "resnet, degradation and gradient_flow");
  if ((o.resume || o.stop_after > 0) && o.checkpoint.empty())
    throw common::UsageError("--resume and --stop-after need --checkpoint FILE");
}

}  // namespace

}  // namespace phase5_lesson

using namespace phase5_lesson;  // NOLINT: the lesson's experiments, in order, below

int main(int argc, char** argv) {
  return common::run_main(kPhase, [&] {
    common::flush_denormals_to_zero();  // docs/CONVENTIONS.md §8
    common::FlagParser parser(
        kPhase,
        R"(Phase 5: BatchNorm (Ioffe and Szegedy 2015) and residual networks (He et al. 2015)
on Fashion-MNIST: a plain 56-layer network trains worse than a 20-layer one (the
degradation problem); with identity shortcuts the 56-layer network wins.)");
    parser.add_experiment("resnet", "one network (--depth, --plain, --shortcut); checkpoints");
    parser.add_experiment("degradation",
                          "plain-20, plain-56, resnet-20, resnet-56: same budget, figure 6");
    parser.add_experiment("gradient_flow",
                          "||dL/d block output|| over depth, plain-56 vs resnet-56");
    parser.add_experiment("batchnorm", "plain-20 with and without BatchNorm; the rate it needs");
    parser.add_experiment("compare", "LeNet-5, a small VGG, resnet-20, resnet-56: one table");
    parser.add_experiment("bench",
                          "ResNet-20/-56 training and ResNet-20 inference images/s, batch 128");
    Options options;
    parser.add_flag("depth", &options.depth, "resnet: 6n + 2 layers (20, 32, 44, 56, 110); 0: 20");
    parser.add_flag("plain", &options.plain, "resnet: the plain twin (no shortcuts)");
    parser.add_flag("shortcut", &options.shortcut,
                    "A: identity, zero-padded channels when the shape changes; B: 1x1 projection "
                    "there");
    parser.add_flag("no-batchnorm", &options.no_batchnorm,
                    "resnet: no BatchNorm (convolutions get biases)");
    parser.add_flag("zero-init", &options.zero_init,
                    "resnet, degradation: 1: each residual block's last BatchNorm scale starts at "
                    "0 (Goyal et al. 2017); 0: at 1; -1: the experiment's default");
    parser.add_flag("warmup", &options.warmup,
                    "resnet, degradation: linear learning-rate warm-up over this many steps, from "
                    "lr/10; -1: the experiment's default");
    parser.add_flag("schedule", &options.schedule,
                    "resnet, degradation: cosine (to 0) or step (lr/10 at 50% and 75%)");
    parser.add_flag("train-images", &options.train_images,
                    "the first N training images; -1: the experiment's default");
    parser.add_flag("checkpoint", &options.checkpoint,
                    "resnet: save the whole training state to FILE after every epoch");
    parser.add_flag("resume", &options.resume,
                    "resnet: continue from --checkpoint with the same flags (same result as an "
                    "uninterrupted run)");
    parser.add_flag("stop-after", &options.stop_after,
                    "resnet: stop after N epochs (to be continued with --resume)");
    parser.set_epilog(
        R"(--lr is the base learning rate of SGD (momentum 0.9, weight decay 1e-4), reached
after the warm-up and decayed by the schedule; --epochs counts passes over the
training images used; --batch-size is images per step (default 128).
Data (fetched by scripts/get_data.sh fashion-mnist into data/fashion-mnist): 60,000
training and 10,000 test images. Pictures and charts go to --out-dir.)");
    const common::CommonFlags flags = parser.parse_or_exit(argc, argv);
    check_flags(flags, options);
    Lesson lesson{
        .flags = flags,
        .options = options,
        .metrics = common::Metrics(kPhase, flags.seed, common::num_threads(), flags.quick)};
    if (flags.quick) common::ProgressBar::set_enabled(false);

    const std::string& e = flags.experiment;
    if (e == "resnet") resnet(lesson);
    if (e == "degradation") degradation(lesson);
    if (e == "gradient_flow") gradient_flow(lesson);
    if (e == "batchnorm") batchnorm(lesson);
    if (e == "compare") compare(lesson);
    if (e == "bench") {
      heading("bench: images per second at the PyTorch twin's configurations", "");
      phase5::run_bench(flags.seed, flags.quick, lesson.metrics.experiment("bench"));
    }
    if (e.empty()) {
      say(R"(Phase 5: BatchNorm and residual networks. Experiments in teaching order:
degradation, gradient_flow, batchnorm, compare.
)");
      degradation(lesson);
      gradient_flow(lesson);
      batchnorm(lesson);
      compare(lesson);
    }
    lesson.metrics.write(flags.json_path);
    if (!flags.json_path.empty()) say("\nmetrics: " + flags.json_path + "\n");
    return 0;
  });
}
