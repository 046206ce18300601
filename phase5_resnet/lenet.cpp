// phase5_resnet/lenet.cpp -- see lenet.h (copied forward from phase3_cnn_rnn/lenet.cpp).
#include "lenet.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "error.h"
#include "progress.h"

namespace phase5 {

namespace {
constexpr int64_t C1 = LeNetConfig::kC1, C3 = LeNetConfig::kC3, C5 = LeNetConfig::kC5,
                  F6 = LeNetConfig::kF6, K = LeNetConfig::kKernel;

// Sizes derived from the input: 28 -> C1 28 (padding 2) -> S2 14 -> C3 10 -> S4 5.
struct Sizes {
  int64_t in, c1, s2, c3, s4, flat;
  explicit Sizes(const LeNetConfig& c)
      : in(c.image_size),
        c1(c.image_size + 2 * LeNetConfig::kPad - K + 1),
        s2(c1 / 2),
        c3(s2 - K + 1),
        s4(c3 / 2),
        flat(s4 * s4 * C3) {}
};
}  // namespace

std::string describe(const LeNetConfig& /*config*/) {
  return "ReLU + max-pooling";
}

// ---------------------------------------------------------------------------
// Parameters

LeNetParams::LeNetParams(const LeNetConfig& config) : config_(config) {
  const Sizes s(config);
  if (s.s4 < 1) throw common::Error("LeNet-5 needs images of at least 16x16 pixels");
  data.assign(static_cast<size_t>(C1 * K * K + C1 + C3 * K * K * C1 + C3 + C5 * s.flat + C5 +
                                  F6 * C5 + F6 + config.classes * F6 + config.classes),
              0.0f);
  point(config);
}

LeNetParams::LeNetParams(const LeNetParams& other) : data(other.data), config_(other.config_) {
  point(config_);
}

LeNetParams& LeNetParams::operator=(const LeNetParams& other) {
  data = other.data;
  config_ = other.config_;
  point(config_);
  return *this;
}

void LeNetParams::point(const LeNetConfig& config) {
  const Sizes s(config);
  float* p = data.data();
  auto take = [&p](int64_t n) {
    float* view = p;
    p += n;
    return view;
  };
  c1_w = take(C1 * K * K);
  c1_b = take(C1);
  c3_w = take(C3 * K * K * C1);
  c3_b = take(C3);
  c5_w = take(C5 * s.flat);
  c5_b = take(C5);
  f6_w = take(F6 * C5);
  f6_b = take(F6);
  out_w = take(config.classes * F6);
  out_b = take(config.classes);
}

void LeNetParams::zero() {
  std::fill(data.begin(), data.end(), 0.0f);
}

int64_t LeNetParams::View::size() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<LeNetParams::View> LeNetParams::views() {
  const Sizes s(config_);
  const int64_t V = config_.classes;
  return {{"c1_w", c1_w, {C1, 1, K, K}},
          {"c1_b", c1_b, {C1}},
          {"c3_w", c3_w, {C3, C1, K, K}},
          {"c3_b", c3_b, {C3}},
          {"c5_w", c5_w, {C5, C3, s.s4, s.s4}},
          {"c5_b", c5_b, {C5}},
          {"f6_w", f6_w, {F6, C5}},
          {"f6_b", f6_b, {F6}},
          {"out_w", out_w, {V, F6}},
          {"out_b", out_b, {V}}};
}

void lenet_init(LeNetParams& params, const LeNetConfig& /*config*/, common::Rng& rng) {
  // fan_in = the number of inputs one unit sums: KH*KW*C for a convolution.
  // He for ReLU units (phase 3 also has the tanh version, which takes lecun_std).
  auto std_for = [](int64_t fan_in) { return he_std(fan_in); };
  params.zero();
  for (auto& v : params.views()) {
    if (v.shape.size() < 2) continue;  // biases stay 0
    const int64_t fan_in = v.size() / v.shape[0];
    // The output layer feeds the softmax, not an activation: LeCun's gain 1 in both cases.
    const float stddev = v.name == "out_w" ? lecun_std(fan_in) : std_for(fan_in);
    init_normal(v.data, v.size(), stddev, rng);
  }
}

// ---------------------------------------------------------------------------
// State

LeNetState::LeNetState(const LeNetConfig& config, int64_t max_batch_) : max_batch(max_batch_) {
  const Sizes s(config);
  const int64_t B = max_batch;
  c1_shape = {.N = B,
              .H = s.in,
              .W = s.in,
              .C = 1,
              .OC = C1,
              .KH = K,
              .KW = K,
              .stride = 1,
              .pad = LeNetConfig::kPad};
  c3_shape = {
      .N = B, .H = s.s2, .W = s.s2, .C = C1, .OC = C3, .KH = K, .KW = K, .stride = 1, .pad = 0};
  s2_shape = {.N = B, .H = s.c1, .W = s.c1, .C = C1, .K = 2};
  s4_shape = {.N = B, .H = s.c3, .W = s.c3, .C = C3, .K = 2};
  check_conv_shape(c1_shape);
  check_conv_shape(c3_shape);
  auto buffer = [](int64_t n) { return std::vector<float>(static_cast<size_t>(n)); };
  const int64_t n_c1 = B * s.c1 * s.c1 * C1, n_s2 = B * s.s2 * s.s2 * C1;
  const int64_t n_c3 = B * s.c3 * s.c3 * C3, n_s4 = B * s.flat;
  x = buffer(B * s.in * s.in);
  c1 = a1 = d_a1 = d_c1 = buffer(n_c1);
  s2 = d_s2 = buffer(n_s2);
  c3 = a3 = d_a3 = d_c3 = buffer(n_c3);
  s4 = d_s4 = flat = d_flat = buffer(n_s4);
  c5 = a5 = d_a5 = d_c5 = buffer(B * C5);
  f6 = a6 = d_a6 = d_f6 = buffer(B * F6);
  logits = probs = d_logits = buffer(B * config.classes);
  s2_argmax.assign(static_cast<size_t>(n_s2), 0);
  s4_argmax.assign(static_cast<size_t>(n_s4), 0);
  cols1 = buffer(c1_shape.patch() * c1_shape.ld());
  cols3 = d_cols3 = buffer(c3_shape.patch() * c3_shape.ld());
}

// ---------------------------------------------------------------------------
// Forward and backward

namespace {

void activation_forward(const LeNetConfig& /*config*/, float* out, const float* in, int64_t n) {
  relu_forward(out, in, n);
}
void activation_backward(const LeNetConfig& /*config*/, float* d_in, const float* d_out,
                         const float* out, int64_t n) {
  relu_backward(d_in, d_out, out, n);
}

void pool_forward(const LeNetConfig& /*config*/, float* out, int32_t* argmax, const float* in,
                  const Pool2dShape& s) {
  maxpool2d_forward(out, argmax, in, s);
}
void pool_backward(const LeNetConfig& /*config*/, float* d_in, const float* d_out,
                   const int32_t* argmax, const Pool2dShape& s) {
  maxpool2d_backward(d_in, d_out, argmax, s);
}

// dst (cols, rows) = src (rows, cols)^T: between rows of images (N, D) and the
// batch-innermost maps (D, N) = (C, H, W, N). Backward: d_src += d_dst^T.
void transpose(float* dst, const float* src, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
}
void transpose_backward(float* d_src, const float* d_dst, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) d_src[r * cols + c] += d_dst[c * rows + r];
}

void check_batch(const LeNetState& state, int64_t N) {
  if (N < 1 || N > state.max_batch)
    throw common::Error("LeNet-5: batch of " + std::to_string(N) + " images, but the state holds " +
                        std::to_string(state.max_batch));
}

}  // namespace

