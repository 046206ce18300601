// phase5_resnet/resnet.cpp -- see resnet.h: the network built from its blocks, forward
// and backward, the training loop (augmentation, schedule, checkpoints).
#include "resnet.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <optional>
#include <span>

#include "checkpoint.h"
#include "error.h"
#include "files.h"
#include "progress.h"

namespace phase5 {

// ---------------------------------------------------------------------------
// Config

std::string describe(const ResNetConfig& c) {
  std::string s = (c.residual ? "resnet-" : "plain-") + std::to_string(c.depth);
  if (c.residual) s += c.shortcut == Shortcut::kA ? " (shortcut A)" : " (shortcut B)";
  if (!c.batchnorm) s += " without BatchNorm";
  if (c.zero_init_residual) s += ", zero-initialised last BN";
  return s;
}

void check_config(const ResNetConfig& c) {
  if (c.depth < 8 || (c.depth - 2) % 6 != 0)
    throw common::Error("depth " + std::to_string(c.depth) +
                        ": a ResNet of section 4.2 has 6n + 2 layers (8, 20, 32, 44, 56, 110)");
  if (c.image_size < 4) throw common::Error("the images must be at least 4x4 pixels");
  if (c.width < 1 || c.classes < 2 || c.in_channels < 1)
    throw common::Error("bad network sizes (width, classes or input channels)");
}

// ---------------------------------------------------------------------------
// The layers and where their weights live

int64_t ParamView::size() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

// Hands out consecutive ranges of the parameter and statistics buffers, with names.
struct Layout {
  std::vector<ParamView>& views;
  std::vector<ParamView>& stat_views;
  int64_t params = 0, stats = 0;
  int64_t take(const std::string& name, std::vector<int64_t> shape) {
    views.push_back({.name = name, .offset = params, .shape = std::move(shape)});
    params += views.back().size();
    return views.back().offset;
  }
  int64_t take_stat(const std::string& name, int64_t n) {
    stat_views.push_back({.name = name, .offset = stats, .shape = {n}});
    stats += n;
    return stat_views.back().offset;
  }
  ConvBn conv_bn(const std::string& name, int64_t C, int64_t H, int64_t OC, int64_t K,
                 int64_t stride, bool batchnorm) {
    ConvBn u;
    u.shape = {
        .N = 1, .H = H, .W = H, .C = C, .OC = OC, .KH = K, .KW = K, .stride = stride, .pad = K / 2};
    check_conv_shape(u.shape);
    u.w = take(name + ".w", {OC, C, K, K});
    if (batchnorm) {
      u.gamma = take(name + ".bn.gamma", {OC});
      u.beta = take(name + ".bn.beta", {OC});
      u.running_mean = take_stat(name + ".bn.running_mean", OC);
      u.running_var = take_stat(name + ".bn.running_var", OC);
    } else {
      u.bias = take(name + ".b", {OC});
    }
    return u;
  }
};

}  // namespace

ResNet::ResNet(const ResNetConfig& c) : config(c) {
  check_config(c);
  Layout layout{.views = views, .stat_views = stat_views};
  int64_t size = c.image_size, channels = c.width;
  stem = layout.conv_bn("stem", c.in_channels, size, channels, 3, 1, c.batchnorm);
  for (int stage = 0; stage < 3; ++stage) {
    for (int64_t i = 0; i < c.blocks_per_stage(); ++i) {
      const bool first = stage > 0 && i == 0;  // doubles the channels, halves the size
      const int64_t stride = first ? 2 : 1, out_channels = first ? 2 * channels : channels;
      const std::string name = "stage" + std::to_string(stage + 1) + ".block" + std::to_string(i);
      Block b;
      b.residual = c.residual;
      b.conv1 =
          layout.conv_bn(name + ".conv1", channels, size, out_channels, 3, stride, c.batchnorm);
      const int64_t out_size = b.conv1.shape.OH();
      b.conv2 =
          layout.conv_bn(name + ".conv2", out_channels, out_size, out_channels, 3, 1, c.batchnorm);
      b.shortcut = {
          .N = 1, .C_in = channels, .H = size, .W = size, .C_out = out_channels, .stride = stride};
      if (c.residual && first && c.shortcut == Shortcut::kB) {
        b.projection = layout.conv_bn(name + ".projection", channels, size, out_channels, 1, stride,
                                      c.batchnorm);
        b.projection.shape.pad = 0;
      }
      blocks.push_back(b);
      channels = out_channels;
      size = out_size;
    }
  }
  fc_w = layout.take("fc.w", {c.classes, channels});
  fc_b = layout.take("fc.b", {c.classes});
  params.assign(static_cast<size_t>(layout.params), 0.0f);
  grads = velocity = params;
  stats.assign(static_cast<size_t>(layout.stats), 0.0f);
}

