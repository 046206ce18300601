// phase4_lstm_gan/lstm.h -- Long Short-Term Memory (Hochreiter and Schmidhuber, "Long
// short-term memory", Neural Computation 1997) with the forget gate of Gers, Schmidhuber
// and Cummins ("Learning to forget", 2000), trained by backpropagation through time.
//
// One layer, at step t, for a batch of B sequences (x_t (B, D), h_{t-1} and c_{t-1} (B, H)):
//
//   a_t = x_t W_x^T + h_{t-1} W_h^T + b       (B, 4H)  the four gates' pre-activations,
//                                                      i.e. [x_t, h_{t-1}] W^T + b
//   i_t = sigmoid(a_t[0:H])                   input gate:  how much of g_t to write
//   f_t = sigmoid(a_t[H:2H])                  forget gate: how much of c_{t-1} to keep
//   g_t = tanh(a_t[2H:3H])                    the candidate value
//   o_t = sigmoid(a_t[3H:4H])                 output gate: how much of the cell to show
//   c_t = f_t * c_{t-1} + i_t * g_t           the cell state (the "constant error carousel")
//   h_t = o_t * tanh(c_t)                     the output, read by the next layer or the head
//
// (* is the elementwise product; the gate order i, f, g, o is PyTorch's, so nn.LSTM's
// weight_ih_l{k} is our w_x, weight_hh_l{k} our w_h, and bias_ih + bias_hh our b.)
//
// Why it remembers: backward, dLoss/dc_{t-1} = dLoss/dc_t * f_t + (terms through h_t).
// Along the cell the gradient is multiplied by the forget gate only -- no weight matrix,
// no squashing slope -- so with f_t near 1 it crosses 100 steps almost unchanged, where
// the RNN's gradient (rnn.h) is multiplied by W_hh^T diag(1 - h_t^2) at every step and
// dies (phase 3 measured the decay).
//
// Dimension letters: T time steps, B batch (sequences), D input width, H hidden units,
// V vocabulary, L layers. Time-major layout as in rnn.h: x (T, B, D), h and c (T+1, B, H)
// with slot 0 the initial state.
//
// What is here, in teaching order:
//   the cell, one step of one sequence: lstm_cell_forward, lstm_cell_backward (the
//     equations above, each derivative next to the line it differentiates);
//   the layer over T steps of B sequences (templates, float for training and double for
//     the gradient checks): lstm_forward, lstm_backward
//   the model: a stack of L layers over an optional embedding, with the interface of
//     rnn.h's model (config, params, state, recurrent_forward, recurrent_backward), so the
//     tasks (adding.cpp, char_lstm.cpp) train the RNN and the LSTM with the same code;
//     the initialisations: forget-gate bias 1 and the chrono initialisation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layers.h"
#include "rng.h"

