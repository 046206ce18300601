// phase3_cnn_rnn/lesson_rnn.cpp -- the RNN half of the lesson: the noisy sine wave, the
// character-level language model and the vanishing gradient, with their narration.
// (The CNN half is in main.cpp.)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bench.h"
#include "char_rnn.h"
#include "classical.h"
#include "common.h"
#include "lenet.h"
#include "lesson.h"
#include "pictures.h"
#include "rnn.h"
#include "vanishing.h"

namespace phase3_lesson {

// ---------------------------------------------------------------------------
// The RNN half

void sequence(Lesson& lesson) {
  heading("sequence: an RNN predicts a noisy sine wave",
          R"(The Elman recurrence h_t = tanh(W_xh x_t + W_hh h_{t-1} + b) reads the series one
value at a time; a linear read-out predicts the next value from h_t. The naive
baseline repeats the last value. The noise (std 0.1) cannot be predicted, so no
model can go below an error of 0.01.
)");
  phase3::SequenceConfig config;
  config.seed = lesson.flags.seed;
  config.steps = lesson.flags.steps_or(lesson.flags.quick ? 300 : config.steps);
  config.batch = lesson.flags.batch_size_or(static_cast<int>(config.batch));
  config.adam.lr = static_cast<float>(lesson.flags.lr_or(config.adam.lr));
  say("  " + std::to_string(config.length) + " samples, period " + fmt("%g", config.period) +
      ", noise " + fmt("%g", config.noise) + "; hidden " + std::to_string(config.hidden) +
      ", windows of " + std::to_string(config.window) + ", batch " + std::to_string(config.batch) +
      ", " + std::to_string(config.steps) + " Adam steps\n\n");
  const phase3::SequenceResult r = phase3::run_sequence_task(config);
  say("\n  test MSE: RNN " + fmt("%.4f", r.test_mse) + ", repeat-last-value baseline " +
      fmt("%.4f", r.baseline_mse) + ", noise floor " + fmt("%.4f", r.noise_mse) + "\n");
  common::Series truth{.name = "series", .markers = false, .line = true};
  common::Series pred{.name = "RNN prediction", .markers = false, .line = true};
  for (size_t t = 0; t < std::min<size_t>(150, r.truth.size()); ++t) {
    truth.x.push_back(static_cast<double>(t));
    truth.y.push_back(r.truth[t]);
    pred.x.push_back(static_cast<double>(t));
    pred.y.push_back(r.prediction[t]);
  }
  write_chart(
      lesson, "sequence_prediction.svg", {truth, pred},
      {.title = "Next-value prediction on the test part", .x_label = "step", .y_label = "value"});
  common::Json& m = lesson.metrics.experiment("sequence");
  m["test_mse"] = r.test_mse;
  m["baseline_mse"] = r.baseline_mse;
  m["noise_mse"] = r.noise_mse;
  m["steps"] = config.steps;
  m["seconds"] = r.seconds;
}

std::string default_prompt(const std::string& corpus) {
  return corpus == "kjv" ? "And God said" : "ROMEO:";
}

// Sizes of the character model: the lesson's, or tiny ones for --quick.
phase3::CharRnnTrainConfig char_train_config(const Lesson& lesson) {
  phase3::CharRnnTrainConfig train;
  const bool quick = lesson.flags.quick;
  train.steps = lesson.flags.steps_or(quick ? 300 : train.steps);
  train.batch = lesson.flags.batch_size_or(static_cast<int>(train.batch));
  train.adam.lr = static_cast<float>(lesson.flags.lr_or(train.adam.lr));
  train.eval_every = quick ? 100 : train.eval_every;
  train.prompt =
      lesson.options.prompt.empty() ? default_prompt(lesson.options.corpus) : lesson.options.prompt;
  train.temperature = static_cast<float>(lesson.options.temperature);
  train.seed = lesson.flags.seed;
  // The whole training state, every 500 steps: --resume continues an interrupted run.
  train.checkpoint = out_path(lesson, "char_rnn_training.ckpt");
  train.resume = lesson.options.resume;
  return train;
}

phase3::RnnConfig char_model_config(const Lesson& lesson, int64_t vocab) {
  return phase3::RnnConfig{.vocab = vocab,
                           .input = 64,
                           .hidden = lesson.flags.quick ? 64 : lesson.options.hidden,
                           .output = vocab};
}

const phase3::CharCorpus& corpus(Lesson& lesson) {
  if (!lesson.corpus || lesson.corpus->name != lesson.options.corpus)
    lesson.corpus = phase3::load_char_corpus(lesson.flags.data_dir, lesson.options.corpus,
                                             lesson.flags.quick ? 300000 : 0);
  return *lesson.corpus;
}

std::string checkpoint_path(const Lesson& lesson, const phase3::RnnConfig& config) {
  return out_path(lesson, "char_rnn_" + lesson.options.corpus + "_h" +
                              std::to_string(config.hidden) + (lesson.flags.quick ? "_quick" : "") +
                              ".ckpt");
}

void char_rnn(Lesson& lesson) {
  heading("char_rnn: a character-level language model (" + lesson.options.corpus + ")",
          R"(Each character is embedded as a 64-number vector; the RNN reads the text one
character at a time and scores every possible next character. Training is truncated
backpropagation through time: 32 streams read the text side by side, 100 characters
per update; the hidden state flows on from one chunk to the next but the gradient
stops at the chunk's start. Adam, gradient norms clipped at 5. The last 10% of the
text is held out; the loss is in nats per character.
)");
  common::Timer timer;
  const phase3::CharCorpus& text = corpus(lesson);
  const phase3::RnnConfig config = char_model_config(lesson, text.vocab.size());
  const phase3::CharRnnTrainConfig train = char_train_config(lesson);
  say("  corpus: " + text.name + ", " + std::to_string(text.text.size()) + " bytes, " +
      std::to_string(text.vocab.size()) + " distinct characters, " +
      std::to_string(text.train.size()) + " for training, " + std::to_string(text.val.size()) +
      " for validation\n  (a uniform guess among " + std::to_string(text.vocab.size()) +
      " characters scores ln " + std::to_string(text.vocab.size()) + " = " +
      fmt("%.2f", std::log(static_cast<double>(text.vocab.size()))) +
      " nats)\n  model: embedding " + std::to_string(config.input) + ", hidden " +
      std::to_string(config.hidden) + "; " + std::to_string(train.steps) + " steps of " +
      std::to_string(train.batch) + " x " + std::to_string(train.seq_len) +
      " characters, Adam lr " + fmt("%g", train.adam.lr) + " (cosine to 0)\n");
  lesson.char_model.emplace(config);
  phase3::CharRnn& model = *lesson.char_model;
  const phase3::CharRnnTrainResult r = phase3::train_char_rnn(model, text, train);

  common::Rng rng(lesson.flags.seed);
  const std::string sample =
      phase3::sample_text(model.params, config, text.vocab, train.prompt,
                          lesson.options.sample_chars, train.temperature, rng);
  const std::set<std::string> known = [&] {
    const std::string train_text = text.vocab.decode(text.train);
    const std::vector<std::string> w = phase3::words_of(train_text);
    return std::set<std::string>(w.begin(), w.end());
  }();
  const double known_fraction =
      phase3::known_word_fraction(sample.substr(train.prompt.size()), known);
  say("\n  validation loss " + fmt("%.3f", r.val_loss) + " nats/char (" +
      fmt("%.3f", r.val_loss / std::log(2.0)) + " bits), training " + fmt("%.1f", r.train_seconds) +
      " s at " + fmt("%.0f", r.tokens_per_second) + " characters/s\n\n  A " +
      std::to_string(lesson.options.sample_chars) + "-character sample at temperature " +
      fmt("%g", train.temperature) + ":\n\n" + sample + "\n\n  " +
      fmt("%.0f", 100 * known_fraction) +
      R"(% of its words occur in the training text: the network spells, but it has no
  plan beyond a few words, because what it read 50 characters ago barely reaches
  its gradient (next experiment).
)");
  common::Series val{
      .name = "validation", .x = r.eval_steps, .y = r.val_history, .markers = true, .line = true};
  common::Series tr{.name = "training (mean since last point)",
                    .x = r.eval_steps,
                    .y = r.train_history,
                    .markers = true,
                    .line = true};
  write_chart(lesson, "char_rnn_loss.svg", {tr, val},
              {.title = "Character RNN on " + text.name,
               .x_label = "step",
               .y_label = "cross-entropy (nats/char)"});
  const std::string ckpt = checkpoint_path(lesson, config);
  phase3::save_rnn_checkpoint(ckpt, model.params);
  say("    wrote " + ckpt + "\n");

  common::Json& m = lesson.metrics.experiment("char_rnn");
  m["corpus"] = text.name;
  m["dataset_variant"] = text.variant;
  m["hidden"] = config.hidden;
  m["steps"] = train.steps;
  m["val_loss"] = r.val_loss;
  m["train_loss"] = r.train_loss;
  m["tokens_per_second"] = r.tokens_per_second;
  m["train_seconds"] = r.train_seconds;
  m["sample"] = sample;
  m["known_word_fraction"] = known_fraction;
  m["seconds"] = timer.seconds();
}

void vanishing(Lesson& lesson) {
  const int64_t sequences = lesson.flags.quick ? 64 : 512;
  heading("vanishing: how far back does the gradient reach?",
          "For sequences of 151 characters and a loss at the last one only, we measure the\n"
          "norm of dLoss/dh_{T-k}, k steps back, averaged over " +
              std::to_string(sequences) +
              R"( validation sequences.
Every step back multiplies the gradient by W_hh^T diag(1 - h_t^2) (Hochreiter 1991,
Bengio, Simard and Frasconi 1994).
)");
  common::Timer timer;
  const phase3::CharCorpus& text = corpus(lesson);
  const phase3::RnnConfig config = char_model_config(lesson, text.vocab.size());
  if (!lesson.char_model || lesson.char_model->config.hidden != config.hidden ||
      lesson.char_model->config.vocab != config.vocab) {
    const std::string ckpt = checkpoint_path(lesson, config);
    lesson.char_model.emplace(config);
    if (common::file_exists(ckpt)) {
      say("  using the model the char_rnn experiment saved: " + ckpt + "\n");
      phase3::load_rnn_checkpoint(ckpt, lesson.char_model->params);
    } else {
      say("  no trained model at " + ckpt + ": training one first (as char_rnn does)\n");
      phase3::CharRnnTrainConfig train = char_train_config(lesson);
      train.verbose = false;
      phase3::train_char_rnn(*lesson.char_model, text, train);
    }
  }
  const phase3::VanishingResult r = phase3::measure_vanishing(
      lesson.char_model->params, config, text.val, 100, sequences, 50, lesson.flags.seed);
  say("\n   k   mean ||dLoss/dh_{T-k}||\n");
  for (int64_t k : {0, 1, 2, 5, 10, 20, 30, 50, 75, 100})
    say("  " + fmt("%3.0f", static_cast<double>(k)) + "   " +
        fmt("%.3e", r.mean_norm[static_cast<size_t>(k)]) + "\n");
  say("\n  decay per step " + fmt("%.3f", r.decay_per_step) +
      " (a least-squares line through log ||g_k||, k = 1..100)\n  ||g_50|| / ||g_1|| = " +
      fmt("%.2e", r.ratio_k50_k1) +
      ": what the network read 50 characters ago\n  reaches "
      "its gradient " +
      fmt("%.1e", r.ratio_k50_k1 > 0 ? 1.0 / r.ratio_k50_k1 : INFINITY) +
      R"( times weaker than what it read one character ago.
  Training can only learn dependencies the gradient carries, so the RNN learns
  spelling and short-range grammar and little else. The LSTM of phase 4 adds a
  memory cell whose gradient path is a sum, not a product, and keeps this signal alive.
)");
  common::Series norms{.name = "mean ||dLoss/dh_{T-k}||", .markers = false, .line = true};
  for (size_t k = 0; k < r.mean_norm.size(); ++k) {
    norms.x.push_back(static_cast<double>(k));
    norms.y.push_back(r.mean_norm[k]);
  }
  write_chart(lesson, "vanishing_gradient.svg", {norms},
              {.title = "Gradient reaching k steps back (trained char RNN)",
               .x_label = "k (steps back)",
               .y_label = "gradient norm (log scale)",
               .log_y = true});
  common::Json& m = lesson.metrics.experiment("vanishing");
  m["corpus"] = text.name;
  m["headline"] = common::Json::array({"decay_per_step", "ratio_k50_k1"});
  m["decay_per_step"] = r.decay_per_step;
  m["ratio_k50_k1"] = r.ratio_k50_k1;
  m["sequences"] = r.sequences;
  common::Json norms_json = common::Json::array();
  for (double g : r.mean_norm) norms_json.push_back(g);
  m["mean_norm"] = norms_json;
  m["seconds"] = timer.seconds();
}

}  // namespace phase3_lesson