int64_t ResNet::final_size() const {
  return blocks.back().conv2.shape.OH();
}

void resnet_init(ResNet& net, common::Rng& rng) {
  std::fill(net.params.begin(), net.params.end(), 0.0f);
  std::fill(net.velocity.begin(), net.velocity.end(), 0.0f);
  for (const ParamView& v : net.views) {
    float* p = net.params.data() + v.offset;
    const bool last_bn = v.name.find(".conv2.bn.gamma") != std::string::npos;
    if (v.name.ends_with(".bn.gamma")) {
      std::fill(p, p + v.size(), net.config.zero_init_residual && last_bn ? 0.0f : 1.0f);
    } else if (v.shape.size() == 4) {  // conv weights: fan_in = C * KH * KW
      init_normal(p, v.size(), he_std(v.size() / v.shape[0]), rng);
    } else if (v.name == "fc.w") {
      init_normal(p, v.size(), lecun_std(v.shape[1]), rng);
    }  // biases and beta stay 0
  }
  for (const ParamView& v : net.stat_views) {
    float* s = net.stats.data() + v.offset;
    std::fill(s, s + v.size(), v.name.ends_with("running_var") ? 1.0f : 0.0f);
  }
}

int64_t flops_per_image(const ResNet& net) {
  auto conv = [](const ConvBn& u) {
    return 2 * u.shape.OC * u.shape.patch() * u.shape.OH() * u.shape.OW();
  };
  int64_t f = conv(net.stem);
  for (const Block& b : net.blocks) {
    f += conv(b.conv1) + conv(b.conv2);
    if (b.projects()) f += conv(b.projection);
  }
  return f + 2 * net.config.classes * net.final_channels();
}

// ---------------------------------------------------------------------------
// State

namespace {
std::vector<float> buffer(int64_t n) {
  return std::vector<float>(static_cast<size_t>(n), 0.0f);
}
}  // namespace

ResNetState::ResNetState(const ResNet& net, int64_t B) : max_batch(B) {
  const ResNetConfig& c = net.config;
  const int64_t largest = c.width * c.image_size * c.image_size * B;  // stage 1 maps
  x = buffer(c.in_channels * c.image_size * c.image_size * B);
  size_conv_bn_cache(stem_bn, net.stem, B);
  stem_out = buffer(largest);
  int64_t cols = 0;
  auto need_cols = [&](const ConvBn& u) {
    Conv2dShape s = u.shape;
    s.N = B;
    cols = std::max(cols, s.patch() * s.ld());
  };
  need_cols(net.stem);
  blocks.resize(net.blocks.size());
  for (size_t i = 0; i < net.blocks.size(); ++i) {
    const Block& b = net.blocks[i];
    size_block_cache(blocks[i], b, B);
    need_cols(b.conv1);
    need_cols(b.conv2);
    if (b.projects()) need_cols(b.projection);
  }
  size_block_workspace(ws, largest, cols);
  pooled = d_pooled = buffer(B * net.final_channels());
  logits = probs = d_logits = buffer(B * c.classes);
  d_a = d_b = buffer(largest);
  block_grad_norm.assign(net.blocks.size(), 0.0);
}

// ---------------------------------------------------------------------------
// Forward and backward