namespace phase4 {

// The two recurrent cells this phase compares (the tasks train either).
enum class Cell { kRnn, kLstm };
inline const char* cell_name(Cell cell) {
  return cell == Cell::kRnn ? "RNN" : "LSTM";
}

// ---------------------------------------------------------------------------
// The cell: one step of one sequence, elementwise over its H units

// a (4H): in, the pre-activations [a_i | a_f | a_g | a_o]; out, the gates [i | f | g | o].
// c_prev (H) in; c_t, tc_t = tanh(c_t), h_t (H) out.
// (__restrict promises the compiler that the buffers do not overlap, which is what lets
// it compute 8 or 16 units at once with vector instructions; without it this loop was a
// fifth of the character model's training time.)
template <class Real>
void lstm_cell_forward(Real* __restrict a, Real* __restrict c_t, Real* __restrict tc_t,
                       Real* __restrict h_t, const Real* __restrict c_prev, int64_t H) {
  for (int64_t j = 0; j < H; ++j) {
    const Real i = sigmoid_of(a[j]);          // i_t = sigmoid(a_i)
    const Real f = sigmoid_of(a[H + j]);      // f_t = sigmoid(a_f)
    const Real g = tanh_of(a[2 * H + j]);     // g_t = tanh(a_g)
    const Real o = sigmoid_of(a[3 * H + j]);  // o_t = sigmoid(a_o)
    a[j] = i;
    a[H + j] = f;
    a[2 * H + j] = g;
    a[3 * H + j] = o;
    c_t[j] = f * c_prev[j] + i * g;  // c_t = f_t * c_{t-1} + i_t * g_t
    tc_t[j] = tanh_of(c_t[j]);
    h_t[j] = o * tc_t[j];  // h_t = o_t * tanh(c_t)
  }
}

// Its derivative, the same step backward.
// gates (4H): i, f, g, o of the step; tc_t, c_prev, dh_t (H): in (dh_t the TOTAL dL/dh_t);
// d_c (H): in dL/dc_t from the step after, out dL/dc_{t-1}; d_a (4H): out dL/da_t.
template <class Real>
void lstm_cell_backward(Real* __restrict d_a, Real* __restrict d_c, const Real* __restrict gates,
                        const Real* __restrict tc_t, const Real* __restrict c_prev,
                        const Real* __restrict dh_t, int64_t H) {
  for (int64_t j = 0; j < H; ++j) {
    const Real i = gates[j], f = gates[H + j], g = gates[2 * H + j], o = gates[3 * H + j];
    // h_t = o_t * tanh(c_t)  =>  dL/do_t = dL/dh_t * tanh(c_t)
    //                             dL/dc_t += dL/dh_t * o_t * (1 - tanh(c_t)^2)
    const Real d_o = dh_t[j] * tc_t[j];
    const Real dc = d_c[j] + dh_t[j] * o * (Real(1) - tc_t[j] * tc_t[j]);
    // c_t = f_t * c_{t-1} + i_t * g_t  =>  dL/df_t = dL/dc_t * c_{t-1}
    //                                      dL/di_t = dL/dc_t * g_t
    //                                      dL/dg_t = dL/dc_t * i_t
    const Real d_f = dc * c_prev[j], d_i = dc * g, d_g = dc * i;
    //                                      dL/dc_{t-1} = dL/dc_t * f_t
    // The constant error carousel: along the cell, the only factor per step is f_t.
    d_c[j] = dc * f;
    // i_t = sigmoid(a_i)  =>  dL/da_i = dL/di_t * i_t (1 - i_t)     (sigmoid' = s (1 - s))
    d_a[j] = d_i * i * (Real(1) - i);
    // f_t = sigmoid(a_f)  =>  dL/da_f = dL/df_t * f_t (1 - f_t)
    d_a[H + j] = d_f * f * (Real(1) - f);
    // g_t = tanh(a_g)     =>  dL/da_g = dL/dg_t * (1 - g_t^2)
    d_a[2 * H + j] = d_g * (Real(1) - g * g);
    // o_t = sigmoid(a_o)  =>  dL/da_o = dL/do_t * o_t (1 - o_t)
    d_a[3 * H + j] = d_o * o * (Real(1) - o);
  }
}

// ---------------------------------------------------------------------------
// The layer: forward over T steps

// h (T+1, B, H), c (T+1, B, H): slot 0 is read (the initial state), slots 1..T written.
// gates (T, B, 4H): written, the gate values i, f, g, o after their nonlinearities
//                   (backward needs them; they hold the pre-activations a_t on the way).
// tanh_c (T, B, H): written, tanh(c_t).
// x (T, B, D), w_x (4H, D), w_h (4H, H), b (4H).
template <class Real>
void lstm_forward(Real* h, Real* c, Real* gates, Real* tanh_c, const Real* x, const Real* w_x,
                  const Real* w_h, const Real* b, int64_t T, int64_t B, int64_t D, int64_t H) {
  const int64_t G = 4 * H, BH = B * H;
  // The input part of every step does not depend on the recurrence, so all T steps are
  // one product:  a_t = x_t W_x^T + b   for t = 1..T        (T*B, 4H) = (T*B, D) x (D, 4H)
  for (int64_t r = 0; r < T * B; ++r)
    for (int64_t j = 0; j < G; ++j) gates[r * G + j] = b[j];
  matmul_accumulate(mat(gates, T * B, G), mat(x, T * B, D), transpose(mat(w_x, G, D)));
  // The recurrent part goes step by step: a_t needs h_{t-1}.
  for (int64_t t = 1; t <= T; ++t) {
    Real* a = gates + (t - 1) * B * G;      // (B, 4H), holds x_t W_x^T + b on entry
    const Real* h_prev = h + (t - 1) * BH;  // (B, H)
    const Real* c_prev = c + (t - 1) * BH;  // (B, H)
    Real* h_t = h + t * BH;                 // (B, H)
    Real* c_t = c + t * BH;                 // (B, H)
    Real* tc_t = tanh_c + (t - 1) * BH;     // (B, H)
    // a_t += h_{t-1} W_h^T     (B, H) x (H, 4H): all four gates of the whole batch in one
    // product through common's kernel.
    matmul_accumulate(mat(a, B, G), mat(h_prev, B, H), transpose(mat(w_h, G, H)));
    for (int64_t n = 0; n < B; ++n)
      lstm_cell_forward(a + n * G, c_t + n * H, tc_t + n * H, h_t + n * H, c_prev + n * H, H);
  }
}

// ---------------------------------------------------------------------------
// The layer: backpropagation through time, step by step from t = T down to 1

// d_h (T, B, H): in, dLoss/dh_t through the outputs only (the head, or the layer above);
//                out, the TOTAL dLoss/dh_t (outputs plus all later steps). Slot t-1 holds step t.
// d_c (B, H):    workspace, dLoss/dc_t carried from step t+1 back to step t.
// d_a (T, B, 4H): workspace, dLoss/da_t for the gate pre-activations.
// d_x (T, B, D) (may be null), d_w_x (4H, D), d_w_h (4H, H), d_b (4H): accumulated.
// The initial state h[0], c[0] gets no gradient (truncated BPTT stops there).
template <class Real>
void lstm_backward(Real* d_x, Real* d_w_x, Real* d_w_h, Real* d_b, Real* d_c, Real* d_a, Real* d_h,
                   const Real* h, const Real* c, const Real* gates, const Real* tanh_c,
                   const Real* x, const Real* w_x, const Real* w_h, int64_t T, int64_t B, int64_t D,
                   int64_t H) {
  const int64_t G = 4 * H, BH = B * H;
  // c_T feeds nothing after the last step: its gradient starts at zero.
  for (int64_t k = 0; k < BH; ++k) d_c[k] = Real(0);
  for (int64_t t = T; t >= 1; --t) {
    const Real* gt = gates + (t - 1) * B * G;  // (B, 4H): i, f, g, o of step t
    const Real* tc_t = tanh_c + (t - 1) * BH;  // (B, H)
    const Real* c_prev = c + (t - 1) * BH;     // (B, H)
    const Real* dh_t = d_h + (t - 1) * BH;     // (B, H), total dL/dh_t (complete on arrival)
    Real* da_t = d_a + (t - 1) * B * G;        // (B, 4H)
    for (int64_t n = 0; n < B; ++n)
      lstm_cell_backward(da_t + n * G, d_c + n * H, gt + n * G, tc_t + n * H, c_prev + n * H,
                         dh_t + n * H, H);
    // a_t = ... + h_{t-1} W_h^T  =>  dL/dh_{t-1} += dL/da_t W_h     (B, 4H) x (4H, H)
    if (t > 1) matmul_accumulate(mat(d_h + (t - 2) * BH, B, H), mat(da_t, B, G), mat(w_h, G, H));
  }
  // The weights serve every step, so their gradients sum over steps; with all d_a_t
  // known, each sum is one product over the T*B rows:
  //   a_t = ... + h_{t-1} W_h^T  =>  d_W_h (4H, H) += d_a^T (4H, T*B) . h[0..T-1] (T*B, H)
  matmul_accumulate(mat(d_w_h, G, H), transpose(mat(d_a, T * B, G)), mat(h, T * B, H));
  //   a_t = x_t W_x^T + ...      =>  d_W_x (4H, D) += d_a^T (4H, T*B) . x (T*B, D)
  matmul_accumulate(mat(d_w_x, G, D), transpose(mat(d_a, T * B, G)), mat(x, T * B, D));
  //   a_t = ... + b              =>  d_b (4H) += sum over all rows of d_a
  for (int64_t r = 0; r < T * B; ++r)
    for (int64_t j = 0; j < G; ++j) d_b[j] += d_a[r * G + j];
  //   a_t = x_t W_x^T + ...      =>  d_x (T*B, D) += d_a (T*B, 4H) . W_x (4H, D)
  if (d_x != nullptr) matmul_accumulate(mat(d_x, T * B, D), mat(d_a, T * B, G), mat(w_x, G, D));
}

// ---------------------------------------------------------------------------
// The model: L stacked layers (layer l > 0 reads layer l-1's h_t as its x_t)

struct LstmConfig {
  int64_t vocab = 0;         // V; 0 = the input is real values, no embedding table
  int64_t input = 64;        // D: embedding width (or the width of the real-valued input)
  int64_t hidden = 256;      // H (every layer)
  int64_t layers = 1;        // L
  int64_t output = 1;        // O: the head's outputs (the task decides which steps it reads)
  float forget_bias = 1.0f;  // initial b_f (Gers et al. 2000; Jozefowicz et al. 2015)
  int64_t chrono_tmax = 0;   // > 0: the chrono initialisation for dependencies up to this
                             // many steps instead of forget_bias (Tallec and Ollivier 2018)
};

struct LstmParams {
  std::vector<float> data;  // every parameter, one buffer
  float* embed = nullptr;   // (V, D)  only when vocab > 0
  struct Layer {
    float* w_x;  // (4H, D_l), D_0 = D, D_l = H above: rows [W_xi; W_xf; W_xg; W_xo]
    float* w_h;  // (4H, H)
    float* b;    // (4H)
  };
  std::vector<Layer> layer;  // L
  float* w_hy = nullptr;     // (O, H) the head on the top layer: y = h W_hy^T + b_y
  float* b_y = nullptr;      // (O)

