// phase4_lstm_gan/rnn.h -- the vanilla recurrent network of phase 3 (Elman 1990), the
// LSTM's opponent in this phase. Copied from phase3_cnn_rnn/rnn.h (building blocks: the
// embedding, the recurrence and its backpropagation through time, mean squared error);
// the model below is phase 3's, whose output layer (the head) is now applied by the
// task (adding.cpp, char_lstm.cpp) to the steps it needs, so that the RNN and the LSTM (lstm.h)
// offer the same interface and the tasks train either with one piece of code:
//
//   config: vocab (0: real-valued inputs), input D, hidden H
//   params: one buffer, named views (embedding, recurrent weights, the head w_hy, b_y)
//   state:  x (T, B, D) the inputs, top_h() (T+1, B, H) the hidden states the head reads,
//           top_d_h() (T, B, H) where the head's gradient goes, d_x (T, B, D)
//   recurrent_forward(state, params, config), recurrent_backward(grads, state, params, config)
//
//   h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)          (the Elman recurrence)
//
// Dimension letters for this file: T time steps, B batch (independent sequences),
// D input width, H hidden units, V vocabulary. Time-major layout: x (T, B, D),
// h (T+1, B, H) with h[0] the initial state, so h[1..T] is one (T*B, H) matrix.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layers.h"
#include "rng.h"

namespace phase4 {

// ---------------------------------------------------------------------------
// Building blocks

// Embedding (a lookup table): x[i] = table[token[i]], for n tokens.
//   table (V, D), tokens (n), x (n, D).  Backward: d_table[token[i]] += d_x[i].
template <class Real>
void embedding_forward(Real* x, const int* tokens, const Real* table, int64_t n, int64_t D) {
  for (int64_t i = 0; i < n; ++i) {
    const Real* row = table + static_cast<int64_t>(tokens[i]) * D;
    for (int64_t d = 0; d < D; ++d) x[i * D + d] = row[d];
  }
}
template <class Real>
void embedding_backward(Real* d_table, const Real* d_x, const int* tokens, int64_t n, int64_t D) {
  // A token that occurs several times collects the gradient of every occurrence.
  for (int64_t i = 0; i < n; ++i) {
    Real* row = d_table + static_cast<int64_t>(tokens[i]) * D;
    for (int64_t d = 0; d < D; ++d) row[d] += d_x[i * D + d];
  }
}

// The recurrence over T steps for B sequences at once.
//   h (T+1, B, H): h[0] is read (the initial state), h[1..T] are written.
//   x (T, B, D), w_xh (H, D), w_hh (H, H), b_h (H).
template <class Real>
void rnn_forward(Real* h, const Real* x, const Real* w_xh, const Real* w_hh, const Real* b_h,
                 int64_t T, int64_t B, int64_t D, int64_t H) {
  const int64_t BH = B * H;
  // The input part of every step does not depend on the recurrence, so all T steps are
  // one product:  a_t = x_t W_xh^T + b_h   for t = 1..T, written straight into h[1..T].
  Real* a = h + BH;  // (T*B, H)
  for (int64_t r = 0; r < T * B; ++r)
    for (int64_t j = 0; j < H; ++j) a[r * H + j] = b_h[j];
  matmul_accumulate(mat(a, T * B, H), mat(x, T * B, D), transpose(mat(w_xh, H, D)));
  // The recurrent part must go step by step: h_t needs h_{t-1}.
  for (int64_t t = 1; t <= T; ++t) {
    Real* h_t = h + t * BH;                 // (B, H), holds a_t on entry
    const Real* h_prev = h + (t - 1) * BH;  // (B, H)
    // a_t += h_{t-1} W_hh^T     (B, H) x (H, H): batched over the B sequences
    matmul_accumulate(mat(h_t, B, H), mat(h_prev, B, H), transpose(mat(w_hh, H, H)));
    // h_t = tanh(a_t)
    tanh_forward(h_t, h_t, BH);
  }
}

// Backpropagation through time, step by step from t = T down to 1.
//   d_h (T, B, H), in: dLoss/dh_t through the outputs only (slot t-1 holds step t);
//                  out: the TOTAL dLoss/dh_t, outputs plus all later steps (this is what
//                  the vanishing-gradient experiment reads).
//   d_a (T, B, H): workspace, dLoss/da_t for the pre-activations a_t.
//   d_x (T, B, D) (may be null), d_w_xh, d_w_hh, d_b_h, d_h0 (B, H) (may be null):
//   accumulated.
template <class Real>
void rnn_backward(Real* d_x, Real* d_w_xh, Real* d_w_hh, Real* d_b_h, Real* d_h0, Real* d_a,
                  Real* d_h, const Real* h, const Real* x, const Real* w_xh, const Real* w_hh,
                  int64_t T, int64_t B, int64_t D, int64_t H) {
  const int64_t BH = B * H;
  // Walk back in time. On arriving at step t, d_h's slot for h_t already holds the
  // gradient from the output at t plus (added by step t+1) the gradient from the future.
  for (int64_t t = T; t >= 1; --t) {
    const Real* h_t = h + t * BH;     // (B, H)
    Real* dh_t = d_h + (t - 1) * BH;  // (B, H) total dL/dh_t
    Real* da_t = d_a + (t - 1) * BH;  // (B, H)
    // h_t = tanh(a_t)  =>  dL/da_t = dL/dh_t * (1 - h_t^2)
    for (int64_t i = 0; i < BH; ++i) da_t[i] = dh_t[i] * (Real(1) - h_t[i] * h_t[i]);
    // a_t = ... + h_{t-1} W_hh^T  =>  dL/dh_{t-1} += dL/da_t W_hh   (B, H) x (H, H)
    // This product, repeated once per step back, is where gradients vanish or explode.
    Real* dh_prev = t > 1 ? d_h + (t - 2) * BH : d_h0;
    if (dh_prev != nullptr) matmul_accumulate(mat(dh_prev, B, H), mat(da_t, B, H), mat(w_hh, H, H));
  }
  // The weights are shared by every step, so their gradients sum over steps; with all
  // d_a_t known, each sum is one product over the T*B rows:
  //   d_W_hh (H, H) += sum_t d_a_t^T h_{t-1}   = d_a^T (H, T*B) . h[0..T-1] (T*B, H)
  matmul_accumulate(mat(d_w_hh, H, H), transpose(mat(d_a, T * B, H)), mat(h, T * B, H));
  //   d_W_xh (H, D) += sum_t d_a_t^T x_t        = d_a^T (H, T*B) . x (T*B, D)
  matmul_accumulate(mat(d_w_xh, H, D), transpose(mat(d_a, T * B, H)), mat(x, T * B, D));
  //   d_b_h (H) += sum over all rows of d_a
  for (int64_t r = 0; r < T * B; ++r)
    for (int64_t j = 0; j < H; ++j) d_b_h[j] += d_a[r * H + j];
  //   d_x (T*B, D) += d_a (T*B, H) . W_xh (H, D)
  if (d_x != nullptr) matmul_accumulate(mat(d_x, T * B, D), mat(d_a, T * B, H), mat(w_xh, H, D));
}

// Mean squared error over n values: loss = (1/n) sum (pred - target)^2.
// Backward: d_pred += 2 (pred - target) / n.
template <class Real>
Real mse_forward(const Real* pred, const Real* target, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double e = static_cast<double>(pred[i]) - target[i];
    sum += e * e;
  }
  return static_cast<Real>(sum / static_cast<double>(n));
}
template <class Real>
void mse_backward(Real* d_pred, const Real* pred, const Real* target, int64_t n) {
  const Real scale = Real(2) / static_cast<Real>(n);
  for (int64_t i = 0; i < n; ++i) d_pred[i] += scale * (pred[i] - target[i]);
}

