// phase4_lstm_gan/evaluator.cpp -- see evaluator.h. The network's forward and backward are
// copied from phase3_cnn_rnn/lenet.cpp (ReLU + max-pooling), its max-pooling from
// phase3_cnn_rnn/pool.h.
#include "evaluator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "progress.h"

namespace phase4::gan {

namespace {
constexpr int64_t C1 = Evaluator::kC1, C3 = Evaluator::kC3, C5 = Evaluator::kC5,
                  F6 = Evaluator::kF6, K = Evaluator::kK;
constexpr int64_t kS1 = 28, kS2 = 14, kC3Side = 10, kS4 = 5, kFlat = kS4 * kS4 * C3;  // 400

// ---------------------------------------------------------------------------
// Max pooling, 2x2 stride 2, batch innermost. Copied from phase3_cnn_rnn/pool.h (plain
// loops): out = max of the window; argmax (C, OH, OW, N) records the winner's index into
// `in`, and the gradient flows only to it.
void maxpool2_forward(float* out, int32_t* argmax, const float* in, int64_t C, int64_t H,
                      int64_t N) {
  const int64_t OH = H / 2;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < OH; ++i)
      for (int64_t j = 0; j < OH; ++j)
        for (int64_t n = 0; n < N; ++n) {
          const int64_t at = ((c * OH + i) * OH + j) * N + n;
          int64_t best = ((c * H + 2 * i) * H + 2 * j) * N + n;
          for (int64_t p = 0; p < 2; ++p)
            for (int64_t q = 0; q < 2; ++q) {
              const int64_t k = ((c * H + 2 * i + p) * H + 2 * j + q) * N + n;
              if (in[k] > in[best]) best = k;
            }
          out[at] = in[best];
          argmax[at] = static_cast<int32_t>(best);
        }
}
void maxpool2_backward(float* d_in, const float* d_out, const int32_t* argmax, int64_t size) {
  for (int64_t k = 0; k < size; ++k) d_in[argmax[k]] += d_out[k];
}

// The activations of one batch (lenet.h's LeNetState, trimmed).
struct State {
  explicit State(int64_t B)
      : c1_shape{.N = B, .H = kS1, .W = kS1, .C = 1, .OC = C1, .KH = K, .KW = K, .pad = 2},
        c3_shape{.N = B, .H = kS2, .W = kS2, .C = C1, .OC = C3, .KH = K, .KW = K},
        x(B * kS1 * kS1),
        a1(B * kS1 * kS1 * C1),
        s2(B * kS2 * kS2 * C1),
        a3(B * kC3Side * kC3Side * C3),
        s4(B * kFlat),
        flat(B * kFlat),
        a5(B * C5),
        a6(B * F6),
        logits(B * 10),
        probs(B * 10),
        s2_argmax(s2.size()),
        s4_argmax(s4.size()),
        cols1(c1_shape.patch() * c1_shape.ld()),
        cols3(c3_shape.patch() * c3_shape.ld()),
        d_cols3(cols3.size()) {}
  Conv2dShape c1_shape, c3_shape;
  std::vector<float> x;              // (1, 28, 28, N)
  std::vector<float> a1;             // (6, 28, 28, N) after ReLU
  std::vector<float> s2;             // (6, 14, 14, N)
  std::vector<float> a3;             // (16, 10, 10, N)
  std::vector<float> s4;             // (16, 5, 5, N)
  std::vector<float> flat;           // (N, 400)
  std::vector<float> a5, a6;         // (N, 120), (N, 84)
  std::vector<float> logits, probs;  // (N, 10)
  std::vector<int32_t> s2_argmax, s4_argmax;
  std::vector<float> cols1, cols3, d_cols3;  // im2col workspaces
};

void softmax_rows(float* probs, const float* logits, int64_t N) {
  for (int64_t n = 0; n < N; ++n) {
    const float* z = logits + n * 10;
    float* p = probs + n * 10;
    const float z_max = *std::max_element(z, z + 10);
    double sum = 0.0;
    for (int v = 0; v < 10; ++v) sum += p[v] = std::exp(z[v] - z_max);
    for (int v = 0; v < 10; ++v) p[v] = static_cast<float>(p[v] / sum);
  }
}

// Forward to state.probs for images (N, 784) in [0, 1].
void forward(State& st, const Evaluator& w, const float* images, int64_t N) {
  Conv2dShape c1 = st.c1_shape, c3 = st.c3_shape;
  c1.N = c3.N = N;
  transpose_forward(st.x.data(), images, N, kS1 * kS1);  // (N, 784) -> (1, 28, 28, N)
  conv2d_forward(st.a1.data(), st.cols1.data(), st.x.data(), w.c1_w, w.c1_b, c1);
  relu_forward(st.a1.data(), st.a1.data(), N * kS1 * kS1 * C1);
  maxpool2_forward(st.s2.data(), st.s2_argmax.data(), st.a1.data(), C1, kS1, N);
  conv2d_forward(st.a3.data(), st.cols3.data(), st.s2.data(), w.c3_w, w.c3_b, c3);
  relu_forward(st.a3.data(), st.a3.data(), N * kC3Side * kC3Side * C3);
  maxpool2_forward(st.s4.data(), st.s4_argmax.data(), st.a3.data(), C3, kC3Side, N);
  transpose_forward(st.flat.data(), st.s4.data(), kFlat, N);  // (400, N) -> (N, 400)
  linear_forward(st.a5.data(), st.flat.data(), w.c5_w, w.c5_b, N, kFlat, C5);
  relu_forward(st.a5.data(), st.a5.data(), N * C5);
  linear_forward(st.a6.data(), st.a5.data(), w.f6_w, w.f6_b, N, C5, F6);
  relu_forward(st.a6.data(), st.a6.data(), N * F6);
  linear_forward(st.logits.data(), st.a6.data(), w.out_w, w.out_b, N, F6, 10);
  softmax_rows(st.probs.data(), st.logits.data(), N);
}

// Backward of the mean cross-entropy with labels (N); accumulates into g (an Evaluator
// used as a gradient buffer).
void backward(Evaluator& g, State& st, const Evaluator& w, const int* labels, int64_t N) {
  Conv2dShape c1 = st.c1_shape, c3 = st.c3_shape;
  c1.N = c3.N = N;
  auto zeros = [](int64_t n) { return std::vector<float>(static_cast<size_t>(n), 0.0f); };
  std::vector<float> d_logits = zeros(N * 10), d_a6 = zeros(N * F6), d_f6 = zeros(N * F6),
                     d_a5 = zeros(N * C5), d_c5 = zeros(N * C5), d_flat = zeros(N * kFlat),
                     d_s4 = zeros(N * kFlat), d_a3 = zeros(N * kC3Side * kC3Side * C3),
                     d_c3 = zeros(N * kC3Side * kC3Side * C3), d_s2 = zeros(N * kS2 * kS2 * C1),
                     d_a1 = zeros(N * kS1 * kS1 * C1), d_c1 = zeros(N * kS1 * kS1 * C1);
  // loss = -(1/N) sum log p[y]:  d_logits = (p - onehot(y)) / N
  for (int64_t n = 0; n < N; ++n)
    for (int v = 0; v < 10; ++v)
      d_logits[n * 10 + v] = (st.probs[n * 10 + v] - (v == labels[n] ? 1.0f : 0.0f)) / N;
  linear_backward(d_a6.data(), g.out_w, g.out_b, d_logits.data(), st.a6.data(), w.out_w, N, F6, 10);
  relu_backward(d_f6.data(), d_a6.data(), st.a6.data(), N * F6);
  linear_backward(d_a5.data(), g.f6_w, g.f6_b, d_f6.data(), st.a5.data(), w.f6_w, N, C5, F6);
  relu_backward(d_c5.data(), d_a5.data(), st.a5.data(), N * C5);
  linear_backward(d_flat.data(), g.c5_w, g.c5_b, d_c5.data(), st.flat.data(), w.c5_w, N, kFlat, C5);
  transpose_backward(d_s4.data(), d_flat.data(), kFlat, N);
  maxpool2_backward(d_a3.data(), d_s4.data(), st.s4_argmax.data(), N * kFlat);
  relu_backward(d_c3.data(), d_a3.data(), st.a3.data(), N * kC3Side * kC3Side * C3);
  conv2d_backward(d_s2.data(), g.c3_w, g.c3_b, st.d_cols3.data(), d_c3.data(), st.cols3.data(),
                  w.c3_w, c3);
  maxpool2_backward(d_a1.data(), d_s2.data(), st.s2_argmax.data(), N * kS2 * kS2 * C1);
  relu_backward(d_c1.data(), d_a1.data(), st.a1.data(), N * kS1 * kS1 * C1);
  conv2d_backward<float>(nullptr, g.c1_w, g.c1_b, nullptr, d_c1.data(), st.cols1.data(), w.c1_w,
                         c1);
}
}  // namespace

