// phase1_perceptron/digits.cpp -- see digits.h.
//
// Sections: the model, scores and predictions, training (the online rule and the
// averaging trick), looking at the results.
#include "digits.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "error.h"
#include "matmul.h"
#include "progress.h"
#include "rng.h"

namespace phase1 {

// --- The model --------------------------------------------------------------------------

DigitModel make_digit_model(int64_t K, int64_t D) {
  DigitModel m;
  m.W = common::Tensor({K, D});  // templates (K, D), zero: no opinion yet
  m.b = common::Tensor({K});     // biases (K)
  return m;
}

// --- Scores and predictions --------------------------------------------------------------

namespace {

// a . b over n floats. Sixteen running partial sums instead of one: strict IEEE
// arithmetic forbids the compiler to reorder a single sum, but sixteen independent sums
// map onto SIMD lanes, which makes this several times faster. The order is fixed in the
// source, so the result does not depend on the compiler's choices.
float dot(const float* a, const float* b, int64_t n) {
  float partial[16] = {};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    for (int l = 0; l < 16; ++l) partial[l] += a[j + l] * b[j + l];
  }
  for (; j < n; ++j) partial[j % 16] += a[j] * b[j];
  float sum = 0.0f;
  for (float p : partial) sum += p;
  return sum;
}

}  // namespace

//   s_k = w_k . x + b_k
void digit_scores(const DigitModel& m, const float* x, float* scores) {
  const int64_t K = m.K(), D = m.D();
  for (int64_t k = 0; k < K; ++k) scores[k] = dot(m.W.row(k), x, D) + m.b[k];
}

//   y_hat = argmax_k s_k
int argmax(const float* scores, int64_t K) {
  int best = 0;
  for (int64_t k = 1; k < K; ++k) {
    if (scores[k] > scores[best]) best = static_cast<int>(k);
  }
  return best;
}

std::vector<int> digit_predict(const DigitModel& m, const common::Tensor& X) {
  const int64_t N = X.dim(0), K = m.K(), D = m.D();
  common::check_shape(X, {N, D}, "digit_predict input");
  // S = X W^T: (N, D) times (D, K). W is stored (K, D), so it enters transposed.
  common::Tensor S({N, K});  // scores (N, K)
  common::matmul(common::mat(S), common::mat(X), common::transpose(common::mat(m.W)));
  std::vector<int> predicted(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n) {
    float* s = S.row(n);
    for (int64_t k = 0; k < K; ++k) s[k] += m.b[k];
    predicted[static_cast<size_t>(n)] = argmax(s, K);
  }
  return predicted;
}

double accuracy(const std::vector<int>& predicted, const std::vector<int>& y) {
  if (predicted.size() != y.size() || y.empty()) {
    throw common::Error("accuracy: " + std::to_string(predicted.size()) + " predictions for " +
                        std::to_string(y.size()) + " labels");
  }
  int64_t right = 0;
  for (size_t i = 0; i < y.size(); ++i) right += predicted[i] == y[i];
  return static_cast<double>(right) / static_cast<double>(y.size());
}

// --- Training ---------------------------------------------------------------------------
//
// The averaging trick. Let w_t be the weights after t examples (w_0 = 0) and let the
// example seen at step s (s = 0, 1, ...: s examples came before it) change the weights by
// Delta_s (zero when it was predicted right). Then w_t = sum_{s < t} Delta_s, and the
// average over the T steps is
//
//   w_avg = (1/T) sum_{t=1..T} w_t
//         = (1/T) sum_{s=0..T-1} (T - s) Delta_s       (Delta_s is part of w_{s+1} .. w_T)
//         = sum_s Delta_s - (1/T) sum_s s Delta_s
//         = w_T - U / T,        U = sum_s s Delta_s
//
// So besides W we keep U, adding s * Delta_s to it at each update: an update costs twice
// as much, and a correct prediction costs nothing extra. Summing w_t after every example
// instead would cost a full (K, D) addition per example, mistake or not.
//
// U is kept in double: it grows like s (up to 10^5 and more), and float's 24-bit mantissa
// would round away the small differences that w_T - U / T depends on.

DigitTrainer make_digit_trainer(int64_t K, int64_t D) {
  DigitTrainer tr;
  tr.model = make_digit_model(K, D);
  tr.U.assign(static_cast<size_t>(K * D), 0.0);  // (K, D)
  tr.Ub.assign(static_cast<size_t>(K), 0.0);     // (K)
  return tr;
}

