// phase4_lstm_gan/char_lstm.cpp -- see char_lstm.h. Training, evaluation and sampling are
// written once, as templates over the model (LSTM or RNN), and offered for both.
#include "char_lstm.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>

#include "console.h"
#include "error.h"
#include "files.h"
#include "progress.h"

namespace phase4 {

// ---------------------------------------------------------------------------
// Data (copied from phase3_cnn_rnn/char_rnn.cpp)

CharCorpus load_char_corpus(const std::string& data_dir, int64_t max_chars) {
  CharCorpus corpus;
  corpus.text =
      common::read_text_corpus(common::require_data_file(data_dir, "shakespeare", "input.txt"));
  corpus.variant = common::dataset_variant(data_dir, "shakespeare");
  if (max_chars > 0 && static_cast<int64_t>(corpus.text.size()) > max_chars) {
    // Cut at a character boundary (never inside a UTF-8 sequence).
    size_t cut = static_cast<size_t>(max_chars);
    while (cut > 0 && (static_cast<unsigned char>(corpus.text[cut]) & 0xC0) == 0x80) --cut;
    corpus.text.resize(cut);
  }
  corpus.vocab = common::build_char_vocab(corpus.text);
  const std::vector<int> ids = corpus.vocab.encode(corpus.text);
  // The last 10% is held out for validation (the end of the text, as in phase 3).
  const size_t n_val = ids.size() / 10;
  corpus.train.assign(ids.begin(), ids.end() - static_cast<std::ptrdiff_t>(n_val));
  corpus.val.assign(ids.end() - static_cast<std::ptrdiff_t>(n_val), ids.end());
  return corpus;
}

namespace {

// The B streams over `tokens` (phase 3): stream b is tokens[b*L .. (b+1)*L] with
// L = (n-1)/B. Chunk k of every stream fills inputs/targets (T, B) with positions
// k*T .. k*T+T-1.
struct Streams {
  Streams(const std::vector<int>& tokens, int64_t T, int64_t B)
      : tokens_(tokens), T_(T), B_(B), length_((static_cast<int64_t>(tokens.size()) - 1) / B) {}
  int64_t chunks() const { return length_ / T_; }
  void fill(int64_t chunk, int* inputs, int* targets) const {
    for (int64_t t = 0; t < T_; ++t)
      for (int64_t b = 0; b < B_; ++b) {
        const size_t at = static_cast<size_t>(b * length_ + chunk * T_ + t);
        inputs[t * B_ + b] = tokens_[at];
        targets[t * B_ + b] = tokens_[at + 1];
      }
  }