// ---------------------------------------------------------------------------
// Parameters

Evaluator::Evaluator()
    : params(static_cast<size_t>(C1 * K * K + C1 + C3 * C1 * K * K + C3 + C5 * kFlat + C5 +
                                 F6 * C5 + F6 + 10 * F6 + 10),
             0.0f) {
  point();
}
Evaluator::Evaluator(const Evaluator& other) : params(other.params) {
  point();
}
Evaluator& Evaluator::operator=(const Evaluator& other) {
  params = other.params;
  point();
  return *this;
}
void Evaluator::point() {
  float* p = params.data();
  auto take = [&p](int64_t n) {
    float* view = p;
    p += n;
    return view;
  };
  c1_w = take(C1 * K * K);
  c1_b = take(C1);
  c3_w = take(C3 * C1 * K * K);
  c3_b = take(C3);
  c5_w = take(C5 * kFlat);
  c5_b = take(C5);
  f6_w = take(F6 * C5);
  f6_b = take(F6);
  out_w = take(10 * F6);
  out_b = take(10);
}

// ---------------------------------------------------------------------------
// Training and scoring

void evaluator_probs(float* probs, const Evaluator& model, const float* images, int64_t N) {
  constexpr int64_t kBlock = 64;  // lenet.h: a block of 64 keeps the activations in cache
  State st(std::min(kBlock, N));
  for (int64_t start = 0; start < N; start += kBlock) {
    const int64_t count = std::min(kBlock, N - start);
    forward(st, model, images + start * kS1 * kS1, count);
    std::copy(st.probs.begin(), st.probs.begin() + count * 10, probs + start * 10);
  }
}

