// phase5_resnet/bench.cpp -- see bench.h.
//
// The breakdown times each part of a training step on its own, over the same layer shapes
// as the network (every conv + BN unit of it), with the same buffers sizes:
//   im2col / col2im    im2col twice per unit (forward, and again in backward: resnet.h),
//                      col2im once
//   matrix products    conv2d_forward minus its im2col, plus conv2d_backward minus its
//                      col2im (the forward product, the weight-gradient and input-gradient
//                      products)
//   BatchNorm          batchnorm_train_forward + batchnorm_backward
//   the rest           the measured step minus the three: ReLU, residual adds, shortcuts,
//                      pooling, the classifier, SGD, zeroing
// Parts timed alone run with warmer caches than inside a step, so "the rest" absorbs the
// difference (it can even come out slightly negative on a busy machine).
#include "bench.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "console.h"
#include "progress.h"
#include "resnet.h"
#include "rng.h"

namespace phase5 {

namespace {

struct Breakdown {
  double products = 0, lowering = 0, batchnorm = 0;
};

std::vector<float> random_buffer(int64_t n, common::Rng& rng) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = static_cast<float>(rng.normal());
  return v;
}

// The parts of one training step, unit by unit.
Breakdown time_parts(const ResNet& net, int64_t N, common::Rng& rng) {
  std::vector<const ConvBn*> units = {&net.stem};
  for (const Block& b : net.blocks) {
    units.push_back(&b.conv1);
    units.push_back(&b.conv2);
    if (b.projects()) units.push_back(&b.projection);
  }
  Breakdown t;
  for (const ConvBn* u : units) {
    Conv2dShape s = u->shape;
    s.N = N;
    const int64_t n_in = s.C * s.H * s.W * N, M = s.OH() * s.OW() * N, n_out = s.OC * M;
    std::vector<float> in = random_buffer(n_in, rng), w = random_buffer(s.OC * s.patch(), rng);
    std::vector<float> out(static_cast<size_t>(n_out)), d_out = random_buffer(n_out, rng);
    std::vector<float> cols(static_cast<size_t>(s.patch() * s.ld())), d_cols(cols.size());
    std::vector<float> d_in(static_cast<size_t>(n_in)), d_w(w.size());
    common::Timer clock;
    im2col(cols.data(), in.data(), s);
    const double t_im2col = clock.seconds();
    clock.reset();
    col2im(d_in.data(), d_cols.data(), s);
    const double t_col2im = clock.seconds();
    clock.reset();
    conv2d_forward<float>(out.data(), cols.data(), in.data(), w.data(), nullptr, s);
    const double t_forward = clock.seconds();
    clock.reset();
    conv2d_backward<float>(d_in.data(), d_w.data(), nullptr, d_cols.data(), d_out.data(),
                           cols.data(), w.data(), s);
    const double t_backward = clock.seconds();
    t.lowering += 2 * t_im2col + t_col2im;
    t.products += std::max(0.0, t_forward - t_im2col) + std::max(0.0, t_backward - t_col2im);
    std::vector<float> y(static_cast<size_t>(n_out)), xhat(y.size()), gamma(s.OC, 1.0f),
        beta(s.OC, 0.0f), mean(s.OC), invstd(s.OC), rm(s.OC, 0.0f), rv(s.OC, 1.0f), d_z(y.size()),
        d_gamma(s.OC), d_beta(s.OC);
    clock.reset();
    batchnorm_train_forward(y.data(), xhat.data(), mean.data(), invstd.data(), rm.data(), rv.data(),
                            out.data(), gamma.data(), beta.data(), s.OC, M);
    batchnorm_backward(d_z.data(), d_gamma.data(), d_beta.data(), d_out.data(), xhat.data(),
                       invstd.data(), gamma.data(), s.OC, M);
    t.batchnorm += clock.seconds();
  }
  return t;
}

// Seconds per training step (forward, backward, SGD) at batch N, the median of `steps`.
double time_training(ResNet& net, ResNetState& st, const std::vector<float>& images,
                     const std::vector<int>& labels, int64_t N, int steps) {
  const SgdConfig sgd{.lr = 0.01f, .momentum = 0.9f, .weight_decay = 1e-4f};
  resnet_train_step(net, st, images.data(), labels.data(), N, 0.01f, sgd);  // warm-up
  std::vector<double> times;
  for (int i = 0; i < steps; ++i) {
    common::Timer clock;
    resnet_train_step(net, st, images.data(), labels.data(), N, 0.01f, sgd);
    times.push_back(clock.seconds());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

double time_inference(ResNet& net, ResNetState& st, const std::vector<float>& images, int64_t N,
                      int steps) {
  resnet_forward(st, net, images.data(), nullptr, N, Mode::kEval);
  std::vector<double> times;
  for (int i = 0; i < steps; ++i) {
    common::Timer clock;
    resnet_forward(st, net, images.data(), nullptr, N, Mode::kEval);
    times.push_back(clock.seconds());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

void run_bench(uint64_t seed, bool quick, common::Json& m) {
  const int64_t N = quick ? 16 : 128;  // --quick: a smoke test of the code, not a measurement
  const int steps = quick ? 1 : 5;
  common::Rng rng(seed);
  std::vector<float> images(static_cast<size_t>(N * 784));
  for (float& p : images) p = static_cast<float>(rng.uniform());
  std::vector<int> labels(static_cast<size_t>(N));
  for (int& y : labels) y = static_cast<int>(rng.randint(0, 10));
  common::say("  batch " + std::to_string(N) + ", 28x28x1 synthetic images, " +
              std::to_string(common::num_threads()) + " thread(s); median of " +
              std::to_string(steps) + " step(s) after one warm-up\n\n");
  for (int64_t depth : {20, 56}) {
    ResNet net(ResNetConfig{.depth = depth});
    resnet_init(net, rng);
    ResNetState st(net, N);
    const double step = time_training(net, st, images, labels, N, steps);
    const Breakdown parts = time_parts(net, N, rng);
    const std::string key = "resnet" + std::to_string(depth) + "_train";
    common::Json& b = m[key];
    b["items_per_second"] = static_cast<double>(N) / step;
    b["unit"] = "images";
    b["config"] = "resnet-" + std::to_string(depth) +
                  " (shortcut A) training step (forward, backward, SGD), batch " +
                  std::to_string(N) + ", 28x28x1";
    common::Json& d = b["breakdown_seconds_per_step"];
    d["step"] = step;
    d["matrix_products"] = parts.products;
    d["im2col_col2im"] = parts.lowering;
    d["batchnorm"] = parts.batchnorm;
    d["rest"] = step - parts.products - parts.lowering - parts.batchnorm;
    common::say(
        common::fmt("  %-15s %8.0f images/s   step %.3f s: products %.3f, im2col/col2im %.3f, "
                    "BatchNorm %.3f, rest %.3f\n",
                    key.c_str(), N / step, step, parts.products, parts.lowering, parts.batchnorm,
                    step - parts.products - parts.lowering - parts.batchnorm));
    if (depth == 20) {
      const double t = time_inference(net, st, images, N, steps);
      common::Json& inf = m["resnet20_infer"];
      inf["items_per_second"] = static_cast<double>(N) / t;
      inf["unit"] = "images";
      inf["config"] = "resnet-20 (shortcut A) forward in evaluation mode, batch " +
                      std::to_string(N) + ", 28x28x1";
      common::say(common::fmt("  %-15s %8.0f images/s\n", "resnet20_infer", N / t));
    }
  }
}

}  // namespace phase5
