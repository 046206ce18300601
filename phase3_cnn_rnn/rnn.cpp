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
// Building blocks

// ---------------------------------------------------------------------------
// Optimisation

float clip_grad_norm(float* grad, int64_t n, float max_norm) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(grad[i]) * grad[i];
  const float norm = static_cast<float>(std::sqrt(sum));
  // PyTorch's clip_grad_norm_ formula (the 1e-6 guards against dividing by zero).
  const float scale = max_norm / (norm + 1e-6f);
  if (scale < 1.0f)
    for (int64_t i = 0; i < n; ++i) grad[i] *= scale;
  return norm;
}

void Adam::step(float* w, const float* grad, float lr, const AdamConfig& c) {
  ++t;
  const float correction1 = 1.0f - std::pow(c.beta1, static_cast<float>(t));
  const float correction2 = 1.0f - std::pow(c.beta2, static_cast<float>(t));
  const int64_t n = static_cast<int64_t>(m.size());
  for (int64_t i = 0; i < n; ++i) {
    const size_t k = static_cast<size_t>(i);
    m[k] = c.beta1 * m[k] + (1.0f - c.beta1) * grad[i];
    v[k] = c.beta2 * v[k] + (1.0f - c.beta2) * grad[i] * grad[i];
    const float m_hat = m[k] / correction1;
    const float v_hat = v[k] / correction2;
    w[i] -= lr * m_hat / (std::sqrt(v_hat) + c.eps);
  }
}

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
  std::optional<common::ProgressBar> bar;
  if (train.verbose) bar.emplace("char_rnn", train.steps, "step");
  double train_seconds = 0.0, window_loss = 0.0;
  int64_t window_steps = 0;
  common::Timer step_clock;
  for (int64_t step = 0; step < train.steps; ++step) {
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
  }
  if (bar) bar->finish();
  result.train_seconds = train_seconds;
  result.tokens_per_second =
      train_seconds > 0 ? static_cast<double>(train.steps * T * B) / train_seconds : 0.0;
  return result;
}

// ---------------------------------------------------------------------------
// The vanishing gradient

VanishingResult measure_vanishing(const RnnParams& params, const RnnConfig& c,
                                  const std::vector<int>& tokens, int64_t max_k, int64_t sequences,
                                  int64_t warmup, uint64_t seed) {
  const int64_t T = warmup + max_k + 1, B = std::min<int64_t>(32, sequences);
  const int64_t H = c.hidden, V = c.output, n = static_cast<int64_t>(tokens.size());
  if (n < T + 2) throw common::Error("vanishing: the text is shorter than one sequence");
  common::Rng rng(seed);
  RnnState st(c, T, B);
  RnnParams grads(c);  // the weight gradients are computed along the way and ignored
  std::vector<int> inputs(static_cast<size_t>(T * B)), targets(inputs.size());
  std::vector<double> sums(static_cast<size_t>(max_k + 1), 0.0);
  VanishingResult result;
  for (int64_t done = 0; done < sequences; done += B) {
    for (int64_t b = 0; b < B; ++b) {
      const int64_t start = rng.randint(0, n - T - 1);
      for (int64_t t = 0; t < T; ++t) {
        inputs[static_cast<size_t>(t * B + b)] = tokens[static_cast<size_t>(start + t)];
        targets[static_cast<size_t>(t * B + b)] = tokens[static_cast<size_t>(start + t + 1)];
      }
    }
    st.reset_state();
    rnn_forward_tokens(st, params, c, inputs.data(), targets.data());
    // The loss of each sequence is its cross-entropy at the last step only.
    std::fill(st.d_y.begin(), st.d_y.end(), 0.0f);
    std::fill(st.d_h.begin(), st.d_h.end(), 0.0f);
    const int64_t last = (T - 1) * B;  // first row of the last step
    for (int64_t b = 0; b < B; ++b)
      softmax_cross_entropy_backward(st.d_y.data() + (last + b) * V,
                                     st.probs.data() + (last + b) * V, targets.data() + last + b, 1,
                                     V);
    linear_backward(st.d_h.data(), grads.w_hy, grads.b_y, st.d_y.data(), st.h.data() + B * H,
                    params.w_hy, T * B, H, V);
    rnn_backward(static_cast<float*>(nullptr), grads.w_xh, grads.w_hh, grads.b_h,
                 static_cast<float*>(nullptr), st.d_a.data(), st.d_h.data(), st.h.data(),
                 st.x.data(), params.w_xh, params.w_hh, T, B, c.input, H);
    // d_h now holds dLoss/dh_t for every t; record its norm k steps before the end.
    for (int64_t k = 0; k <= max_k; ++k) {
      const float* dh = st.d_h.data() + (T - 1 - k) * B * H;
      for (int64_t b = 0; b < B; ++b) {
        double sq = 0.0;
        for (int64_t j = 0; j < H; ++j) sq += static_cast<double>(dh[b * H + j]) * dh[b * H + j];
        sums[static_cast<size_t>(k)] += std::sqrt(sq);
      }
    }
    result.sequences += B;
  }
  result.mean_norm.resize(sums.size());
  for (size_t k = 0; k < sums.size(); ++k)
    result.mean_norm[k] = sums[k] / static_cast<double>(result.sequences);
  // log ||g_k|| ~ a + k log(r): least squares over k = 1..max_k (k = 0 is the output's own
  // gradient, before any recurrent step). Zero norms (flushed below 1e-38) are left out.
  double sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0;
  for (int64_t k = 1; k <= max_k; ++k) {
    const double g = result.mean_norm[static_cast<size_t>(k)];
    if (!(g > 0.0)) continue;
    const double x = static_cast<double>(k), y = std::log(g);
    sx += x, sy += y, sxx += x * x, sxy += x * y, m += 1;
  }
  if (m >= 2) result.decay_per_step = std::exp((m * sxy - sx * sy) / (m * sxx - sx * sx));
  if (max_k >= 50 && result.mean_norm[1] > 0.0)
    result.ratio_k50_k1 = result.mean_norm[50] / result.mean_norm[1];
  return result;
}

}  // namespace phase3