float lenet_forward(LeNetState& st, const LeNetParams& w, const LeNetConfig& config,
                    const float* images, const int* labels, int64_t N) {
  check_batch(st, N);
  const Sizes s(config);
  Conv2dShape c1 = st.c1_shape, c3 = st.c3_shape;
  Pool2dShape s2 = st.s2_shape, s4 = st.s4_shape;
  c1.N = c3.N = s2.N = s4.N = N;
  const int64_t n_c1 = N * s.c1 * s.c1 * C1, n_c3 = N * s.c3 * s.c3 * C3;

  // The batch of images (N, 784) becomes (1, 28, 28, N): batch innermost.
  transpose(st.x.data(), images, N, s.in * s.in);
  // C1: 6 maps of 28x28 from the padded 32x32 image, then the activation.
  conv2d_forward(st.c1.data(), st.cols1.data(), st.x.data(), w.c1_w, w.c1_b, c1);
  activation_forward(config, st.a1.data(), st.c1.data(), n_c1);
  // S2: 2x2 subsampling -> 14x14x6.
  pool_forward(config, st.s2.data(), st.s2_argmax.data(), st.a1.data(), s2);
  // C3: 16 maps of 10x10, each looking at all 6 maps of S2.
  conv2d_forward(st.c3.data(), st.cols3.data(), st.s2.data(), w.c3_w, w.c3_b, c3);
  activation_forward(config, st.a3.data(), st.c3.data(), n_c3);
  // S4: -> 5x5x16 = 400 values per image.
  pool_forward(config, st.s4.data(), st.s4_argmax.data(), st.a3.data(), s4);
  // C5: 120 units over all 400 values of an image (a 5x5 convolution on a 5x5 input).
  // S4 (16, 5, 5, N) = (400, N) becomes one row of 400 values per image, (N, 400).
  transpose(st.flat.data(), st.s4.data(), s.flat, N);
  linear_forward(st.c5.data(), st.flat.data(), w.c5_w, w.c5_b, N, s.flat, C5);
  activation_forward(config, st.a5.data(), st.c5.data(), N * C5);
  // F6: 84 units.
  linear_forward(st.f6.data(), st.a5.data(), w.f6_w, w.f6_b, N, C5, F6);
  activation_forward(config, st.a6.data(), st.f6.data(), N * F6);
  // Output: one score per class.
  linear_forward(st.logits.data(), st.a6.data(), w.out_w, w.out_b, N, F6, config.classes);
  if (labels == nullptr) return 0.0f;
  return softmax_cross_entropy_forward(st.probs.data(), st.logits.data(), labels, N,
                                       config.classes);
}