 private:
  const std::vector<int>& tokens_;
  int64_t T_, B_, length_;
};

void init(LstmParams& p, const LstmConfig& c, common::Rng& rng) {
  lstm_init(p, c, rng);
}
void init(RnnParams& p, const RnnConfig& c, common::Rng& rng) {
  rnn_init(p, c, rng);
}
template <class Config>
struct StateOf;
template <>
struct StateOf<LstmConfig> {
  using type = LstmState;
};
template <>
struct StateOf<RnnConfig> {
  using type = RnnState;
};

// Mean cross-entropy over `tokens`, read in B streams of T characters (phase 3's
// validation definition: the whole held-out text, the state carried across chunks).
template <class Config, class Params>
double char_loss(const Params& p, const Config& c, const std::vector<int>& tokens, int64_t T,
                 int64_t B) {
  using State = typename StateOf<Config>::type;
  const Streams streams(tokens, T, B);
  if (streams.chunks() < 1) throw common::Error("char_lstm: the validation text is too short");
  State st(c, T, B);
  std::vector<float> probs(static_cast<size_t>(T * B * c.output)), logits(probs.size());
  std::vector<int> inputs(static_cast<size_t>(T * B)), targets(inputs.size());
  double sum = 0.0;
  st.reset_state();
  for (int64_t k = 0; k < streams.chunks(); ++k) {
    if (k > 0) st.carry_state();
    streams.fill(k, inputs.data(), targets.data());
    sum += char_forward(st, probs.data(), logits.data(), p, c, inputs.data(), targets.data());
  }
  return sum / static_cast<double>(streams.chunks());
}

template <class Config, class Params>
CharTrainResult train(CharModel<Config, Params>& model, const CharCorpus& corpus,
                      const CharTrainConfig& train, const char* label) {
  using State = typename StateOf<Config>::type;
  const Config& c = model.config;
  common::Rng rng(train.seed);
  init(model.params, c, rng);
  model.adam = Adam(model.params.size());
  const int64_t T = train.seq_len, B = train.batch, V = c.output;
  const Streams streams(corpus.train, T, B);
  if (streams.chunks() < 1) throw common::Error("char_lstm: the training text is too short");
  State st(c, T, B);
  std::vector<int> inputs(static_cast<size_t>(T * B)), targets(inputs.size());  // (T, B)
  std::vector<float> probs(static_cast<size_t>(T * B * V)), logits(probs.size()),
      d_logits(probs.size());  // (T*B, V)
  CharTrainResult result;
  double window_loss = 0.0;
  int64_t window_steps = 0;
  std::optional<common::ProgressBar> bar;
  if (train.verbose) bar.emplace(label, train.steps, "step");
  common::Timer step_clock;
  for (int64_t step = 0; step < train.steps; ++step) {
    step_clock.reset();
    const int64_t chunk = step % streams.chunks();
    if (chunk == 0)
      st.reset_state();  // a new pass over the text starts from zeros
    else
      st.carry_state();  // truncated BPTT: keep the state, drop the gradient path
    streams.fill(chunk, inputs.data(), targets.data());
    const float loss = char_forward(st, probs.data(), logits.data(), model.params, c, inputs.data(),
                                    targets.data());
    check_finite_loss(loss, step, "char_lstm");
    model.grads.zero();
    char_backward(model.grads, st, d_logits.data(), probs.data(), model.params, c, inputs.data(),
                  targets.data());
    clip_grad_norm(model.grads.data.data(), model.grads.size(), train.clip);
    model.adam.step(model.params.data.data(), model.grads.data.data(),
                    cosine_lr(train.adam.lr, step, train.steps), train.adam);
    result.train_seconds += step_clock.seconds();
    window_loss += loss;
    ++window_steps;
    if (bar) bar->update(step + 1, common::fmt("loss %.3f", window_loss / window_steps));
    if (train.evaluate && ((step + 1) % train.eval_every == 0 || step + 1 == train.steps)) {
      const double val = char_loss(model.params, c, corpus.val, T, B);
      result.eval_steps.push_back(static_cast<double>(step + 1));
      result.val_history.push_back(val);
      result.train_loss = window_loss / static_cast<double>(window_steps);
      result.train_history.push_back(result.train_loss);
      result.val_loss = val;
      if (bar && (step + 1) % 1000 == 0)
        std::printf("\n  %s step %lld: train loss %.3f, validation loss %.3f nats/char\n", label,
                    static_cast<long long>(step + 1), result.train_loss, val);
      window_loss = 0.0;
      window_steps = 0;
    }
  }
  if (bar) bar->finish();
  result.tokens_per_second = result.train_seconds > 0
                                 ? static_cast<double>(train.steps * T * B) / result.train_seconds
                                 : 0.0;
  return result;
}

}  // namespace

CharTrainResult train_char_model(CharLstm& model, const CharCorpus& corpus,
                                 const CharTrainConfig& config, const char* label) {
  return train(model, corpus, config, label);
}
CharTrainResult train_char_model(CharRnn& model, const CharCorpus& corpus,
                                 const CharTrainConfig& config, const char* label) {
  return train(model, corpus, config, label);
}

std::string sample_text(const CharLstm& model, const common::CharVocab& vocab,
                        const std::string& prompt, int64_t n_chars, float temperature,
                        common::Rng& rng) {
  if (prompt.empty()) throw common::UsageError("the sampling prompt must not be empty");
  if (!(temperature > 0.0f)) throw common::UsageError("the temperature must be positive");
  const LstmConfig& c = model.config;
  const LstmParams& p = model.params;
  const int64_t D = c.input, H = c.hidden, V = c.output;
  LstmState st(c, 1, 1);  // one step of one sequence at a time; the state starts at zero
  std::vector<float> y(static_cast<size_t>(V)), probs(y.size());
  std::string text = prompt;
  // One step: x = E[token]; the LSTM stack; y = h W_hy^T + b_y.
  auto step = [&](int token) {
    st.carry_state();
    embedding_forward(st.x.data(), &token, p.embed, 1, D);
    recurrent_forward(st, p, c);
    linear_forward(y.data(), st.top_h() + H, p.w_hy, p.b_y, 1, H, V);
  };
  for (int id : vocab.encode(prompt)) step(id);  // its last scores predict what follows
  for (int64_t i = 0; i < n_chars; ++i) {
    // p_v proportional to exp(y_v / temperature): below 1 sharpens, above 1 flattens.
    const float y_max = *std::max_element(y.begin(), y.end());
    for (size_t v = 0; v < y.size(); ++v) probs[v] = std::exp((y[v] - y_max) / temperature);
    const int next = static_cast<int>(rng.categorical(probs));
    text += vocab.decode_one(next);
    step(next);
  }
  return text;
}

std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    while (!word.empty() && word.back() == '\'') word.pop_back();  // "lovers'" -> "lovers"
    if (!word.empty()) words.push_back(word);
    word.clear();
  };
  for (char ch : text) {
    const unsigned char u = static_cast<unsigned char>(ch);
    if (std::isalpha(u) || (ch == '\'' && !word.empty()))
      word += static_cast<char>(std::tolower(u));
    else
      flush();
  }
  flush();
  return words;
}

double known_word_fraction(const std::string& sample, const std::set<std::string>& known) {
  const std::vector<std::string> words = words_of(sample);
  if (words.empty()) return 0.0;
  int64_t hits = 0;
  for (const std::string& w : words) hits += known.count(w) > 0;
  return static_cast<double>(hits) / static_cast<double>(words.size());
}

}  // namespace phase4
