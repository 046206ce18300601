// phase3_cnn_rnn/char_rnn.h -- task 2 of the RNN: a character-level language model.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "data.h"
#include "rnn.h"

namespace phase3 {

// ---------------------------------------------------------------------------
// Task 2: a character-level language model

struct CharCorpus {
  std::string name;     // "shakespeare", "kjv"
  std::string variant;  // data/NAME/SOURCE
  std::string text;     // the whole corpus
  common::CharVocab vocab;
  std::vector<int> train, val;  // token ids: the first 90%, the last 10%
};
// data/shakespeare/input.txt or data/kjv/kjv.txt; max_chars > 0 keeps only the start.
CharCorpus load_char_corpus(const std::string& data_dir, const std::string& name,
                            int64_t max_chars = 0);

struct CharRnnTrainConfig {
  int64_t seq_len = 100;       // T: steps of BPTT per update (truncation length)
  int64_t batch = 32;          // B: parallel streams through the text
  int64_t steps = 6000;        // Adam updates
  AdamConfig adam{2e-3f};      // learning rate 2e-3 (cosine decay to 0 over the steps)
  float clip = 5.0f;           // gradient-norm clipping
  int64_t eval_every = 1000;   // steps between validation losses and printed samples
  int64_t sample_chars = 200;  // length of the samples printed during training
  float temperature = 0.8f;
  std::string prompt = "ROMEO:";
  uint64_t seed = 1;
  bool verbose = true;
  // Resumable training: with a checkpoint path, the whole training state (parameters, Adam's
  // moments and step, the hidden state carried to the next chunk, the step reached, the loss
  // curves) is saved there every checkpoint_every steps and at the end; with resume, a run
  // starts from that file when it exists and ends with the same bits as an uninterrupted run.
  std::string checkpoint;  // "" = none
  int64_t checkpoint_every = 500;
  bool resume = false;
  int64_t stop_after = 0;  // > 0: stop after this step (as if interrupted; resume continues)
};

struct CharRnnTrainResult {
  double val_loss = 0.0;           // nats per character on the held-out 10%
  double train_loss = 0.0;         // mean over the last eval_every steps
  double tokens_per_second = 0.0;  // training throughput (evaluation excluded)
  double train_seconds = 0.0;
  std::vector<double> eval_steps, val_history, train_history;
};

struct CharRnn {
  RnnConfig config;
  RnnParams params, grads;
  Adam adam;
  explicit CharRnn(const RnnConfig& c) : config(c), params(c), grads(c), adam(params.size()) {}
};

// Truncated BPTT over B streams: the training text is cut into B equal parts read side by
// side, T characters at a time; the hidden state carries over from one chunk to the next
// (a new pass starts from zeros), the gradient stops at each chunk's start.
CharRnnTrainResult train_char_rnn(CharRnn& model, const CharCorpus& corpus,
                                  const CharRnnTrainConfig& train);
// Mean cross-entropy (nats per character) over `tokens`, read the same way in B streams.
double char_rnn_loss(const RnnParams& params, const RnnConfig& config,
                     const std::vector<int>& tokens, int64_t seq_len, int64_t batch);

// Feeds the prompt, then samples n_chars characters one at a time from
// softmax(scores / temperature). Returns the prompt followed by the sample.
std::string sample_text(const RnnParams& params, const RnnConfig& config,
                        const common::CharVocab& vocab, const std::string& prompt, int64_t n_chars,
                        float temperature, common::Rng& rng);

// The lower-cased runs of letters in `text` (ASCII letters and apostrophes inside words).
std::vector<std::string> words_of(const std::string& text);
// Fraction of the words of `sample` that occur among `known` (0 when it has none).
double known_word_fraction(const std::string& sample, const std::set<std::string>& known);

// The trained parameters as a checkpoint (common/checkpoint.h): one named tensor per view
// of RnnParams ("embedding", "w_xh", ...). Loading checks names and shapes against `params`.
void save_rnn_checkpoint(const std::string& path, RnnParams& params);
void load_rnn_checkpoint(const std::string& path, RnnParams& params);

}  // namespace phase3
