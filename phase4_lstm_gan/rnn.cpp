// phase4_lstm_gan/rnn.cpp -- see rnn.h. Copied from phase3_cnn_rnn/rnn.cpp (the model
// without its output layer; the forward and backward of the recurrence as there).
#include "rnn.h"

#include <algorithm>
#include <cmath>

#include "error.h"

namespace phase4 {

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
  const int64_t V = config_.vocab, D = config_.input, H = config_.hidden;
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
  p += config_.output * H;
  b_y = p;
}

void RnnParams::zero() {
  std::fill(data.begin(), data.end(), 0.0f);
}

std::vector<RnnParams::View> RnnParams::views() {
  const int64_t V = config_.vocab, D = config_.input, H = config_.hidden;
  std::vector<View> v;
  if (V > 0) v.push_back({"embed", embed, {V, D}});
  v.push_back({"w_xh", w_xh, {H, D}});
  v.push_back({"w_hh", w_hh, {H, H}});
  v.push_back({"b_h", b_h, {H}});
  v.push_back({"w_hy", w_hy, {config_.output, H}});
  v.push_back({"b_y", b_y, {config_.output}});
  return v;
}

void rnn_init(RnnParams& p, const RnnConfig& c, common::Rng& rng) {
  p.zero();
  const int64_t V = c.vocab, D = c.input, H = c.hidden;
  const double k = 1.0 / std::sqrt(static_cast<double>(H));
  auto uniform = [&](float* w, int64_t n) {
    for (int64_t i = 0; i < n; ++i) w[i] = static_cast<float>(rng.uniform(-k, k));
  };
  if (V > 0) init_normal(p.embed, V * D, 1.0f, rng);
  uniform(p.w_xh, H * D);
  uniform(p.w_hh, H * H);
  uniform(p.w_hy, c.output * H);
}

RnnState::RnnState(const RnnConfig& c, int64_t T_, int64_t B_) : T(T_), B(B_) {
  if (T < 1 || B < 1) throw common::Error("RNN: sequence length and batch must be positive");
  auto buffer = [](int64_t n) { return std::vector<float>(static_cast<size_t>(n)); };
  x = d_x = buffer(T * B * c.input);
  h = buffer((T + 1) * B * c.hidden);
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

void recurrent_forward(RnnState& st, const RnnParams& p, const RnnConfig& c) {
  // h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)
  rnn_forward(st.h.data(), st.x.data(), p.w_xh, p.w_hh, p.b_h, st.T, st.B, c.input, c.hidden);
}

void recurrent_backward(RnnParams& g, RnnState& st, const RnnParams& p, const RnnConfig& c) {
  std::fill(st.d_x.begin(), st.d_x.end(), 0.0f);
  rnn_backward(st.d_x.data(), g.w_xh, g.w_hh, g.b_h, static_cast<float*>(nullptr), st.d_a.data(),
               st.d_h.data(), st.h.data(), st.x.data(), p.w_xh, p.w_hh, st.T, st.B, c.input,
               c.hidden);
}

}  // namespace phase4
