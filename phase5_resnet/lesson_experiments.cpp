// phase5_resnet/lesson_experiments.cpp -- the lesson's measurements beside the training
// runs of main.cpp: gradient_flow (the norm of dLoss/d(block output) over depth).
#include <cmath>
#include <string>
#include <vector>

#include "lesson.h"
#include "resnet.h"

namespace phase5_lesson {

// ---------------------------------------------------------------------------
// gradient_flow: ||dL/d out_b|| for every block b, plain-56 against resnet-56

namespace {

struct Flow {
  std::vector<double> at_init, after_epoch;
};

Flow measure_flow(Lesson& lesson, const phase5::ResNetConfig& config, int64_t train_images,
                  int64_t batch, float lr) {
  const int batches = lesson.flags.quick ? 2 : 4;
  const common::ImageDataset& ds = fashion(lesson);
  phase5::ResNet net(config);
  Flow flow;
  // At initialisation: the same init that training uses (seed), 4 batches.
  common::Rng rng(lesson.flags.seed);
  phase5::resnet_init(net, rng);
  flow.at_init = phase5::block_gradient_norms(net, ds, batch, batches, lesson.flags.seed + 100);
  // After one epoch of training (train_resnet initialises from the same seed again).
  phase5::TrainConfig train = train_config(lesson, {.epochs = 1,
                                                    .train_images = train_images,
                                                    .warmup = 0,
                                                    .lr = lr});
  train.epochs = 1;
  train.batch_size = batch;
  train.label = phase5::describe(config);
  phase5::train_resnet(net, ds, train);
  flow.after_epoch = phase5::block_gradient_norms(net, ds, batch, batches, lesson.flags.seed + 100);
  return flow;
}

double first_last(const std::vector<double>& v) {
  return v.front() / v.back();
}

}  // namespace

void gradient_flow(Lesson& lesson) {
  heading("gradient_flow: how the loss gradient reaches the first blocks",
          R"(The norm of dLoss/d(output of block b), for the 27 blocks of a 56-layer network,
averaged over 4 mini-batches: at initialisation and after one epoch of training.
In a plain network the gradient reaching block b has passed through every layer
above it, a product of 2 x (27 - b) Jacobians (phase 3's vanishing gradient, in
depth instead of time). A residual block's output is its input plus F(x), so its
Jacobian is I + dF/dx: the identity carries the gradient down unchanged and the
products add paths instead of only multiplying them.
)");
  const bool quick = lesson.flags.quick;
  // --quick: one epoch of 128 images, 2 batches of 32 per measurement.
  const int64_t images = lesson.options.train_images > 0 ? lesson.options.train_images
                                                          : (quick ? 128 : 10000);
  const int64_t batch = lesson.flags.batch_size_or(quick ? 32 : 128);
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
    say(fmt("  %5zu   %13.3e   %13.3e   %14.3e   %13.3e\n", b + 1, p.at_init[b],
            p.after_epoch[b], r.at_init[b], r.after_epoch[b]));
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

}  // namespace phase5_lesson