void lenet_backward(LeNetParams& g, LeNetState& st, const LeNetParams& w, const LeNetConfig& config,
                    const int* labels, int64_t N) {
  check_batch(st, N);
  const Sizes s(config);
  Conv2dShape c1 = st.c1_shape, c3 = st.c3_shape;
  Pool2dShape s2 = st.s2_shape, s4 = st.s4_shape;
  c1.N = c3.N = s2.N = s4.N = N;
  const int64_t n_c1 = N * s.c1 * s.c1 * C1, n_c3 = N * s.c3 * s.c3 * C3;
  // Backward functions accumulate: start every activation gradient at zero.
  for (auto* d : {&st.d_a1, &st.d_c1, &st.d_s2, &st.d_a3, &st.d_c3, &st.d_s4, &st.d_flat, &st.d_a5,
                  &st.d_c5, &st.d_a6, &st.d_f6, &st.d_logits})
    std::fill(d->begin(), d->end(), 0.0f);

  // Walk the forward pass backwards, each call the mirror of its forward line.
  softmax_cross_entropy_backward(st.d_logits.data(), st.probs.data(), labels, N, config.classes);
  // logits = a6 out_w^T + out_b
  linear_backward(st.d_a6.data(), g.out_w, g.out_b, st.d_logits.data(), st.a6.data(), w.out_w, N,
                  F6, config.classes);
  // a6 = act(f6);  f6 = a5 f6_w^T + f6_b
  activation_backward(config, st.d_f6.data(), st.d_a6.data(), st.a6.data(), N * F6);
  linear_backward(st.d_a5.data(), g.f6_w, g.f6_b, st.d_f6.data(), st.a5.data(), w.f6_w, N, C5, F6);
  // a5 = act(c5);  c5 = flat c5_w^T + c5_b;  flat = the rows of s4
  activation_backward(config, st.d_c5.data(), st.d_a5.data(), st.a5.data(), N * C5);
  linear_backward(st.d_flat.data(), g.c5_w, g.c5_b, st.d_c5.data(), st.flat.data(), w.c5_w, N,
                  s.flat, C5);
  transpose_backward(st.d_s4.data(), st.d_flat.data(), s.flat, N);
  // s4 = pool(a3)
  pool_backward(config, st.d_a3.data(), st.d_s4.data(), st.s4_argmax.data(), s4);
  // a3 = act(c3);  c3 = conv(s2)
  activation_backward(config, st.d_c3.data(), st.d_a3.data(), st.a3.data(), n_c3);
  conv2d_backward(st.d_s2.data(), g.c3_w, g.c3_b, st.d_cols3.data(), st.d_c3.data(),
                  st.cols3.data(), w.c3_w, c3);
  // s2 = pool(a1)
  pool_backward(config, st.d_a1.data(), st.d_s2.data(), st.s2_argmax.data(), s2);
  // a1 = act(c1);  c1 = conv(image): the image needs no gradient (d_in = nullptr).
  activation_backward(config, st.d_c1.data(), st.d_a1.data(), st.a1.data(), n_c1);
  conv2d_backward<float>(nullptr, g.c1_w, g.c1_b, nullptr, st.d_c1.data(), st.cols1.data(), w.c1_w,
                         c1);
}

// ---------------------------------------------------------------------------
// Training and evaluation

float lenet_train_step(LeNet& model, LeNetState& state, const float* images, const int* labels,
                       int64_t N, float lr, const SgdConfig& sgd) {
  const float loss = lenet_forward(state, model.params, model.config, images, labels, N);
  model.grads.zero();
  lenet_backward(model.grads, state, model.params, model.config, labels, N);
  sgd_momentum_step(model.params.data.data(), model.grads.data.data(), model.velocity.data.data(),
                    model.params.size(), lr, sgd);
  return loss;
}