namespace {
// (N, D) rows -> (D, N) batch innermost.
void to_batch_innermost(float* dst, const float* src, int64_t N, int64_t D) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t d = 0; d < D; ++d) dst[d * N + n] = src[n * D + d];
}
}  // namespace

float resnet_forward(ResNetState& st, ResNet& net, const float* images, const int* labels,
                     int64_t N, Mode mode) {
  if (N < 1 || N > st.max_batch)
    throw common::Error("resnet: batch of " + std::to_string(N) + " images, the state holds " +
                        std::to_string(st.max_batch));
  const ResNetConfig& c = net.config;
  const float* P = net.params.data();
  float* S = net.stats.data();
  const int64_t pixels = c.in_channels * c.image_size * c.image_size;
  to_batch_innermost(st.x.data(), images, N, pixels);
  // stem: relu(BN(conv3x3(x)))
  conv_bn_forward(st.stem_out.data(), st.stem_bn, st.ws.unit, st.x.data(), net.stem, P, S, N, mode);
  relu_forward(st.stem_out.data(), st.stem_out.data(),
               net.stem.shape.OC * net.stem.channel_values(N));
  // the 3n blocks, each reading the previous one's output
  const float* in = st.stem_out.data();
  for (size_t b = 0; b < net.blocks.size(); ++b) {
    block_forward(st.blocks[b], st.ws, in, net.blocks[b], P, S, N, mode);
    in = st.blocks[b].out.data();
  }
  // head: global average pooling (64, 7*7, N) -> (N, 64), then logits = pooled W^T + b
  const int64_t C = net.final_channels(), HW = net.final_size() * net.final_size();
  global_avgpool_forward(st.pooled.data(), in, N, C, HW);
  linear_forward(st.logits.data(), st.pooled.data(), P + net.fc_w, P + net.fc_b, N, C, c.classes);
  if (labels == nullptr) return 0.0f;
  return softmax_cross_entropy_forward(st.probs.data(), st.logits.data(), labels, N, c.classes);
}

void resnet_backward(ResNetState& st, ResNet& net, const int* labels, int64_t N) {
  const ResNetConfig& c = net.config;
  const float* P = net.params.data();
  float* G = net.grads.data();
  const int64_t C = net.final_channels(), HW = net.final_size() * net.final_size();
  std::fill(st.d_logits.begin(), st.d_logits.end(), 0.0f);
  std::fill(st.d_pooled.begin(), st.d_pooled.end(), 0.0f);
  softmax_cross_entropy_backward(st.d_logits.data(), st.probs.data(), labels, N, c.classes);
  // logits = pooled W^T + b
  linear_backward(st.d_pooled.data(), G + net.fc_w, G + net.fc_b, st.d_logits.data(),
                  st.pooled.data(), P + net.fc_w, N, C, c.classes);
  // pooled = GAP(out of the last block)
  float* d_out = st.d_a.data();
  float* d_in = st.d_b.data();
  std::fill(st.d_a.begin(), st.d_a.end(), 0.0f);
  global_avgpool_backward(d_out, st.d_pooled.data(), N, C, HW);
  // the blocks, last to first: d_out is dL/d(out_b), d_in becomes dL/d(out_{b-1})
  for (size_t b = net.blocks.size(); b-- > 0;) {
    const Block& blk = net.blocks[b];
    const int64_t n_out = blk.conv2.shape.OC * blk.conv2.channel_values(N);
    double sq = 0.0;
    for (int64_t i = 0; i < n_out; ++i) sq += static_cast<double>(d_out[i]) * d_out[i];
    st.block_grad_norm[b] = std::sqrt(sq);
    const float* x = b > 0 ? st.blocks[b - 1].out.data() : st.stem_out.data();
    std::fill(d_in, d_in + blk.conv1.shape.C * blk.conv1.shape.H * blk.conv1.shape.W * N, 0.0f);
    block_backward(d_in, G, st.ws, d_out, st.blocks[b], x, blk, P, N);
    std::swap(d_in, d_out);
  }
  // stem_out = relu(y);  y = BN(conv(x)): the image needs no gradient
  const int64_t n_stem = net.stem.shape.OC * net.stem.channel_values(N);
  float* d_y = st.ws.d_y1.data();
  std::fill(d_y, d_y + n_stem, 0.0f);
  relu_backward(d_y, d_out, st.stem_out.data(), n_stem);
  conv_bn_backward<float>(nullptr, G, st.ws.unit, d_y, st.stem_bn, st.x.data(), net.stem, P, N);
}