int64_t perceptron_epoch(DigitTrainer& tr, const common::Tensor& X, const std::vector<int>& y,
                         const std::vector<int64_t>& order, double lr) {
  DigitModel& m = tr.model;
  const int64_t K = m.K(), D = m.D();
  common::check_shape(X, {static_cast<int64_t>(y.size()), D}, "perceptron_epoch images");
  std::vector<float> scores(static_cast<size_t>(K));  // (K)
  const float eta = static_cast<float>(lr);
  int64_t mistakes = 0;
  for (int64_t i : order) {
    const float* x = X.row(i);  // image (D)
    const int target = y[static_cast<size_t>(i)];
    digit_scores(m, x, scores.data());
    for (float s : scores) {
      if (!std::isfinite(s)) {
        throw common::Error("digit perceptron: a score became " + std::to_string(s) + " at step " +
                            std::to_string(tr.t) + "; try a lower --lr");
      }
    }
    const int guess = argmax(scores.data(), K);
    if (guess != target) {
      // w_y += eta x, b_y += eta;  w_yhat -= eta x, b_yhat -= eta
      // and the same changes, times the step index s = tr.t, into U (see above).
      float* w_right = m.W.row(target);
      float* w_wrong = m.W.row(guess);
      double* u_right = tr.U.data() + target * D;
      double* u_wrong = tr.U.data() + guess * D;
      const double s_eta = static_cast<double>(tr.t) * eta;
      for (int64_t j = 0; j < D; ++j) {
        w_right[j] += eta * x[j];
        w_wrong[j] -= eta * x[j];
        u_right[j] += s_eta * x[j];
        u_wrong[j] -= s_eta * x[j];
      }
      m.b[target] += eta;
      m.b[guess] -= eta;
      tr.Ub[static_cast<size_t>(target)] += s_eta;
      tr.Ub[static_cast<size_t>(guess)] -= s_eta;
      ++mistakes;
    }
    ++tr.t;
  }
  return mistakes;
}

//   w_avg = w_T - U / T
DigitModel averaged_model(const DigitTrainer& tr) {
  const int64_t K = tr.model.K(), D = tr.model.D();
  DigitModel avg = make_digit_model(K, D);
  if (tr.t == 0) return avg;  // no examples seen: the average of nothing is the start, 0
  const double T = static_cast<double>(tr.t);
  for (int64_t i = 0; i < K * D; ++i) {
    avg.W[i] = static_cast<float>(tr.model.W[i] - tr.U[static_cast<size_t>(i)] / T);
  }
  for (int64_t k = 0; k < K; ++k) {
    avg.b[k] = static_cast<float>(tr.model.b[k] - tr.Ub[static_cast<size_t>(k)] / T);
  }
  return avg;
}

DigitResult train_digits(const common::Tensor& train_x, const std::vector<int>& train_y,
                         const common::Tensor& test_x, const std::vector<int>& test_y,
                         const DigitConfig& config) {
  if (!(config.lr > 0.0) || !std::isfinite(config.lr)) {
    throw common::UsageError("the learning rate must be a positive number, got " +
                             std::to_string(config.lr));
  }
  if (config.epochs < 1) throw common::UsageError("need at least one epoch");
  const int64_t N = train_x.dim(0), D = train_x.dim(1), K = 10;
  DigitTrainer tr = make_digit_trainer(K, D);
  DigitResult result;
  common::Rng rng(config.seed);
  std::vector<int64_t> order(static_cast<size_t>(N));  // (N) visiting order
  for (int64_t i = 0; i < N; ++i) order[static_cast<size_t>(i)] = i;

  std::optional<common::ProgressBar> bar;
  if (config.progress) bar.emplace("digits", static_cast<int64_t>(config.epochs) * N, "img");
  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
    rng.shuffle(order);  // a fresh order every epoch
    common::Timer timer;
    const int64_t mistakes = perceptron_epoch(tr, train_x, train_y, order, config.lr);
    result.train_seconds += timer.seconds();

    DigitEpochLog log;
    log.epoch = epoch;
    log.mistakes = mistakes;
    log.test_accuracy = accuracy(digit_predict(tr.model, test_x), test_y);
    log.averaged_test_accuracy = accuracy(digit_predict(averaged_model(tr), test_x), test_y);
    result.log.push_back(log);
    char metric[96];
    std::snprintf(metric, sizeof metric, "test acc %.4f  averaged %.4f", log.test_accuracy,
                  log.averaged_test_accuracy);
    if (bar) bar->update(epoch * N, metric);
  }
  if (bar) bar->finish();
  result.last = tr.model;
  result.averaged = averaged_model(tr);
  result.images_seen = tr.t;
  return result;
}

// --- Looking at the results --------------------------------------------------------------