  explicit LstmParams(const LstmConfig& config);  // zeros
  LstmParams(const LstmParams& other);
  LstmParams& operator=(const LstmParams& other);
  int64_t size() const { return static_cast<int64_t>(data.size()); }
  void zero();
  struct View {
    std::string name;  // "embed", "l0.w_x", "l0.w_h", "l0.b", "l1.w_x", ..., "w_hy", "b_y"
    float* data;
    std::vector<int64_t> shape;
  };
  std::vector<View> views();

 private:
  void point();
  LstmConfig config_;
};

// Weights (the head's too) uniform in [-1/sqrt(H), 1/sqrt(H)] (PyTorch's nn.LSTM), embedding
// standard normal, biases zero except the forget gate's:
//   b_f = forget_bias (1.0): f_t starts near sigmoid(1) = 0.73 instead of 0.5, so the cell
//         keeps its content for a few steps from the start (Gers et al. 2000 suggested
//         positive forget biases; Jozefowicz, Zaremba and Sutskever 2015 found 1 works);
//   chrono (Tallec and Ollivier 2018): b_f = log(u), u ~ Uniform[1, T_max - 1], and
//         b_i = -b_f. A cell with forget gate f forgets with time constant 1 / (1 - f);
//         sigmoid(log u) = u / (1 + u) gives time constants spread from 2 to T_max steps,
//         so some cells remember as long as the task needs from step 0.
void lstm_init(LstmParams& params, const LstmConfig& config, common::Rng& rng);

// Activations for T steps of B sequences, allocated once.
struct LstmState {
  LstmState(const LstmConfig& config, int64_t T, int64_t B);
  int64_t T, B;
  std::vector<float> x, d_x;  // (T, B, D) inputs (embedded tokens or values), their gradient
  struct Layer {
    std::vector<float> h, c;    // (T+1, B, H); slot 0 = the initial state
    std::vector<float> gates;   // (T, B, 4H) i, f, g, o
    std::vector<float> tanh_c;  // (T, B, H)
    std::vector<float> d_h;     // (T, B, H)
    std::vector<float> d_a;     // (T, B, 4H)
  };
  std::vector<Layer> layer;                         // L
  std::vector<float> d_c;                           // (B, H) workspace of lstm_backward
  float* top_h() { return layer.back().h.data(); }  // (T+1, B, H) of the top layer
  const float* top_h() const { return layer.back().h.data(); }
  float* top_d_h() { return layer.back().d_h.data(); }  // (T, B, H)
  // Truncated BPTT: h_T and c_T of every layer become the next chunk's slot 0.
  void carry_state();
  void reset_state();
};

// Every layer over T steps, from st.x and the initial states.
void recurrent_forward(LstmState& st, const LstmParams& p, const LstmConfig& c);
// After the forward, with top_d_h() holding dLoss/dh_t through the head: accumulates the
// recurrent parameters' gradients into g (not the embedding's or the head's, which the
// task computes) and writes d_x (T, B, D).
void recurrent_backward(LstmParams& g, LstmState& st, const LstmParams& p, const LstmConfig& c);

}  // namespace phase4
