// phase4_lstm_gan/sentiment.cpp -- see sentiment.h.
#include "sentiment.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <span>

#include "data.h"
#include "error.h"
#include "layers.h"
#include "progress.h"
#include "rng.h"
#include "rnn.h"

namespace phase4 {

// ---------------------------------------------------------------------------
// Data

std::vector<std::string> word_tokens(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (char ch : text) {
    const unsigned char u = static_cast<unsigned char>(ch);
    if (std::isalnum(u) || (ch == '\'' && !word.empty())) {
      word += static_cast<char>(std::tolower(u));
    } else if (!word.empty()) {
      words.push_back(word);
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

SentimentData load_sentiment(const std::string& data_dir) {
  const std::vector<common::LabelledSentence> all = common::read_labelled_sentences(
      common::require_data_file(data_dir, "sentiment", "sentences.tsv"));
  if (all.size() != 3000)
    throw common::Error("data/sentiment/sentences.tsv: " + std::to_string(all.size()) +
                        " sentences, expected 3,000 (scripts/get_data.sh --force sentiment)");
  SentimentData data;
  data.variant = common::dataset_variant(data_dir, "sentiment");
  // The fixed split: a shuffle by its own seed, the first 2,400 for training.
  std::vector<int64_t> order(all.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  common::Rng split_rng(2015);
  split_rng.shuffle(order);
  const size_t n_train = 2400;
  // The vocabulary: every word of the training sentences, in order of first appearance.
  data.words = {"<pad>", "<unk>"};
  std::map<std::string, int> id;
  for (size_t k = 0; k < n_train; ++k)
    for (const std::string& w : word_tokens(all[static_cast<size_t>(order[k])].text))
      if (id.emplace(w, static_cast<int>(data.words.size())).second) data.words.push_back(w);
  for (size_t k = 0; k < order.size(); ++k) {
    const common::LabelledSentence& s = all[static_cast<size_t>(order[k])];
    std::vector<int> ids;
    for (const std::string& w : word_tokens(s.text)) {
      const auto it = id.find(w);
      ids.push_back(it == id.end() ? 1 : it->second);
    }
    if (ids.empty()) ids.push_back(1);  // a sentence of punctuation only: one unknown word
    if (k < n_train) {
      data.train_x.push_back(ids);
      data.train_y.push_back(s.label);
    } else {
      data.test_x.push_back(ids);
      data.test_y.push_back(s.label);
      data.test_text.push_back(s.text);
    }
  }
  return data;
}

// ---------------------------------------------------------------------------
// The baseline: bag-of-words logistic regression, full-batch Adam

namespace {

// z = w . x + b, x the 0/1 presence of each distinct word of the sentence.
double bow_score(const BowModel& m, const std::vector<int>& sentence) {
  std::vector<int> distinct = sentence;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  double z = m.b;
  for (int id : distinct) z += m.w[static_cast<size_t>(id)];
  return z;
}

}  // namespace

BowModel train_bow(const SentimentData& data, const BowConfig& config) {
  const size_t V = data.words.size(), N = data.train_x.size();
  BowModel m;
  m.w.assign(V, 0.0f);
  std::vector<float> params(V + 1, 0.0f), grads(V + 1);  // [w (V), b]
  Adam adam(static_cast<int64_t>(V + 1));
  for (int64_t step = 0; step < config.steps; ++step) {
    std::copy(params.begin(), params.begin() + static_cast<std::ptrdiff_t>(V), m.w.begin());
    m.b = params[V];
    // loss = mean_n BCE(sigmoid(z_n), y_n) + (l2 / 2) |w|^2
    //   =>  dL/dw = mean_n (p_n - y_n) x_n + l2 w,   dL/db = mean_n (p_n - y_n)
    for (size_t v = 0; v < V; ++v) grads[v] = config.l2 * params[v];
    grads[V] = 0.0f;
    for (size_t n = 0; n < N; ++n) {
      const double p = sigmoid_plain(bow_score(m, data.train_x[n]));
      const float d = static_cast<float>((p - data.train_y[n]) / static_cast<double>(N));
      std::vector<int> distinct = data.train_x[n];
      std::sort(distinct.begin(), distinct.end());
      distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
      for (int id : distinct) grads[static_cast<size_t>(id)] += d;
      grads[V] += d;
    }
    adam.step(params.data(), grads.data(), config.lr, AdamConfig{config.lr});
  }
  std::copy(params.begin(), params.begin() + static_cast<std::ptrdiff_t>(V), m.w.begin());
  m.b = params[V];
  return m;
}

double bow_accuracy(const BowModel& m, const std::vector<std::vector<int>>& x,
                    const std::vector<int>& y) {
  int64_t right = 0;
  for (size_t n = 0; n < x.size(); ++n) right += (bow_score(m, x[n]) > 0.0) == (y[n] == 1);
  return static_cast<double>(right) / static_cast<double>(x.size());
}

// ---------------------------------------------------------------------------
// The word LSTM

namespace {

// Fills the state's inputs for a batch: tokens (T, B) left-padded with 0, T = the longest.
int64_t batch_length(const std::vector<std::vector<int>>& x, std::span<const int64_t> batch,
                     int64_t max_words) {
  int64_t T = 1;
  for (int64_t i : batch)
    T = std::max<int64_t>(
        T, std::min<int64_t>(max_words, static_cast<int64_t>(x[static_cast<size_t>(i)].size())));
  return T;
}

void fill_tokens(std::vector<int>& tokens, const std::vector<std::vector<int>>& x,
                 std::span<const int64_t> batch, int64_t T) {
  const int64_t B = static_cast<int64_t>(batch.size());
  tokens.assign(static_cast<size_t>(T * B), 0);  // (T, B), 0 = <pad>
  for (int64_t b = 0; b < B; ++b) {
    const std::vector<int>& s = x[static_cast<size_t>(batch[static_cast<size_t>(b)])];
    const int64_t n = std::min<int64_t>(T, static_cast<int64_t>(s.size()));
    for (int64_t k = 0; k < n; ++k)  // the sentence's last n words end at step T
      tokens[static_cast<size_t>((T - n + k) * B + b)] = s[s.size() - static_cast<size_t>(n - k)];
  }
}

// Forward: embedding, LSTM, the head on h_T, 2-class softmax. Returns the mean loss;
// probs (B, 2). With grads: backward too.
float classify(LstmState& st, std::vector<float>& probs, const LstmParams& p, const LstmConfig& c,
               const std::vector<int>& tokens, const int* labels, LstmParams* grads) {
  const int64_t T = st.T, B = st.B, D = c.input, H = c.hidden;
  embedding_forward(st.x.data(), tokens.data(), p.embed, T * B, D);  // x_t = E[word_t]
  st.reset_state();
  recurrent_forward(st, p, c);
  const float* h_T = st.top_h() + T * B * H;  // (B, H)
  std::vector<float> logits(static_cast<size_t>(B * 2));
  probs.resize(logits.size());
  linear_forward(logits.data(), h_T, p.w_hy, p.b_y, B, H, 2);  // y = h_T W_hy^T + b_y (B, 2)
  const float loss = softmax_cross_entropy_forward(probs.data(), logits.data(), labels, B, 2);
  if (grads != nullptr) {
    std::vector<float> d_logits(logits.size(), 0.0f);
    softmax_cross_entropy_backward(d_logits.data(), probs.data(), labels, B, 2);
    float* d_h = st.top_d_h();  // (T, B, H): only the last step receives a gradient
    std::fill(d_h, d_h + T * B * H, 0.0f);
    linear_backward(d_h + (T - 1) * B * H, grads->w_hy, grads->b_y, d_logits.data(), h_T, p.w_hy, B,
                    H, 2);
    recurrent_backward(*grads, st, p, c);
    embedding_backward(grads->embed, st.d_x.data(), tokens.data(), T * B, D);
  }
  return loss;
}

}  // namespace

SentimentLstm train_sentiment_lstm(const SentimentData& data, const SentimentLstmConfig& sc) {
  const LstmConfig c{.vocab = static_cast<int64_t>(data.words.size()),
                     .input = sc.embed,
                     .hidden = sc.hidden,
                     .layers = 1,
                     .output = 2,
                     .forget_bias = 1.0f,
                     .chrono_tmax = 0};
  SentimentLstm model(c);
  common::Rng rng(sc.seed);
  lstm_init(model.params, c, rng);
  LstmParams grads(c);
  Adam adam(model.params.size());
  const int64_t n = static_cast<int64_t>(data.train_x.size());
  common::BatchIterator batches(n, sc.batch, &rng);
  const int64_t total = sc.epochs * batches.batches_per_epoch();
  std::optional<common::ProgressBar> bar;
  if (sc.verbose) bar.emplace("sentiment LSTM", total, "step");
  std::vector<int> tokens, labels;
  std::vector<float> probs;
  int64_t step = 0;
  double window = 0.0;
  for (int64_t epoch = 0; epoch < sc.epochs; ++epoch) {
    batches.start_epoch();
    std::span<const int64_t> batch;
    while (batches.next(batch)) {
      const int64_t T = batch_length(data.train_x, batch, sc.max_words);
      const int64_t B = static_cast<int64_t>(batch.size());
      fill_tokens(tokens, data.train_x, batch, T);
      labels.clear();
      for (int64_t i : batch) labels.push_back(data.train_y[static_cast<size_t>(i)]);
      LstmState st(c, T, B);
      grads.zero();
      const float loss = classify(st, probs, model.params, c, tokens, labels.data(), &grads);
      check_finite_loss(loss, step, "sentiment");
      clip_grad_norm(grads.data.data(), grads.size(), sc.clip);
      adam.step(model.params.data.data(), grads.data.data(), cosine_lr(sc.adam.lr, step, total),
                sc.adam);
      ++step;
      window = step == 1 ? loss : 0.95 * window + 0.05 * loss;
      if (bar) {
        char metric[32];
        std::snprintf(metric, sizeof metric, "loss %.3f", window);
        bar->update(step, metric);
      }
    }
  }
  if (bar) bar->finish();
  return model;
}

double lstm_accuracy(const SentimentLstm& model, const std::vector<std::vector<int>>& x,
                     const std::vector<int>& y) {
  int64_t right = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const std::vector<double> p = running_sentiment(model, x[i]);
    right += (p.back() > 0.5) == (y[i] == 1);
  }
  return static_cast<double>(right) / static_cast<double>(x.size());
}

std::vector<double> running_sentiment(const SentimentLstm& model, const std::vector<int>& words) {
  // One sentence, no padding, one word at a time (the state carried): P(positive) after each.
  const LstmConfig& c = model.config;
  const LstmParams& p = model.params;
  LstmState st(c, 1, 1);
  std::vector<double> out;
  std::vector<float> logits(2);
  st.reset_state();
  for (int word : words) {
    st.carry_state();
    embedding_forward(st.x.data(), &word, p.embed, 1, c.input);
    recurrent_forward(st, p, c);
    linear_forward(logits.data(), st.top_h() + c.hidden, p.w_hy, p.b_y, 1, c.hidden, 2);
    out.push_back(sigmoid_plain(static_cast<double>(logits[1]) - logits[0]));
  }
  return out;
}

}  // namespace phase4