void lenet_predict(int* predicted, const LeNetParams& params, const LeNetConfig& config,
                   const float* images, int64_t N) {
  const int64_t row = config.image_size * config.image_size;
  LeNetState state(config, std::min(kInferenceBlock, N));
  for (int64_t start = 0; start < N; start += state.max_batch) {
    const int64_t count = std::min(state.max_batch, N - start);
    lenet_forward(state, params, config, images + start * row, nullptr, count);
    argmax_rows(predicted + start, state.logits.data(), count, config.classes);
  }
}

double lenet_accuracy(const LeNetParams& params, const LeNetConfig& config, const common::Tensor& x,
                      const std::vector<int>& y, std::vector<int>* predictions) {
  const int64_t n = x.dim(0);
  std::vector<int> predicted(static_cast<size_t>(n));
  lenet_predict(predicted.data(), params, config, x.data(), n);
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i)
    correct += predicted[static_cast<size_t>(i)] == y[static_cast<size_t>(i)];
  if (predictions != nullptr) *predictions = std::move(predicted);
  return static_cast<double>(correct) / static_cast<double>(n);
}

LeNetTrainResult train_lenet(LeNet& model, const common::ImageDataset& data,
                             const LeNetTrainConfig& train) {
  if (data.rows != model.config.image_size || data.cols != model.config.image_size)
    throw common::Error("LeNet-5 is configured for " + std::to_string(model.config.image_size) +
                        "x" + std::to_string(model.config.image_size) +
                        " images, the dataset has " + std::to_string(data.rows) + "x" +
                        std::to_string(data.cols));
  common::Rng rng(train.seed);
  lenet_init(model.params, model.config, rng);
  model.velocity.zero();

  const int64_t n_train = data.train_x.dim(0);
  const int64_t B = std::min<int64_t>(train.batch_size, n_train);
  LeNetState state(model.config, B);
  common::BatchIterator batches(n_train, B, &rng);
  const int64_t total_steps = batches.batches_per_epoch() * train.epochs;
  common::Tensor batch_x({B, data.train_x.size() / n_train});  // (B, 784)
  std::vector<int> batch_y(static_cast<size_t>(B));            // (B)

  LeNetTrainResult result;
  std::optional<common::ProgressBar> bar;
  if (train.verbose) bar.emplace("lenet", total_steps, "step");
  common::Timer clock;
  double train_seconds = 0.0;
  int64_t step = 0, images_seen = 0;
  for (int epoch = 1; epoch <= train.epochs; ++epoch) {
    batches.start_epoch();
    std::span<const int64_t> idx;
    double loss_sum = 0.0;
    int64_t loss_count = 0;
    common::Timer epoch_clock;
    while (batches.next(idx)) {
      const int64_t N = static_cast<int64_t>(idx.size());
      common::gather_rows(data.train_x, idx, batch_x);
      for (size_t i = 0; i < idx.size(); ++i)
        batch_y[i] = data.train_y[static_cast<size_t>(idx[i])];
      const float lr = cosine_lr(train.sgd.lr, step, total_steps);  // cosine decay to 0
      const float loss =
          lenet_train_step(model, state, batch_x.data(), batch_y.data(), N, lr, train.sgd);
      check_finite_loss(loss, step, "lenet");
      loss_sum += loss;
      ++loss_count;
      ++step;
      images_seen += N;
      if (bar) {
        char metric[64];
        std::snprintf(metric, sizeof metric, "epoch %d loss %.4f", epoch, loss_sum / loss_count);
        bar->update(step, metric);
      }
    }
    train_seconds += epoch_clock.seconds();
    LeNetEpochRecord record;
    record.epoch = epoch;
    record.train_loss = loss_sum / static_cast<double>(loss_count);
    record.test_accuracy = lenet_accuracy(model.params, model.config, data.test_x, data.test_y);
    record.seconds = clock.seconds();
    result.history.push_back(record);
    if (train.verbose) {
      std::printf("  epoch %2d  train loss %.4f  test accuracy %.4f  (%.1f s)\n", epoch,
                  record.train_loss, record.test_accuracy, record.seconds);
      std::fflush(stdout);
    }
  }
  if (bar) bar->finish();
  result.test_accuracy = result.history.empty() ? 0.0 : result.history.back().test_accuracy;
  result.final_train_loss = result.history.empty() ? 0.0 : result.history.back().train_loss;
  result.train_seconds = train_seconds;
  result.images_per_second =
      train_seconds > 0 ? static_cast<double>(images_seen) / train_seconds : 0.0;
  return result;
}

}  // namespace phase5