std::vector<int64_t> confusion_matrix(const std::vector<int>& predicted, const std::vector<int>& y,
                                      int64_t K) {
  std::vector<int64_t> c(static_cast<size_t>(K * K), 0);  // (K, K): [true][predicted]
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] < 0 || y[i] >= K || predicted[i] < 0 || predicted[i] >= K) {
      throw common::Error("confusion_matrix: class out of range at example " + std::to_string(i));
    }
    ++c[static_cast<size_t>(y[i] * K + predicted[i])];
  }
  return c;
}

std::string format_confusion(const std::vector<int64_t>& c, int64_t K) {
  std::string s = "    true \\ said";
  char cell[32];
  for (int64_t k = 0; k < K; ++k) {
    std::snprintf(cell, sizeof cell, "%6lld", static_cast<long long>(k));
    s += cell;
  }
  s += "   recall\n";
  for (int64_t t = 0; t < K; ++t) {
    std::snprintf(cell, sizeof cell, "    %11lld", static_cast<long long>(t));
    s += cell;
    int64_t row = 0;
    for (int64_t p = 0; p < K; ++p) {
      const int64_t v = c[static_cast<size_t>(t * K + p)];
      row += v;
      std::snprintf(cell, sizeof cell, "%6lld", static_cast<long long>(v));
      s += cell;
    }
    const double recall = row ? static_cast<double>(c[static_cast<size_t>(t * K + t)]) / row : 0.0;
    std::snprintf(cell, sizeof cell, "   %6.3f\n", recall);
    s += cell;
  }
  return s;
}

std::string format_misclassified(const common::Tensor& X, const std::vector<int>& y,
                                 const std::vector<int>& predicted, int count, int rows, int cols) {
  // Terminal characters are about twice as tall as they are wide, so each text line shows
  // the average of two pixel rows: the digit keeps its proportions. MNIST centres each
  // digit in a 20x20 box inside the 28x28 frame, so the nearly always blank border is
  // trimmed (2 rows at the top and bottom, 3 columns at each side) to fit 80 columns.
  const int skip = rows >= 16 ? 2 : 0, skip_cols = cols >= 16 ? 3 : 0;
  const int text_rows = (rows - 2 * skip) / 2, text_cols = cols - 2 * skip_cols;
  std::vector<std::vector<std::string>> blocks;  // per image: its text lines
  for (size_t i = 0; i < y.size() && static_cast<int>(blocks.size()) < count; ++i) {
    if (predicted[i] == y[i]) continue;
    const float* img = X.row(static_cast<int64_t>(i));  // (rows, cols)
    std::vector<float> halved(
        static_cast<size_t>(text_rows * text_cols));  // (text_rows, text_cols)
    for (int r = 0; r < text_rows; ++r) {
      for (int c = 0; c < text_cols; ++c) {
        const int top = (skip + 2 * r) * cols + skip_cols + c;  // pixel above, then below
        halved[static_cast<size_t>(r * text_cols + c)] = 0.5f * (img[top] + img[top + cols]);
      }
    }
    std::vector<std::string> lines;
    char head[64];
    std::snprintf(head, sizeof head, "#%zu: true %d, said %d", i, y[i], predicted[i]);
    lines.push_back(head);
    const std::string art = common::ascii_preview(halved.data(), text_rows, text_cols);
    size_t start = 0;
    for (size_t end; (end = art.find('\n', start)) != std::string::npos; start = end + 1) {
      lines.push_back(art.substr(start, end - start));
    }
    blocks.push_back(lines);
  }
  std::string s;
  if (blocks.empty()) return s;
  const size_t width = static_cast<size_t>(text_cols) + 3;
  for (size_t line = 0; line < blocks[0].size(); ++line) {
    std::string text = "    ";
    for (const auto& b : blocks) {
      std::string piece = b[line];
      piece.resize(width, ' ');
      text += piece;
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    s += text + "\n";
  }
  return s;
}

common::Image template_grid(const DigitModel& m, int rows, int cols, int grid_cols, int zoom) {
  if (static_cast<int64_t>(rows) * cols != m.D()) {
    throw common::Error("template_grid: " + std::to_string(rows) + "x" + std::to_string(cols) +
                        " pictures need D = " + std::to_string(rows * cols) + ", the model has " +
                        std::to_string(m.D()));
  }
  std::vector<common::Image> tiles;
  for (int64_t k = 0; k < m.K(); ++k) {
    tiles.push_back(common::upscale(common::diverging_image(m.W.row(k), rows, cols), zoom));
  }
  return common::tile_images(tiles, grid_cols, 2, 90);
}

}  // namespace phase1