SampleScores score_images(const Evaluator& model, const float* images, int64_t N,
                          const int* requested) {
  std::vector<float> probs(static_cast<size_t>(N * 10));
  evaluator_probs(probs.data(), model, images, N);
  SampleScores s;
  s.count = N;
  int64_t confident = 0, matching = 0;
  for (int64_t n = 0; n < N; ++n) {
    const float* p = probs.data() + n * 10;
    const int64_t c = std::max_element(p, p + 10) - p;
    ++s.histogram[static_cast<size_t>(c)];
    confident += p[c] > 0.9f;
    if (requested != nullptr) matching += c == requested[n];
  }
  s.confident_fraction = static_cast<double>(confident) / static_cast<double>(N);
  // H = -sum_c f_c ln f_c over the class frequencies f_c
  for (int64_t h : s.histogram) {
    const double f = static_cast<double>(h) / static_cast<double>(N);
    if (f > 0) s.class_entropy -= f * std::log(f);
    s.classes_covered += f >= 0.05;
  }
  if (requested != nullptr) s.label_accuracy = static_cast<double>(matching) / N;
  return s;
}

double mean_image_distance(const float* a, int64_t na, const float* b, int64_t nb) {
  double total = 0.0;
  for (int64_t p = 0; p < kS1 * kS1; ++p) {
    double ma = 0.0, mb = 0.0;
    for (int64_t n = 0; n < na; ++n) ma += a[n * kS1 * kS1 + p];
    for (int64_t n = 0; n < nb; ++n) mb += b[n * kS1 * kS1 + p];
    total += std::abs(ma / static_cast<double>(na) - mb / static_cast<double>(nb));
  }
  return total / static_cast<double>(kS1 * kS1);
}