// ---------------------------------------------------------------------------
// Training

float learning_rate(const TrainConfig& train, int64_t step, int64_t total) {
  const float base = train.sgd.lr;
  if (step < train.warmup_steps)  // linear from base/10 to base
    return base * (0.1f + 0.9f * static_cast<float>(step) / static_cast<float>(train.warmup_steps));
  if (train.schedule == Schedule::kCosine)
    return cosine_lr(base, step - train.warmup_steps, total - train.warmup_steps);
  const double progress = static_cast<double>(step) / static_cast<double>(total);
  return progress < 0.5 ? base : progress < 0.75 ? base * 0.1f : base * 0.01f;
}

float resnet_train_step(ResNet& net, ResNetState& st, const float* images, const int* labels,
                        int64_t N, float lr, const SgdConfig& sgd) {
  const float loss = resnet_forward(st, net, images, labels, N, Mode::kTrain);
  std::fill(net.grads.begin(), net.grads.end(), 0.0f);
  resnet_backward(st, net, labels, N);
  sgd_momentum_step(net.params.data(), net.grads.data(), net.velocity.data(), net.parameter_count(),
                    lr, sgd);
  return loss;
}

void augment_batch(float* out, const float* in, int64_t N, int64_t H, int64_t W, int64_t pad,
                   common::Rng& rng) {
  for (int64_t n = 0; n < N; ++n) {
    // The window's top-left corner in the padded image, and the flip.
    const int64_t dy = rng.randint(0, 2 * pad + 1) - pad, dx = rng.randint(0, 2 * pad + 1) - pad;
    const bool flip = rng.uniform() < 0.5;
    const float* src = in + n * H * W;
    float* dst = out + n * H * W;
    for (int64_t i = 0; i < H; ++i)
      for (int64_t j = 0; j < W; ++j) {
        const int64_t y = i + dy, x = (flip ? W - 1 - j : j) + dx;
        dst[i * W + j] = y >= 0 && y < H && x >= 0 && x < W ? src[y * W + x] : 0.0f;
      }
  }
}

void resnet_predict(int* predicted, ResNet& net, const float* images, int64_t N) {
  const int64_t pixels = net.config.in_channels * net.config.image_size * net.config.image_size;
  ResNetState st(net, std::min<int64_t>(100, N));
  for (int64_t start = 0; start < N; start += st.max_batch) {
    const int64_t count = std::min(st.max_batch, N - start);
    resnet_forward(st, net, images + start * pixels, nullptr, count, Mode::kEval);
    argmax_rows(predicted + start, st.logits.data(), count, net.config.classes);
  }
}

double resnet_accuracy(ResNet& net, const common::Tensor& x, const std::vector<int>& y,
                       std::vector<int>* predictions) {
  const int64_t n = x.dim(0);
  std::vector<int> predicted(static_cast<size_t>(n));
  resnet_predict(predicted.data(), net, x.data(), n);
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i)
    correct += predicted[static_cast<size_t>(i)] == y[static_cast<size_t>(i)];
  if (predictions != nullptr) *predictions = std::move(predicted);
  return static_cast<double>(correct) / static_cast<double>(n);
}

// ---------------------------------------------------------------------------
// Checkpoints: the whole training state after an epoch (weights, velocity, running
// statistics, the Rng, the history), so that a resumed run is bit for bit the
// uninterrupted one.

