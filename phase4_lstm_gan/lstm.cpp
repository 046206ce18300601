// phase4_lstm_gan/lstm.cpp -- see lstm.h: the model's parameters, initialisation, state,
// and the stacked forward and backward.
#include "lstm.h"

#include <algorithm>
#include <cmath>

#include "error.h"

namespace phase4 {

// ---------------------------------------------------------------------------
// Parameters

LstmParams::LstmParams(const LstmConfig& config) : config_(config) {
  const int64_t V = config.vocab, D = config.input, H = config.hidden, L = config.layers;
  if (D < 1 || H < 1 || L < 1 || V < 0)
    throw common::Error("LSTM: input, hidden and layer counts must be positive");
  int64_t n = V * D;
  for (int64_t l = 0; l < L; ++l) n += 4 * H * (l == 0 ? D : H) + 4 * H * H + 4 * H;
  n += config.output * H + config.output;
  if (config.output < 1) throw common::Error("LSTM: the output size must be positive");
  data.assign(static_cast<size_t>(n), 0.0f);
  point();
}

LstmParams::LstmParams(const LstmParams& other) : data(other.data), config_(other.config_) {
  point();
}

LstmParams& LstmParams::operator=(const LstmParams& other) {
  data = other.data;
  config_ = other.config_;
  point();
  return *this;
}

void LstmParams::point() {
  const int64_t V = config_.vocab, D = config_.input, H = config_.hidden;
  float* p = data.data();
  embed = V > 0 ? p : nullptr;
  p += V * D;
  layer.clear();
  for (int64_t l = 0; l < config_.layers; ++l) {
    Layer ly{};
    ly.w_x = p;
    p += 4 * H * (l == 0 ? D : H);
    ly.w_h = p;
    p += 4 * H * H;
    ly.b = p;
    p += 4 * H;
    layer.push_back(ly);
  }
  w_hy = p;
  p += config_.output * H;
  b_y = p;
}

void LstmParams::zero() {
  std::fill(data.begin(), data.end(), 0.0f);
}

std::vector<LstmParams::View> LstmParams::views() {
  const int64_t V = config_.vocab, D = config_.input, H = config_.hidden;
  std::vector<View> v;
  if (V > 0) v.push_back({"embed", embed, {V, D}});
  for (int64_t l = 0; l < config_.layers; ++l) {
    // (appended piece by piece: GCC 12 warns falsely (-Wrestrict) about "l" + std::string)
    const auto name = [l](const char* what) {
      std::string s = std::to_string(l);
      s.insert(0, 1, 'l');
      s += '.';
      s += what;
      return s;
    };
    const Layer& ly = layer[static_cast<size_t>(l)];
    v.push_back({name("w_x"), ly.w_x, {4 * H, l == 0 ? D : H}});
    v.push_back({name("w_h"), ly.w_h, {4 * H, H}});
    v.push_back({name("b"), ly.b, {4 * H}});
  }
  v.push_back({"w_hy", w_hy, {config_.output, H}});
  v.push_back({"b_y", b_y, {config_.output}});
  return v;
}

// ---------------------------------------------------------------------------
// Initialisation (see lstm.h for the two forget-gate choices)

void lstm_init(LstmParams& p, const LstmConfig& c, common::Rng& rng) {
  p.zero();
  const int64_t V = c.vocab, D = c.input, H = c.hidden;
  const double k = 1.0 / std::sqrt(static_cast<double>(H));
  auto uniform = [&](float* w, int64_t n) {
    for (int64_t i = 0; i < n; ++i) w[i] = static_cast<float>(rng.uniform(-k, k));
  };
  if (V > 0) init_normal(p.embed, V * D, 1.0f, rng);
  for (int64_t l = 0; l < c.layers; ++l) {
    LstmParams::Layer& ly = p.layer[static_cast<size_t>(l)];
    uniform(ly.w_x, 4 * H * (l == 0 ? D : H));
    uniform(ly.w_h, 4 * H * H);
    float* b_i = ly.b;      // (H) input gate
    float* b_f = ly.b + H;  // (H) forget gate
    for (int64_t j = 0; j < H; ++j) {
      if (c.chrono_tmax > 2) {
        // chrono: b_f = log(u), u ~ Uniform[1, T_max - 1];  b_i = -b_f
        const double u = rng.uniform(1.0, static_cast<double>(c.chrono_tmax - 1));
        b_f[j] = static_cast<float>(std::log(u));
        b_i[j] = -b_f[j];
      } else {
        b_f[j] = c.forget_bias;
      }
    }
  }
  uniform(p.w_hy, c.output * H);
}

// ---------------------------------------------------------------------------
// State

LstmState::LstmState(const LstmConfig& c, int64_t T_, int64_t B_) : T(T_), B(B_) {
  if (T < 1 || B < 1) throw common::Error("LSTM: sequence length and batch must be positive");
  auto buffer = [](int64_t n) { return std::vector<float>(static_cast<size_t>(n)); };
  const int64_t H = c.hidden;
  x = d_x = buffer(T * B * c.input);
  for (int64_t l = 0; l < c.layers; ++l) {
    Layer ly;
    ly.h = ly.c = buffer((T + 1) * B * H);
    ly.gates = ly.d_a = buffer(T * B * 4 * H);
    ly.tanh_c = ly.d_h = buffer(T * B * H);
    layer.push_back(std::move(ly));
  }
  d_c = buffer(B * H);
}

void LstmState::carry_state() {
  for (Layer& ly : layer) {
    const int64_t BH = static_cast<int64_t>(ly.h.size()) / (T + 1);
    std::copy(ly.h.begin() + T * BH, ly.h.end(), ly.h.begin());
    std::copy(ly.c.begin() + T * BH, ly.c.end(), ly.c.begin());
  }
}

void LstmState::reset_state() {
  for (Layer& ly : layer) {
    const int64_t BH = static_cast<int64_t>(ly.h.size()) / (T + 1);
    std::fill(ly.h.begin(), ly.h.begin() + BH, 0.0f);
    std::fill(ly.c.begin(), ly.c.begin() + BH, 0.0f);
  }
}

// ---------------------------------------------------------------------------
// The stack: forward bottom to top, backward top to bottom

void recurrent_forward(LstmState& st, const LstmParams& p, const LstmConfig& c) {
  const int64_t T = st.T, B = st.B, H = c.hidden;
  for (size_t l = 0; l < st.layer.size(); ++l) {
    LstmState::Layer& ly = st.layer[l];
    // Layer 0 reads the inputs; layer l reads h[1..T] of layer l-1 as its x (T, B, H).
    const float* x = l == 0 ? st.x.data() : st.layer[l - 1].h.data() + B * H;
    const int64_t D = l == 0 ? c.input : H;
    const LstmParams::Layer& w = p.layer[l];
    lstm_forward(ly.h.data(), ly.c.data(), ly.gates.data(), ly.tanh_c.data(), x, w.w_x, w.w_h, w.b,
                 T, B, D, H);
  }
}

void recurrent_backward(LstmParams& g, LstmState& st, const LstmParams& p, const LstmConfig& c) {
  const int64_t T = st.T, B = st.B, H = c.hidden;
  // The layers below the top receive their output gradient from the layer above.
  for (size_t l = 0; l + 1 < st.layer.size(); ++l)
    std::fill(st.layer[l].d_h.begin(), st.layer[l].d_h.end(), 0.0f);
  std::fill(st.d_x.begin(), st.d_x.end(), 0.0f);
  for (size_t l = st.layer.size(); l-- > 0;) {
    LstmState::Layer& ly = st.layer[l];
    const float* x = l == 0 ? st.x.data() : st.layer[l - 1].h.data() + B * H;
    // layer l's x is layer l-1's h  =>  its d_x is (part of) layer l-1's d_h
    float* d_x = l == 0 ? st.d_x.data() : st.layer[l - 1].d_h.data();
    const int64_t D = l == 0 ? c.input : H;
    const LstmParams::Layer& w = p.layer[l];
    LstmParams::Layer& dw = g.layer[l];
    lstm_backward(d_x, dw.w_x, dw.w_h, dw.b, st.d_c.data(), ly.d_a.data(), ly.d_h.data(),
                  ly.h.data(), ly.c.data(), ly.gates.data(), ly.tanh_c.data(), x, w.w_x, w.w_h, T,
                  B, D, H);
  }
}

}  // namespace phase4