// ---------------------------------------------------------------------------
// The model (the shared interface, see the top of this file)

struct RnnConfig {
  int64_t vocab = 0;     // V; 0 = the input is real values, no embedding table
  int64_t input = 64;    // D: embedding width (or the width of the real-valued input)
  int64_t hidden = 256;  // H
  int64_t output = 1;    // O: the head's outputs (the task decides which steps it reads)
};

// All parameters in one buffer with named views (same struct for gradients).
struct RnnParams {
  std::vector<float> data;
  float* embed = nullptr;  // (V, D)  only when vocab > 0
  float* w_xh = nullptr;   // (H, D)
  float* w_hh = nullptr;   // (H, H)
  float* b_h = nullptr;    // (H)
  float* w_hy = nullptr;   // (O, H) the head: y = h W_hy^T + b_y
  float* b_y = nullptr;    // (O)

  explicit RnnParams(const RnnConfig& config);  // zeros
  RnnParams(const RnnParams& other);
  RnnParams& operator=(const RnnParams& other);
  int64_t size() const { return static_cast<int64_t>(data.size()); }
  void zero();
  struct View {
    std::string name;
    float* data;
    std::vector<int64_t> shape;
  };
  std::vector<View> views();

 private:
  void point();
  RnnConfig config_;
};

// PyTorch's initialisation of nn.RNN, written out: every weight matrix (the head's too)
// uniform in [-1/sqrt(H), 1/sqrt(H)], biases zero, embedding entries standard normal.
void rnn_init(RnnParams& params, const RnnConfig& config, common::Rng& rng);

// Activations for T steps of B sequences, allocated once.
struct RnnState {
  RnnState(const RnnConfig& config, int64_t T, int64_t B);
  int64_t T, B;
  std::vector<float> x;                // (T, B, D) inputs (embedded tokens or values)
  std::vector<float> h;                // (T+1, B, H); h[0] = initial state
  std::vector<float> d_h, d_a;         // (T, B, H)
  std::vector<float> d_x;              // (T, B, D)
  float* top_h() { return h.data(); }  // (T+1, B, H)
  const float* top_h() const { return h.data(); }
  float* top_d_h() { return d_h.data(); }  // (T, B, H)
  // Truncated BPTT: the last hidden state becomes the next chunk's h[0]
  // (the state flows on, the gradient stops at the chunk boundary).
  void carry_state();
  void reset_state();
};

// h[1..T] from x and h[0].
void recurrent_forward(RnnState& st, const RnnParams& p, const RnnConfig& c);
// After the forward, with top_d_h() holding dLoss/dh_t through the head: accumulates the
// recurrent parameters' gradients into g (not the embedding's or the head's, which the
// task computes) and writes d_x (T, B, D).
void recurrent_backward(RnnParams& g, RnnState& st, const RnnParams& p, const RnnConfig& c);

}  // namespace phase4