double train_evaluator(Evaluator& model, const common::ImageDataset& data,
                       const EvaluatorTrainConfig& config) {
  common::Rng rng(config.seed);
  // He initialisation (phase3_cnn_rnn/layers.h): N(0, 2 / fan_in) for ReLU layers; the
  // output layer N(0, 1 / fan_in); biases 0.
  std::fill(model.params.begin(), model.params.end(), 0.0f);
  init_normal(model.c1_w, C1 * K * K, std::sqrt(2.0 / (K * K)), rng);
  init_normal(model.c3_w, C3 * C1 * K * K, std::sqrt(2.0 / (C1 * K * K)), rng);
  init_normal(model.c5_w, C5 * kFlat, std::sqrt(2.0 / kFlat), rng);
  init_normal(model.f6_w, F6 * C5, std::sqrt(2.0 / C5), rng);
  init_normal(model.out_w, 10 * F6, std::sqrt(1.0 / F6), rng);

  Evaluator grads;
  Adam adam(static_cast<int64_t>(model.params.size()));
  const AdamConfig adam_config{.lr = config.lr, .beta1 = 0.9f};
  const int64_t n_train = data.train_x.dim(0);
  const int64_t B = std::min<int64_t>(config.batch_size, n_train);
  State st(B);
  common::BatchIterator batches(n_train, B, &rng);
  common::Tensor batch_x({B, kS1 * kS1});
  std::vector<int> batch_y(static_cast<size_t>(B));
  std::optional<common::ProgressBar> bar;
  if (config.verbose) bar.emplace("evaluator", batches.batches_per_epoch() * config.epochs, "step");
  int64_t step = 0;
  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
    batches.start_epoch();
    std::span<const int64_t> idx;
    while (batches.next(idx)) {
      const int64_t N = static_cast<int64_t>(idx.size());
      common::gather_rows(data.train_x, idx, batch_x);
      for (int64_t n = 0; n < N; ++n) batch_y[n] = data.train_y[static_cast<size_t>(idx[n])];
      forward(st, model, batch_x.data(), N);
      double loss = 0.0;
      for (int64_t n = 0; n < N; ++n) loss -= std::log(st.probs[n * 10 + batch_y[n]] + 1e-30);
      check_finite_loss(loss, step, "evaluator");
      std::fill(grads.params.begin(), grads.params.end(), 0.0f);
      backward(grads, st, model, batch_y.data(), N);
      adam.step(model.params.data(), grads.params.data(), adam_config.lr, adam_config);
      ++step;
      if (bar)
        bar->update(step, "epoch " + std::to_string(epoch) + " loss " +
                              std::to_string(loss / static_cast<double>(N)).substr(0, 6));
    }
  }
  if (bar) bar->finish();
  // Test accuracy.
  const int64_t n_test = data.test_x.dim(0);
  std::vector<float> probs(static_cast<size_t>(n_test * 10));
  evaluator_probs(probs.data(), model, data.test_x.data(), n_test);
  int64_t correct = 0;
  for (int64_t n = 0; n < n_test; ++n) {
    const float* p = probs.data() + n * 10;
    correct += (std::max_element(p, p + 10) - p) == data.test_y[static_cast<size_t>(n)];
  }
  return static_cast<double>(correct) / static_cast<double>(n_test);
}

}  // namespace phase4::gan