namespace {

std::vector<int64_t> fingerprint(const ResNet& net, const TrainConfig& t) {
  const ResNetConfig& c = net.config;
  return {c.depth,
          c.residual,
          static_cast<int64_t>(c.shortcut),
          c.batchnorm,
          c.zero_init_residual,
          t.epochs,
          t.batch_size,
          static_cast<int64_t>(t.schedule),
          t.warmup_steps,
          t.augment,
          t.crop_pad,
          t.train_images,
          static_cast<int64_t>(t.seed),
          static_cast<int64_t>(std::llround(t.sgd.lr * 1e6))};
}

void save_training(const std::string& path, const ResNet& net, const TrainConfig& train,
                   const common::Rng& rng, const common::BatchIterator& batches,
                   const TrainResult& result) {
  std::vector<common::Tensor> storage;
  auto add = [&](const std::vector<float>& v) {
    storage.emplace_back(std::vector<int64_t>{static_cast<int64_t>(v.size())});
    std::copy(v.begin(), v.end(), storage.back().data());
  };
  add(net.params);
  add(net.velocity);
  add(net.stats);
  common::CheckpointMeta meta;
  meta.set_ints("resnet_run", fingerprint(net, train));
  meta.set_rng("rng", rng);
  meta.set_ints("order", batches.order());  // start_epoch() shuffles the previous order
  meta.set_int("epochs_done", static_cast<int64_t>(result.history.size()));
  std::vector<int64_t> bits;  // the history's doubles, bit for bit
  for (const EpochRecord& e : result.history)
    for (double v : {e.train_loss, e.test_accuracy, e.seconds})
      bits.push_back(std::bit_cast<int64_t>(v));
  meta.set_ints("history", bits);
  std::vector<int64_t> losses;
  for (float l : result.step_losses) losses.push_back(std::bit_cast<int32_t>(l));
  meta.set_ints("step_losses", losses);
  common::save_checkpoint(
      path, {{"params", &storage[0]}, {"velocity", &storage[1]}, {"stats", &storage[2]}}, meta);
}

void load_training(const std::string& path, ResNet& net, const TrainConfig& train, common::Rng& rng,
                   common::BatchIterator& batches, TrainResult& result) {
  common::Tensor params({net.parameter_count()}), velocity({net.parameter_count()}),
      stats({static_cast<int64_t>(net.stats.size())});
  const common::CheckpointMeta meta = common::load_checkpoint(
      path, {{"params", &params}, {"velocity", &velocity}, {"stats", &stats}});
  if (meta.get_ints("resnet_run") != fingerprint(net, train))
    throw common::Error(path +
                        ": saved by a run with other settings (network, epochs, batch, "
                        "schedule, seed or lr); delete it or give the same flags");
  std::copy(params.begin(), params.end(), net.params.begin());
  std::copy(velocity.begin(), velocity.end(), net.velocity.begin());
  std::copy(stats.begin(), stats.end(), net.stats.begin());
  meta.get_rng("rng", rng);
  batches.restore(meta.get_ints("order"), batches.size());
  for (int64_t l : meta.get_ints("step_losses"))
    result.step_losses.push_back(std::bit_cast<float>(static_cast<int32_t>(l)));
  const std::vector<int64_t>& bits = meta.get_ints("history");
  for (size_t i = 0; i + 2 < bits.size(); i += 3)
    result.history.push_back({.epoch = static_cast<int>(i / 3 + 1),
                              .train_loss = std::bit_cast<double>(bits[i]),
                              .test_accuracy = std::bit_cast<double>(bits[i + 1]),
                              .seconds = std::bit_cast<double>(bits[i + 2])});
}

}  // namespace

