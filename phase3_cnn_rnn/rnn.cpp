// phase3_cnn_rnn/rnn.cpp -- see rnn.h.
#include "rnn.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>

#include "error.h"
#include "files.h"
#include "layers.h"
#include "progress.h"
#include "thread_pool.h"

namespace phase3 {

// ---------------------------------------------------------------------------
// The model

RnnParams::RnnParams(const RnnConfig& config) : config_(config) {
  const int64_t V = config.vocab, D = config.input, H = config.hidden, O = config.output;
  if (D < 1 || H < 1 || O < 1 || V < 0)
    throw common::Error("RNN: input, hidden and output sizes must be positive");
  data.assign(static_cast<size_t>(V * D + H * D + H * H + H + O * H + O), 0.0f);
  point();
}

RnnParams::RnnParams(const RnnParams& other) : data(other.data), config_(other.config_) {
  point();
}

RnnParams& RnnParams::operator=(const RnnParams& other) {
  data = other.data;
  config_ = other.config_;
  point();
  return *this;
}

void RnnParams::point() {
  const int64_t V = config_.vocab, D = config_.input, H = config_.hidden, O = config_.output;
  float* p = data.data();
  embed = V > 0 ? p : nullptr;
  p += V * D;
  w_xh = p;
  p += H * D;
  w_hh = p;
  p += H * H;
  b_h = p;
  p += H;
  w_hy = p;
  p += O * H;
  b_y = p;
}

void RnnParams::zero() {
  std::fill(data.begin(), data.end(), 0.0f);
}

std::vector<RnnParams::View> RnnParams::views() {
  const int64_t V = config_.vocab, D = config_.input, H = config_.hidden, O = config_.output;
  std::vector<View> v;
  if (V > 0) v.push_back({"embed", embed, {V, D}});
  v.push_back({"w_xh", w_xh, {H, D}});
  v.push_back({"w_hh", w_hh, {H, H}});
  v.push_back({"b_h", b_h, {H}});
  v.push_back({"w_hy", w_hy, {O, H}});
  v.push_back({"b_y", b_y, {O}});
  return v;
}

void rnn_init(RnnParams& p, const RnnConfig& c, common::Rng& rng) {
  p.zero();
  const int64_t V = c.vocab, D = c.input, H = c.hidden, O = c.output;
  const double k = 1.0 / std::sqrt(static_cast<double>(H));
  auto uniform = [&](float* w, int64_t n) {
    for (int64_t i = 0; i < n; ++i) w[i] = static_cast<float>(rng.uniform(-k, k));
  };
  if (V > 0) init_normal(p.embed, V * D, 1.0f, rng);
  uniform(p.w_xh, H * D);
  uniform(p.w_hh, H * H);
  uniform(p.w_hy, O * H);
}

RnnState::RnnState(const RnnConfig& c, int64_t T_, int64_t B_) : T(T_), B(B_) {
  if (T < 1 || B < 1) throw common::Error("RNN: sequence length and batch must be positive");
  auto buffer = [](int64_t n) { return std::vector<float>(static_cast<size_t>(n)); };
  x = d_x = buffer(T * B * c.input);
  h = buffer((T + 1) * B * c.hidden);
  y = probs = d_y = buffer(T * B * c.output);
  d_h = d_a = buffer(T * B * c.hidden);
}

void RnnState::carry_state() {
  const int64_t BH = static_cast<int64_t>(h.size()) / (T + 1);
  std::copy(h.begin() + T * BH, h.end(), h.begin());
}

void RnnState::reset_state() {
  const int64_t BH = static_cast<int64_t>(h.size()) / (T + 1);
  std::fill(h.begin(), h.begin() + BH, 0.0f);
}

float rnn_forward_tokens(RnnState& st, const RnnParams& p, const RnnConfig& c, const int* inputs,
                         const int* targets) {
  const int64_t T = st.T, B = st.B, D = c.input, H = c.hidden, V = c.output;
  // x_t = E[token_t]                      (T*B, D)
  embedding_forward(st.x.data(), inputs, p.embed, T * B, D);
  // h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)
  rnn_forward(st.h.data(), st.x.data(), p.w_xh, p.w_hh, p.b_h, T, B, D, H);
  // y_t = W_hy h_t + b_y                   (T*B, V) scores for the next character
  linear_forward(st.y.data(), st.h.data() + B * H, p.w_hy, p.b_y, T * B, H, V);
  // mean over all T*B positions of -log softmax(y_t)[target_t]
  return softmax_cross_entropy_forward(st.probs.data(), st.y.data(), targets, T * B, V);
}

void rnn_backward_tokens(RnnParams& g, RnnState& st, const RnnParams& p, const RnnConfig& c,
                         const int* inputs, const int* targets) {
  const int64_t T = st.T, B = st.B, D = c.input, H = c.hidden, V = c.output;
  for (auto* d : {&st.d_y, &st.d_h, &st.d_x}) std::fill(d->begin(), d->end(), 0.0f);
  softmax_cross_entropy_backward(st.d_y.data(), st.probs.data(), targets, T * B, V);
  linear_backward(st.d_h.data(), g.w_hy, g.b_y, st.d_y.data(), st.h.data() + B * H, p.w_hy, T * B,
                  H, V);
  rnn_backward(st.d_x.data(), g.w_xh, g.w_hh, g.b_h, static_cast<float*>(nullptr), st.d_a.data(),
               st.d_h.data(), st.h.data(), st.x.data(), p.w_xh, p.w_hh, T, B, D, H);
  embedding_backward(g.embed, st.d_x.data(), inputs, T * B, D);
}

float rnn_forward_values(RnnState& st, const RnnParams& p, const RnnConfig& c, const float* values,
                         const float* targets) {
  const int64_t T = st.T, B = st.B, D = c.input, H = c.hidden, O = c.output;
  std::copy(values, values + T * B * D, st.x.begin());
  rnn_forward(st.h.data(), st.x.data(), p.w_xh, p.w_hh, p.b_h, T, B, D, H);
  linear_forward(st.y.data(), st.h.data() + B * H, p.w_hy, p.b_y, T * B, H, O);
  return mse_forward(st.y.data(), targets, T * B * O);
}

void rnn_backward_values(RnnParams& g, RnnState& st, const RnnParams& p, const RnnConfig& c,
                         const float* targets) {
  const int64_t T = st.T, B = st.B, D = c.input, H = c.hidden, O = c.output;
  for (auto* d : {&st.d_y, &st.d_h}) std::fill(d->begin(), d->end(), 0.0f);
  mse_backward(st.d_y.data(), st.y.data(), targets, T * B * O);
  linear_backward(st.d_h.data(), g.w_hy, g.b_y, st.d_y.data(), st.h.data() + B * H, p.w_hy, T * B,
                  H, O);
  rnn_backward(static_cast<float*>(nullptr), g.w_xh, g.w_hh, g.b_h, static_cast<float*>(nullptr),
               st.d_a.data(), st.d_h.data(), st.h.data(), st.x.data(), p.w_xh, p.w_hh, T, B, D, H);
}

// ---------------------------------------------------------------------------
// Task 1: the noisy sine wave

SequenceResult run_sequence_task(const SequenceConfig& sc) {
  common::Timer clock;
  common::Rng rng(sc.seed);
  // s_t = sin(2 pi t / period) + noise * z_t,  z_t ~ Normal(0, 1)
  std::vector<float> series(static_cast<size_t>(sc.length));
  for (int64_t t = 0; t < sc.length; ++t)
    series[static_cast<size_t>(t)] = static_cast<float>(
        std::sin(2.0 * 3.14159265358979323846 * static_cast<double>(t) / sc.period) +
        sc.noise * rng.normal());
  const int64_t n_test = static_cast<int64_t>(static_cast<double>(sc.length) * sc.test_fraction);
  const int64_t n_train = sc.length - n_test;
  if (n_train < sc.window + 2 || n_test < sc.warmup + 2)
    throw common::Error("sequence: the series is too short for the window and the test part");

  const RnnConfig config{0, 1, sc.hidden, 1};
  RnnParams params(config), grads(config);
  rnn_init(params, config, rng);
  Adam adam(params.size());
  const int64_t T = sc.window, B = sc.batch;
  RnnState st(config, T, B);
  std::vector<float> values(static_cast<size_t>(T * B)), targets(values.size());  // (T, B)
  std::optional<common::ProgressBar> bar;
  if (sc.verbose) bar.emplace("sequence", sc.steps, "step");
  for (int64_t step = 0; step < sc.steps; ++step) {
    // B random windows of the training part; each predicts s_{t+1} from s_1..s_t.
    for (int64_t b = 0; b < B; ++b) {
      const int64_t start = rng.randint(0, n_train - T);
      for (int64_t t = 0; t < T; ++t) {
        values[static_cast<size_t>(t * B + b)] = series[static_cast<size_t>(start + t)];
        targets[static_cast<size_t>(t * B + b)] = series[static_cast<size_t>(start + t + 1)];
      }
    }
    st.reset_state();
    const float loss = rnn_forward_values(st, params, config, values.data(), targets.data());
    check_finite_loss(loss, step, "sequence");
    grads.zero();
    rnn_backward_values(grads, st, params, config, targets.data());
    clip_grad_norm(grads.data.data(), grads.size(), sc.clip);
    adam.step(params.data.data(), grads.data.data(), cosine_lr(sc.adam.lr, step, sc.steps),
              sc.adam);
    if (bar) {
      char metric[32];
      std::snprintf(metric, sizeof metric, "mse %.4f", loss);
      bar->update(step + 1, metric);
    }
  }
  if (bar) bar->finish();

  // Test: one pass over the whole test part from a zero state, as one long sequence.
  SequenceResult result;
  const float* test = series.data() + n_train;
  const int64_t T_test = n_test - 1;
  RnnState ts(config, T_test, 1);
  rnn_forward_values(ts, params, config, test, test + 1);
  double model_sq = 0.0, baseline_sq = 0.0;
  for (int64_t t = sc.warmup; t < T_test; ++t) {
    const double truth = test[t + 1];
    model_sq += (ts.y[static_cast<size_t>(t)] - truth) * (ts.y[static_cast<size_t>(t)] - truth);
    baseline_sq += (test[t] - truth) * (test[t] - truth);  // "repeat the last value"
  }
  const double count = static_cast<double>(T_test - sc.warmup);
  result.test_mse = model_sq / count;
  result.baseline_mse = baseline_sq / count;
  result.noise_mse = sc.noise * sc.noise;
  result.truth.assign(test + 1, test + n_test);
  result.prediction.assign(ts.y.begin(), ts.y.end());
  result.seconds = clock.seconds();
  return result;
}

}  // namespace phase3
