// phase4_lstm_gan/char_lstm.h -- longer text: a character-level LSTM on tiny Shakespeare,
// against phase 3's character RNN at the same step budget (experiment char_lstm).
//
// The task is phase 3's (char_rnn.h there), with the same data split and validation:
// the last 10% of the text held out, the loss the mean cross-entropy (nats per character)
// over the whole validation text read in the training's B streams. The model:
//   x_t = E[token_t]                     embedding (V, D)
//   h_t = LSTM stack (lstm.h) or RNN (rnn.h) over x_1..x_t
//   y_t = h_t W_hy^T + b_y               scores for the next character (V)
//   loss = mean over t, b of -log softmax(y_t)[token_{t+1}]
// Training is truncated BPTT (phase 3): B streams read the text side by side, T characters
// per update, the state flowing on from chunk to chunk and the gradient stopping at each
// chunk's start. The forward and backward of one chunk are templates here (the golden test
// runs them on the LSTM); training, evaluation and sampling are in char_lstm.cpp.
//
// Dimension letters: T time steps, B streams, D embedding width, H hidden units,
// V vocabulary (characters).
#pragma once

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "adam.h"
#include "data.h"
#include "layers.h"
#include "lstm.h"
#include "rnn.h"

namespace phase4 {

// ---------------------------------------------------------------------------
// Data (copied from phase3_cnn_rnn/char_rnn.h, tiny Shakespeare only)

struct CharCorpus {
  std::string variant;  // data/shakespeare/SOURCE
  std::string text;     // the whole corpus
  common::CharVocab vocab;
  std::vector<int> train, val;  // token ids: the first 90%, the last 10%
};
// data/shakespeare/input.txt; max_chars > 0 keeps only the start.
CharCorpus load_char_corpus(const std::string& data_dir, int64_t max_chars = 0);

// ---------------------------------------------------------------------------
// One chunk: forward and backward (either model)

// probs, logits (T*B, V); inputs, targets (T, B) token ids. Returns the mean cross-entropy.
template <class Config, class Params, class State>
float char_forward(State& st, float* probs, float* logits, const Params& p, const Config& c,
                   const int* inputs, const int* targets) {
  const int64_t T = st.T, B = st.B, D = c.input, H = c.hidden, V = c.output;
  // x_t = E[token_t]                       (T*B, D)
  embedding_forward(st.x.data(), inputs, p.embed, T * B, D);
  // h_t for t = 1..T: the recurrent model
  recurrent_forward(st, p, c);
  // y_t = h_t W_hy^T + b_y                 (T*B, V): all steps in one product
  linear_forward(logits, st.top_h() + B * H, p.w_hy, p.b_y, T * B, H, V);
  // mean over all T*B positions of -log softmax(y_t)[target_t]
  return softmax_cross_entropy_forward(probs, logits, targets, T * B, V);
}

// After char_forward: accumulates dLoss/dparams into g. d_logits (T*B, V) is workspace.
template <class Config, class Params, class State>
void char_backward(Params& g, State& st, float* d_logits, const float* probs, const Params& p,
                   const Config& c, const int* inputs, const int* targets) {
  const int64_t T = st.T, B = st.B, D = c.input, H = c.hidden, V = c.output;
  // loss = mean CE(softmax(y))  =>  dL/dy = (p - onehot) / (T*B)
  std::fill(d_logits, d_logits + T * B * V, 0.0f);
  softmax_cross_entropy_backward(d_logits, probs, targets, T * B, V);
  // y_t = h_t W_hy^T + b_y  =>  dL/dh_t (from the head), dW_hy, db_y
  float* d_h = st.top_d_h();  // (T, B, H)
  std::fill(d_h, d_h + T * B * H, 0.0f);
  linear_backward(d_h, g.w_hy, g.b_y, d_logits, st.top_h() + B * H, p.w_hy, T * B, H, V);
  // back through time and the layers: d_x (T*B, D)
  recurrent_backward(g, st, p, c);
  // x_t = E[token_t]  =>  dE[token_t] += dL/dx_t
  embedding_backward(g.embed, st.d_x.data(), inputs, T * B, D);
}

// ---------------------------------------------------------------------------
// Training, evaluation, sampling

struct CharTrainConfig {
  int64_t seq_len = 100;     // T: steps of BPTT per update
  int64_t batch = 32;        // B: parallel streams through the text
  int64_t steps = 3400;      // Adam updates
  AdamConfig adam{3e-3f};    // learning rate 3e-3 (cosine decay to 0 over the steps): with
                             // 2e-3 (phase 3's) the LSTM ends at 1.600 instead of 1.556
  float clip = 5.0f;         // gradient-norm clipping
  int64_t eval_every = 200;  // steps between validation losses
  uint64_t seed = 1;
  bool verbose = true;
  bool evaluate = true;  // false: no validation at all (the bench)
};

struct CharTrainResult {
  double val_loss = 0.0;           // nats per character on the held-out 10%
  double train_loss = 0.0;         // mean over the last eval_every steps
  double tokens_per_second = 0.0;  // training throughput (evaluation excluded)
  double train_seconds = 0.0;
  std::vector<double> eval_steps, val_history, train_history;
};

// A character model: its sizes, parameters, gradients and optimiser state.
template <class Config, class Params>
struct CharModel {
  Config config;
  Params params, grads;
  Adam adam;
  explicit CharModel(const Config& c) : config(c), params(c), grads(c), adam(params.size()) {}
};
using CharLstm = CharModel<LstmConfig, LstmParams>;
using CharRnn = CharModel<RnnConfig, RnnParams>;

// Initialises (seeded by train.seed) and trains by truncated BPTT.
CharTrainResult train_char_model(CharLstm& model, const CharCorpus& corpus,
                                 const CharTrainConfig& train, const char* label);
CharTrainResult train_char_model(CharRnn& model, const CharCorpus& corpus,
                                 const CharTrainConfig& train, const char* label);

// Feeds the prompt, then samples n_chars characters one at a time from
// softmax(scores / temperature). Returns the prompt followed by the sample.
std::string sample_text(const CharLstm& model, const common::CharVocab& vocab,
                        const std::string& prompt, int64_t n_chars, float temperature,
                        common::Rng& rng);

// The lower-cased runs of letters in `text` (copied from phase3_cnn_rnn/char_rnn.h).
std::vector<std::string> words_of(const std::string& text);
// Fraction of the words of `sample` that occur among `known` (0 when it has none).
double known_word_fraction(const std::string& sample, const std::set<std::string>& known);

}  // namespace phase4
