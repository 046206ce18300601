// phase3_cnn_rnn/char_rnn.cpp -- see char_rnn.h.
#include "char_rnn.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>

#include "checkpoint.h"
#include "error.h"
#include "files.h"
#include "layers.h"
#include "progress.h"
#include "thread_pool.h"

namespace phase3 {

// ---------------------------------------------------------------------------
// Task 2: the character-level language model

CharCorpus load_char_corpus(const std::string& data_dir, const std::string& name,
                            int64_t max_chars) {
  std::string file;
  if (name == "shakespeare")
    file = "input.txt";
  else if (name == "kjv")
    file = "kjv.txt";
  else
    throw common::UsageError("unknown corpus '" + name + "' (expected shakespeare or kjv)");
  CharCorpus corpus;
  corpus.name = name;
  corpus.text = common::read_text_corpus(common::require_data_file(data_dir, name, file));
  corpus.variant = common::dataset_variant(data_dir, name);
  if (max_chars > 0 && static_cast<int64_t>(corpus.text.size()) > max_chars) {
    // Cut at a character boundary (never inside a UTF-8 sequence).
    size_t cut = static_cast<size_t>(max_chars);
    while (cut > 0 && (static_cast<unsigned char>(corpus.text[cut]) & 0xC0) == 0x80) --cut;
    corpus.text.resize(cut);
  }
  corpus.vocab = common::build_char_vocab(corpus.text);
  const std::vector<int> ids = corpus.vocab.encode(corpus.text);
  // The last 10% is held out for validation (the end of the text, not a random sample,
  // so no validation sentence has its neighbours in the training part).
  const size_t n_val = ids.size() / 10;
  corpus.train.assign(ids.begin(), ids.end() - static_cast<std::ptrdiff_t>(n_val));
  corpus.val.assign(ids.end() - static_cast<std::ptrdiff_t>(n_val), ids.end());
  return corpus;
}

namespace {

// The B streams over `tokens`: stream b is tokens[b*L .. (b+1)*L] with L = (n-1)/B
// (one extra token for the last target). Chunk c of every stream fills inputs/targets
// (T, B) with positions c*T .. c*T+T-1.
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

}  // namespace

double char_rnn_loss(const RnnParams& params, const RnnConfig& config,
                     const std::vector<int>& tokens, int64_t seq_len, int64_t batch) {
  const int64_t length = (static_cast<int64_t>(tokens.size()) - 1) / batch;
  const int64_t T = std::min(seq_len, length);
  if (T < 1) throw common::Error("char_rnn: the validation text is too short for the batch");
  const Streams streams(tokens, T, batch);
  RnnState st(config, T, batch);
  std::vector<int> inputs(static_cast<size_t>(T * batch)), targets(inputs.size());
  double sum = 0.0;
  st.reset_state();
  for (int64_t c = 0; c < streams.chunks(); ++c) {
    if (c > 0) st.carry_state();
    streams.fill(c, inputs.data(), targets.data());
    sum += rnn_forward_tokens(st, params, config, inputs.data(), targets.data());
  }
  return sum / static_cast<double>(streams.chunks());
}

std::string sample_text(const RnnParams& p, const RnnConfig& c, const common::CharVocab& vocab,
                        const std::string& prompt, int64_t n_chars, float temperature,
                        common::Rng& rng) {
  if (prompt.empty()) throw common::UsageError("the sampling prompt must not be empty");
  if (!(temperature > 0.0f)) throw common::UsageError("the temperature must be positive");
  const std::vector<int> prompt_ids = vocab.encode(prompt);
  const int64_t D = c.input, H = c.hidden, V = c.output;
  RnnState st(c, 1, 1);  // one step of one sequence at a time; h starts at zero
  std::vector<float> probs(static_cast<size_t>(V));
  std::string text = prompt;
  // One step: x = E[token]; h = tanh(W_xh x + W_hh h + b_h); y = W_hy h + b_y.
  auto step = [&](int token) {
    st.carry_state();
    embedding_forward(st.x.data(), &token, p.embed, 1, D);
    rnn_forward(st.h.data(), st.x.data(), p.w_xh, p.w_hh, p.b_h, 1, 1, D, H);
    linear_forward(st.y.data(), st.h.data() + H, p.w_hy, p.b_y, 1, H, V);
  };
  for (int id : prompt_ids) step(id);  // read the prompt: its last scores predict what follows
  for (int64_t i = 0; i < n_chars; ++i) {
    // p_v proportional to exp(y_v / temperature): below 1 sharpens, above 1 flattens.
    const float y_max = *std::max_element(st.y.begin(), st.y.end());
    for (int64_t v = 0; v < V; ++v)
      probs[static_cast<size_t>(v)] =
          std::exp((st.y[static_cast<size_t>(v)] - y_max) / temperature);
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

// ---------------------------------------------------------------------------
// The training state as a checkpoint, so that a long run can stop and resume exactly.

namespace {

struct TrainingProgress {  // what the loop carries from one step to the next besides the model
  int64_t next_step = 0;
  double window_loss = 0.0, train_seconds = 0.0;
  int64_t window_steps = 0;
};

// The settings a resumed run must share with the run that saved the file.
common::CheckpointMeta fingerprint(const CharRnnTrainConfig& train, const RnnConfig& c) {
  common::CheckpointMeta meta;
  meta.set_ints("char_rnn_run", {static_cast<int64_t>(train.seed), train.steps, train.seq_len,
                                 train.batch, c.vocab, c.input, c.hidden});
  return meta;
}

std::string reals_to_text(const std::vector<double>& values) {
  std::string text;
  char buffer[32];
  for (double v : values) {
    std::snprintf(buffer, sizeof buffer, "%.17g ", v);  // 17 digits: the exact double
    text += buffer;
  }
  return text;
}

std::vector<double> text_to_reals(const std::string& text) {
  std::vector<double> values;
  for (size_t pos = 0; pos < text.size();) {
    size_t used = 0;
    values.push_back(std::stod(text.substr(pos), &used));
    pos += used;
    while (pos < text.size() && text[pos] == ' ') ++pos;
  }
  return values;
}

void save_training(const std::string& path, CharRnn& model, const RnnState& st,
                   const TrainingProgress& progress, const CharRnnTrainResult& result,
                   const CharRnnTrainConfig& train) {
  const int64_t BH = static_cast<int64_t>(st.h.size()) / (st.T + 1);
  std::vector<common::Tensor> storage;
  std::vector<std::string> names;
  for (auto& v : model.params.views()) {
    storage.emplace_back(v.shape);
    std::copy(v.data, v.data + storage.back().size(), storage.back().data());
    names.push_back(v.name);
  }
  const auto add = [&](const std::string& name, const float* data, int64_t n) {
    storage.emplace_back(std::vector<int64_t>{n});
    std::copy(data, data + n, storage.back().data());
    names.push_back(name);
  };
  add("adam.m", model.adam.m.data(), static_cast<int64_t>(model.adam.m.size()));
  add("adam.v", model.adam.v.data(), static_cast<int64_t>(model.adam.v.size()));
  add("carried_state", st.h.data() + st.T * BH, BH);  // h_T: h_0 of the next chunk
  std::vector<std::pair<std::string, const common::Tensor*>> named;
  for (size_t i = 0; i < storage.size(); ++i) named.emplace_back(names[i], &storage[i]);
  common::CheckpointMeta meta = fingerprint(train, model.config);
  meta.set_int("next_step", progress.next_step);
  meta.set_int("adam_t", model.adam.t);
  meta.set_real("window_loss", progress.window_loss);
  meta.set_int("window_steps", progress.window_steps);
  meta.set_real("train_seconds", progress.train_seconds);
  meta.set_text("eval_steps", reals_to_text(result.eval_steps));
  meta.set_text("val_history", reals_to_text(result.val_history));
  meta.set_text("train_history", reals_to_text(result.train_history));
  common::save_checkpoint(path, named, meta);
}

TrainingProgress load_training(const std::string& path, CharRnn& model, RnnState& st,
                               CharRnnTrainResult& result, const CharRnnTrainConfig& train) {
  const int64_t BH = static_cast<int64_t>(st.h.size()) / (st.T + 1);
  std::vector<common::Tensor> storage;
  std::vector<std::pair<std::string, common::Tensor*>> named;
  auto views = model.params.views();
  for (auto& v : views) storage.emplace_back(v.shape);
  storage.emplace_back(std::vector<int64_t>{static_cast<int64_t>(model.adam.m.size())});
  storage.emplace_back(std::vector<int64_t>{static_cast<int64_t>(model.adam.v.size())});
  storage.emplace_back(std::vector<int64_t>{BH});
  for (size_t i = 0; i < views.size(); ++i) named.emplace_back(views[i].name, &storage[i]);
  named.emplace_back("adam.m", &storage[views.size()]);
  named.emplace_back("adam.v", &storage[views.size() + 1]);
  named.emplace_back("carried_state", &storage[views.size() + 2]);
  const common::CheckpointMeta meta = common::load_checkpoint(path, named);
  if (meta.get_ints("char_rnn_run") != fingerprint(train, model.config).get_ints("char_rnn_run"))
    throw common::Error(path +
                        ": saved by a char_rnn run with other settings (seed, steps, "
                        "sequence length, batch or model size); delete it or give the same flags");
  for (size_t i = 0; i < views.size(); ++i)
    std::copy(storage[i].begin(), storage[i].end(), views[i].data);
  const common::Tensor& m = storage[views.size()];
  const common::Tensor& v = storage[views.size() + 1];
  const common::Tensor& carried = storage[views.size() + 2];
  std::copy(m.begin(), m.end(), model.adam.m.begin());
  std::copy(v.begin(), v.end(), model.adam.v.begin());
  std::copy(carried.begin(), carried.end(), st.h.begin() + st.T * BH);  // carry_state() reads it
  model.adam.t = meta.get_int("adam_t");
  result.eval_steps = text_to_reals(meta.get_text("eval_steps"));
  result.val_history = text_to_reals(meta.get_text("val_history"));
  result.train_history = text_to_reals(meta.get_text("train_history"));
  if (!result.val_history.empty()) {
    result.val_loss = result.val_history.back();
    result.train_loss = result.train_history.back();
  }
  TrainingProgress progress;
  progress.next_step = meta.get_int("next_step");
  progress.window_loss = meta.get_real("window_loss");
  progress.window_steps = meta.get_int("window_steps");
  progress.train_seconds = meta.get_real("train_seconds");
  return progress;
}

}  // namespace

CharRnnTrainResult train_char_rnn(CharRnn& model, const CharCorpus& corpus,
                                  const CharRnnTrainConfig& train) {
  const RnnConfig& c = model.config;
  common::Rng rng(train.seed);
  rnn_init(model.params, c, rng);
  model.adam = Adam(model.params.size());
  const int64_t T = train.seq_len, B = train.batch;
  const Streams streams(corpus.train, T, B);
  if (streams.chunks() < 1)
    throw common::Error("char_rnn: the training text is too short for " + std::to_string(B) +
                        " streams of " + std::to_string(T) + " characters");
  RnnState st(c, T, B);
  std::vector<int> inputs(static_cast<size_t>(T * B)), targets(inputs.size());  // (T, B)

  CharRnnTrainResult result;
  TrainingProgress progress;
  if (train.resume && !train.checkpoint.empty() && common::file_exists(train.checkpoint)) {
    progress = load_training(train.checkpoint, model, st, result, train);
    if (train.verbose)
      std::printf("  resuming from %s at step %lld\n", train.checkpoint.c_str(),
                  static_cast<long long>(progress.next_step));
  }
  double& train_seconds = progress.train_seconds;
  double& window_loss = progress.window_loss;
  int64_t& window_steps = progress.window_steps;
  const int64_t first_step = progress.next_step;
  std::optional<common::ProgressBar> bar;
  if (train.verbose) bar.emplace("char_rnn", train.steps, "step");
  common::Timer step_clock;
  for (int64_t step = first_step; step < train.steps; ++step) {
    step_clock.reset();
    const int64_t chunk = step % streams.chunks();
    if (chunk == 0)
      st.reset_state();  // a new pass over the text starts from h = 0
    else
      st.carry_state();  // truncated BPTT: keep the state, drop the gradient path
    streams.fill(chunk, inputs.data(), targets.data());
    const float loss = rnn_forward_tokens(st, model.params, c, inputs.data(), targets.data());
    check_finite_loss(loss, step, "char_rnn");
    model.grads.zero();
    rnn_backward_tokens(model.grads, st, model.params, c, inputs.data(), targets.data());
    clip_grad_norm(model.grads.data.data(), model.grads.size(), train.clip);
    model.adam.step(model.params.data.data(), model.grads.data.data(),
                    cosine_lr(train.adam.lr, step, train.steps), train.adam);
    train_seconds += step_clock.seconds();
    window_loss += loss;
    ++window_steps;
    if (bar) {
      char metric[48];
      std::snprintf(metric, sizeof metric, "loss %.3f", window_loss / window_steps);
      bar->update(step + 1, metric);
    }
    const bool last = step + 1 == train.steps;
    if ((step + 1) % train.eval_every == 0 || last) {
      const double val = char_rnn_loss(model.params, c, corpus.val, T, B);
      result.eval_steps.push_back(static_cast<double>(step + 1));
      result.val_history.push_back(val);
      result.train_history.push_back(window_loss / window_steps);
      result.train_loss = window_loss / window_steps;
      result.val_loss = val;
      if (train.verbose) {
        common::Rng sample_rng(train.seed + static_cast<uint64_t>(step));
        const std::string sample = sample_text(model.params, c, corpus.vocab, train.prompt,
                                               train.sample_chars, train.temperature, sample_rng);
        std::printf("\n  step %lld: train loss %.3f, validation loss %.3f nats/char. Sample:\n%s\n",
                    static_cast<long long>(step + 1), result.train_loss, val, sample.c_str());
        std::fflush(stdout);
      }
      window_loss = 0.0;
      window_steps = 0;
    }
    progress.next_step = step + 1;
    const bool stop = train.stop_after > 0 && step + 1 == train.stop_after;
    if (!train.checkpoint.empty() && ((step + 1) % train.checkpoint_every == 0 || last || stop))
      save_training(train.checkpoint, model, st, progress, result, train);
    if (stop) break;
  }
  if (bar) bar->finish();
  result.train_seconds = train_seconds;
  result.tokens_per_second =
      train_seconds > 0 ? static_cast<double>(progress.next_step * T * B) / train_seconds : 0.0;
  return result;
}

void save_rnn_checkpoint(const std::string& path, RnnParams& params) {
  std::vector<common::Tensor> storage;
  for (auto& v : params.views()) {
    common::Tensor t(v.shape);
    std::copy(v.data, v.data + t.size(), t.data());
    storage.push_back(std::move(t));
  }
  std::vector<std::pair<std::string, const common::Tensor*>> named;
  const auto views = params.views();
  for (size_t i = 0; i < views.size(); ++i) named.emplace_back(views[i].name, &storage[i]);
  common::save_checkpoint(path, named);
}

void load_rnn_checkpoint(const std::string& path, RnnParams& params) {
  std::vector<std::pair<std::string, common::Tensor*>> named;
  std::vector<common::Tensor> storage;
  auto views = params.views();
  for (auto& v : views) storage.emplace_back(v.shape);
  for (size_t i = 0; i < views.size(); ++i) named.emplace_back(views[i].name, &storage[i]);
  common::load_checkpoint(path, named);
  for (size_t i = 0; i < views.size(); ++i)
    std::copy(storage[i].begin(), storage[i].end(), views[i].data);
}

}  // namespace phase3
