// phase5_resnet/vgg.cpp -- see vgg.h.
#include "vgg.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <span>

#include "error.h"
#include "progress.h"

namespace phase5 {

// ---------------------------------------------------------------------------
// Layers and parameters

Vgg::Vgg() {
  int64_t p = 0, s = 0, channels = 1, size = 28;
  auto take = [&](const std::string& name, std::vector<int64_t> shape) {
    views.push_back({.name = name, .offset = p, .shape = std::move(shape)});
    p += views.back().size();
    return views.back().offset;
  };
  auto take_stat = [&](const std::string& name, int64_t n) {
    stat_views.push_back({.name = name, .offset = s, .shape = {n}});
    s += n;
    return stat_views.back().offset;
  };
  for (int stack = 0; stack < 3; ++stack) {
    for (int i = 0; i < 2; ++i) {
      const std::string name =
          "stack" + std::to_string(stack + 1) + ".conv" + std::to_string(i + 1);
      const int64_t oc = kWidths[stack];
      ConvBn u;
      u.shape = {.N = 1,
                 .H = size,
                 .W = size,
                 .C = channels,
                 .OC = oc,
                 .KH = 3,
                 .KW = 3,
                 .stride = 1,
                 .pad = 1};
      u.w = take(name + ".w", {oc, channels, 3, 3});
      u.gamma = take(name + ".bn.gamma", {oc});
      u.beta = take(name + ".bn.beta", {oc});
      u.running_mean = take_stat(name + ".bn.running_mean", oc);
      u.running_var = take_stat(name + ".bn.running_var", oc);
      units.push_back(u);
      channels = oc;
    }
    if (stack < 2) {
      pools.push_back({.N = 1, .H = size, .W = size, .C = channels, .K = 2});
      size /= 2;
    }
  }
  fc_w = take("fc.w", {10, channels});
  fc_b = take("fc.b", {10});
  params.assign(static_cast<size_t>(p), 0.0f);
  grads = velocity = params;
  stats.assign(static_cast<size_t>(s), 0.0f);
}

void vgg_init(Vgg& net, common::Rng& rng) {
  std::fill(net.params.begin(), net.params.end(), 0.0f);
  std::fill(net.velocity.begin(), net.velocity.end(), 0.0f);
  for (const ParamView& v : net.views) {
    float* p = net.params.data() + v.offset;
    if (v.name.ends_with(".bn.gamma"))
      std::fill(p, p + v.size(), 1.0f);
    else if (v.shape.size() == 4)
      init_normal(p, v.size(), he_std(v.size() / v.shape[0]), rng);
    else if (v.name == "fc.w")
      init_normal(p, v.size(), lecun_std(v.shape[1]), rng);
  }
  for (const ParamView& v : net.stat_views)
    std::fill(net.stats.begin() + v.offset, net.stats.begin() + v.offset + v.size(),
              v.name.ends_with("running_var") ? 1.0f : 0.0f);
}

int64_t flops_per_image(const Vgg& net) {
  int64_t f = 0;
  for (const ConvBn& u : net.units)
    f += 2 * u.shape.OC * u.shape.patch() * u.shape.OH() * u.shape.OW();
  return f + 2 * 10 * Vgg::kWidths[2];
}

VggState::VggState(const Vgg& net, int64_t B) : max_batch(B) {
  auto buffer = [](int64_t n) { return std::vector<float>(static_cast<size_t>(n), 0.0f); };
  x = buffer(784 * B);
  int64_t largest = 0, cols = 0;
  for (const ConvBn& u : net.units) {
    ConvBnCache<float> c;
    size_conv_bn_cache(c, u, B);
    caches.push_back(std::move(c));
    a.push_back(buffer(u.shape.OC * u.channel_values(B)));
    largest = std::max(largest, u.shape.OC * u.channel_values(B));
    Conv2dShape s = u.shape;
    s.N = B;
    cols = std::max(cols, s.patch() * s.ld());
  }
  for (const Pool2dShape& p : net.pools) {
    pooled.push_back(buffer(p.C * p.OH() * p.OW() * B));
    argmax.emplace_back(static_cast<size_t>(p.C * p.OH() * p.OW() * B), 0);
  }
  ws.z = ws.d_z = d_a = d_b = d_y = buffer(largest);
  ws.cols = ws.d_cols = buffer(cols);
  gap = d_gap = buffer(B * Vgg::kWidths[2]);
  logits = probs = d_logits = buffer(B * 10);
}

// ---------------------------------------------------------------------------
// Forward and backward

namespace {
// The input of unit i: the image, the previous unit's output or, after a stack, its pooled
// output (units 2 and 4 start stacks 2 and 3).
const float* unit_input(const VggState& st, size_t i) {
  if (i == 0) return st.x.data();
  if (i == 2) return st.pooled[0].data();
  if (i == 4) return st.pooled[1].data();
  return st.a[i - 1].data();
}
}  // namespace

float vgg_forward(VggState& st, Vgg& net, const float* images, const int* labels, int64_t N,
                  Mode mode) {
  if (N < 1 || N > st.max_batch) throw common::Error("vgg: batch larger than the state");
  for (int64_t n = 0; n < N; ++n)  // (N, 784) -> (1, 28, 28, N)
    for (int64_t p = 0; p < 784; ++p) st.x[static_cast<size_t>(p * N + n)] = images[n * 784 + p];
  const float* P = net.params.data();
  for (size_t i = 0; i < net.units.size(); ++i) {
    const ConvBn& u = net.units[i];
    // a_i = relu(BN(conv(input)))
    conv_bn_forward(st.a[i].data(), st.caches[i], st.ws, unit_input(st, i), u, P, net.stats.data(),
                    N, mode);
    relu_forward(st.a[i].data(), st.a[i].data(), u.shape.OC * u.channel_values(N));
    if (i == 1 || i == 3) {  // the end of stacks 1 and 2: 2x2 max pooling
      Pool2dShape s = net.pools[i / 2];
      s.N = N;
      maxpool2d_forward(st.pooled[i / 2].data(), st.argmax[i / 2].data(), st.a[i].data(), s);
    }
  }
  const int64_t C = Vgg::kWidths[2];
  global_avgpool_forward(st.gap.data(), st.a.back().data(), N, C, 49);
  linear_forward(st.logits.data(), st.gap.data(), P + net.fc_w, P + net.fc_b, N, C, int64_t{10});
  if (labels == nullptr) return 0.0f;
  return softmax_cross_entropy_forward(st.probs.data(), st.logits.data(), labels, N, int64_t{10});
}

void vgg_backward(VggState& st, Vgg& net, const int* labels, int64_t N) {
  const float* P = net.params.data();
  float* G = net.grads.data();
  const int64_t C = Vgg::kWidths[2];
  std::fill(st.d_logits.begin(), st.d_logits.end(), 0.0f);
  std::fill(st.d_gap.begin(), st.d_gap.end(), 0.0f);
  softmax_cross_entropy_backward(st.d_logits.data(), st.probs.data(), labels, N, int64_t{10});
  linear_backward(st.d_gap.data(), G + net.fc_w, G + net.fc_b, st.d_logits.data(), st.gap.data(),
                  P + net.fc_w, N, C, int64_t{10});
  float* d_out = st.d_a.data();  // dL/d a_i
  float* d_in = st.d_b.data();   // dL/d (unit i's input)
  std::fill(st.d_a.begin(), st.d_a.end(), 0.0f);
  global_avgpool_backward(d_out, st.d_gap.data(), N, C, 49);
  for (size_t i = net.units.size(); i-- > 0;) {
    const ConvBn& u = net.units[i];
    const int64_t n_out = u.shape.OC * u.channel_values(N);
    // a_i = relu(y_i)  =>  d_y
    std::fill(st.d_y.begin(), st.d_y.begin() + n_out, 0.0f);
    relu_backward(st.d_y.data(), d_out, st.a[i].data(), n_out);
    // y_i = BN(conv(input))  =>  d_input (the image needs none)
    const int64_t n_in = u.shape.C * u.shape.H * u.shape.W * N;
    std::fill(d_in, d_in + n_in, 0.0f);
    conv_bn_backward(i == 0 ? nullptr : d_in, G, st.ws, st.d_y.data(), st.caches[i],
                     unit_input(st, i), u, P, N);
    if (i == 2 || i == 4) {  // the input was the pooled a_{i-1}: route the gradient back
      Pool2dShape s = net.pools[i / 2 - 1];
      s.N = N;
      std::fill(d_out, d_out + s.C * s.H * s.W * N, 0.0f);
      maxpool2d_backward(d_out, d_in, st.argmax[i / 2 - 1].data(), s);
    } else {
      std::swap(d_in, d_out);
    }
  }
}

// ---------------------------------------------------------------------------
// Training

double vgg_accuracy(Vgg& net, const common::Tensor& x, const std::vector<int>& y) {
  const int64_t n = x.dim(0), block = std::min<int64_t>(100, n);
  VggState st(net, block);
  std::vector<int> predicted(static_cast<size_t>(block));
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += block) {
    const int64_t count = std::min(block, n - start);
    vgg_forward(st, net, x.row(start), nullptr, count, Mode::kEval);
    argmax_rows(predicted.data(), st.logits.data(), count, 10);
    for (int64_t i = 0; i < count; ++i)
      correct += predicted[static_cast<size_t>(i)] == y[static_cast<size_t>(start + i)];
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

TrainResult train_vgg(Vgg& net, const common::ImageDataset& data, const TrainConfig& train) {
  if (data.rows != 28 || data.cols != 28) throw common::Error("the VGG expects 28x28 images");
  const int64_t n_train = train.train_images > 0
                              ? std::min<int64_t>(train.train_images, data.train_x.dim(0))
                              : data.train_x.dim(0);
  const int64_t B = std::min<int64_t>(train.batch_size, n_train);
  common::Rng rng(train.seed);
  vgg_init(net, rng);
  common::BatchIterator batches(n_train, B, &rng, true);
  VggState st(net, B);
  const int64_t per_epoch = batches.batches_per_epoch(), total = per_epoch * train.epochs;
  common::Tensor batch_x({B, 784}), augmented({B, 784});
  std::vector<int> batch_y(static_cast<size_t>(B));
  TrainResult result;
  std::optional<common::ProgressBar> bar;
  if (train.verbose) bar.emplace(train.label, total, "step");
  int64_t step = 0, images_seen = 0;
  double seconds = 0.0;
  for (int epoch = 1; epoch <= train.epochs; ++epoch) {
    batches.start_epoch();
    std::span<const int64_t> idx;
    double loss_sum = 0.0;
    int64_t count = 0;
    common::Timer clock;
    while (batches.next(idx)) {
      const int64_t N = static_cast<int64_t>(idx.size());
      common::gather_rows(data.train_x, idx, batch_x);
      for (size_t i = 0; i < idx.size(); ++i)
        batch_y[i] = data.train_y[static_cast<size_t>(idx[i])];
      augment_batch(augmented.data(), batch_x.data(), N, 28, 28, train.crop_pad, rng);
      const float loss = vgg_forward(st, net, augmented.data(), batch_y.data(), N, Mode::kTrain);
      check_finite_loss(loss, step, "vgg");
      std::fill(net.grads.begin(), net.grads.end(), 0.0f);
      vgg_backward(st, net, batch_y.data(), N);
      sgd_momentum_step(net.params.data(), net.grads.data(), net.velocity.data(),
                        net.parameter_count(), learning_rate(train, step, total), train.sgd);
      result.step_losses.push_back(loss);
      loss_sum += loss;
      ++count;
      ++step;
      images_seen += N;
      if (bar) bar->update(step, "epoch " + std::to_string(epoch));
    }
    seconds += clock.seconds();
    result.history.push_back({.epoch = epoch,
                              .train_loss = loss_sum / static_cast<double>(count),
                              .test_accuracy = vgg_accuracy(net, data.test_x, data.test_y),
                              .seconds = seconds});
    if (train.verbose) {
      std::printf("  epoch %2d  train loss %.4f  test accuracy %.4f  (%.1f s)\n", epoch,
                  result.history.back().train_loss, result.history.back().test_accuracy, seconds);
      std::fflush(stdout);
    }
  }
  if (bar) bar->finish();
  result.train_loss = result.history.back().train_loss;
  result.test_accuracy = result.history.back().test_accuracy;
  result.train_seconds = seconds;
  result.images_per_second = seconds > 0 ? static_cast<double>(images_seen) / seconds : 0.0;
  return result;
}

}  // namespace phase5