TrainResult train_resnet(ResNet& net, const common::ImageDataset& data, const TrainConfig& train) {
  const ResNetConfig& c = net.config;
  if (data.rows != c.image_size || data.cols != c.image_size)
    throw common::Error("the network expects " + std::to_string(c.image_size) + "x" +
                        std::to_string(c.image_size) + " images, the dataset has " +
                        std::to_string(data.rows) + "x" + std::to_string(data.cols));
  const int64_t n_train = train.train_images > 0
                              ? std::min<int64_t>(train.train_images, data.train_x.dim(0))
                              : data.train_x.dim(0);
  const int64_t B = std::min<int64_t>(train.batch_size, n_train), pixels = data.rows * data.cols;
  common::Rng rng(train.seed);
  resnet_init(net, rng);
  // drop_last: every step sees a full batch (BatchNorm's statistics of a tiny last batch
  // would be noisy).
  common::BatchIterator batches(n_train, B, &rng, true);
  TrainResult result;
  if (train.resume) {
    if (train.checkpoint.empty() || !common::file_exists(train.checkpoint))
      throw common::Error("--resume: no checkpoint at '" + train.checkpoint + "'");
    load_training(train.checkpoint, net, train, rng, batches, result);
    if (train.verbose)
      std::printf("  resuming from %s after epoch %zu\n", train.checkpoint.c_str(),
                  result.history.size());
  }
  ResNetState st(net, B);
  const int64_t per_epoch = batches.batches_per_epoch(), total = per_epoch * train.epochs;
  common::Tensor batch_x({B, pixels}), augmented({B, pixels});
  std::vector<int> batch_y(static_cast<size_t>(B));

  const int first_epoch = static_cast<int>(result.history.size()) + 1;
  std::optional<common::ProgressBar> bar;
  if (train.verbose) bar.emplace(train.label, total, "step");
  double train_seconds = result.history.empty() ? 0.0 : result.history.back().seconds;
  int64_t images_seen = 0;
  double seconds_this_run = 0.0;
  for (int epoch = first_epoch; epoch <= train.epochs; ++epoch) {
    if (train.stop_after > 0 && epoch > train.stop_after) {
      result.stopped = true;
      break;
    }
    batches.start_epoch();
    std::span<const int64_t> idx;
    double loss_sum = 0.0;
    int64_t step = (epoch - 1) * per_epoch, count = 0;
    common::Timer clock;
    while (batches.next(idx)) {
      const int64_t N = static_cast<int64_t>(idx.size());
      common::gather_rows(data.train_x, idx, batch_x);
      for (size_t i = 0; i < idx.size(); ++i)
        batch_y[i] = data.train_y[static_cast<size_t>(idx[i])];
      const float* images = batch_x.data();
      if (train.augment) {
        augment_batch(augmented.data(), batch_x.data(), N, data.rows, data.cols, train.crop_pad,
                      rng);
        images = augmented.data();
      }
      const float loss = resnet_train_step(net, st, images, batch_y.data(), N,
                                           learning_rate(train, step, total), train.sgd);
      check_finite_loss(loss, step, train.label.c_str());
      result.step_losses.push_back(loss);
      loss_sum += loss;
      ++count;
      ++step;
      images_seen += N;
      if (bar) {
        char metric[64];
        std::snprintf(metric, sizeof metric, "epoch %d loss %.4f", epoch, loss_sum / count);
        bar->update(step, metric);
      }
    }
    const double seconds = clock.seconds();
    seconds_this_run += seconds;
    train_seconds += seconds;
    EpochRecord record{.epoch = epoch,
                       .train_loss = loss_sum / static_cast<double>(count),
                       .test_accuracy = resnet_accuracy(net, data.test_x, data.test_y),
                       .seconds = train_seconds};
    result.history.push_back(record);
    if (train.verbose) {
      std::printf("  epoch %2d  train loss %.4f  test accuracy %.4f  (%.1f s)\n", epoch,
                  record.train_loss, record.test_accuracy, record.seconds);
      std::fflush(stdout);
    }
    if (!train.checkpoint.empty())
      save_training(train.checkpoint, net, train, rng, batches, result);
  }
  if (bar) bar->finish();
  if (!result.history.empty()) {
    result.train_loss = result.history.back().train_loss;
    result.test_accuracy = result.history.back().test_accuracy;
    result.train_seconds = result.history.back().seconds;
  }
  result.images_per_second = seconds_this_run > 0 ? images_seen / seconds_this_run : 0.0;
  return result;
}

}  // namespace phase5
