// phase2_backprop/train.cpp -- see train.h.
#include "train.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "data.h"
#include "error.h"
#include "progress.h"

namespace phase2 {

void check_finite_loss(double loss, int64_t step, double lr) {
  if (std::isfinite(loss)) return;
  char message[200];
  std::snprintf(message, sizeof message,
                "training diverged at step %lld (loss = %g): try a lower --lr (now %g)",
                static_cast<long long>(step), loss, lr);
  throw common::Error(message);
}

namespace {

int argmax(const float* v, int64_t n) {
  return static_cast<int>(std::max_element(v, v + n) - v);
}

Target<float> dataset_target(const Mlp<float>& model, const Dataset& ds) {
  Target<float> target;
  if (model.config.loss == Loss::softmax_cross_entropy)
    target.labels = ds.labels.data();
  else
    target.values = ds.targets.data();
  return target;
}

}  // namespace

// ---------------------------------------------------------------------------
// Full batch

bool example_correct(const Mlp<float>& model, const MlpState<float>& state, const Dataset& ds,
                     int64_t n) {
  const int64_t C = model.config.sizes.back();
  const float* out = mlp_output(model, state, n);
  if (model.config.loss == Loss::softmax_cross_entropy) return argmax(out, C) == ds.labels[n];
  for (int64_t c = 0; c < C; ++c)
    if ((out[c] > 0.5f) != (ds.targets.at(n, c) > 0.5f)) return false;
  return true;
}

double accuracy(const Mlp<float>& model, const Dataset& ds) {
  MlpState<float> state;
  mlp_forward(model, state, ds.x.data(), ds.size());
  int64_t correct = 0;
  for (int64_t n = 0; n < ds.size(); ++n) correct += example_correct(model, state, ds, n);
  return static_cast<double>(correct) / static_cast<double>(ds.size());
}

FullBatchResult train_full_batch(Mlp<float>& model, const Dataset& ds,
                                 const FullBatchConfig& config) {
  FullBatchResult result;
  Sgd<float> sgd{config.sgd, {}};
  MlpState<float> state;
  const Target<float> target = dataset_target(model, ds);
  const int64_t N = ds.size();
  for (int epoch = 1; epoch <= config.max_epochs; ++epoch) {
    mlp_forward(model, state, ds.x.data(), N);
    const double loss = mlp_loss(model, state, target);
    check_finite_loss(loss, epoch, config.sgd.lr);
    result.final_loss = loss;
    result.epochs = epoch;
    // The forward pass we just made tells us whether the network is already right.
    bool all_correct = true;
    for (int64_t n = 0; n < N && all_correct; ++n)
      all_correct = example_correct(model, state, ds, n);
    if (all_correct && result.solved_at == 0) result.solved_at = epoch;
    if (all_correct && config.stop_when_solved) {
      result.solved = true;
      return result;
    }
    mlp_zero_grad(model);
    mlp_backward(model, state, target);
    sgd_step(sgd, model);
  }
  result.solved = accuracy(model, ds) == 1.0;
  return result;
}

// ---------------------------------------------------------------------------
// Mini-batches

Evaluation evaluate(const Mlp<float>& model, const common::Tensor& x, const std::vector<int>& y) {
  const int64_t N = x.dim(0), D = x.dim(1), C = model.config.sizes.back();
  constexpr int64_t kChunk = 1000;
  MlpState<float> state;
  double loss_sum = 0.0;
  int64_t correct = 0;
  for (int64_t begin = 0; begin < N; begin += kChunk) {
    const int64_t n = std::min(kChunk, N - begin);
    mlp_forward(model, state, x.data() + begin * D, n);
    Target<float> target;
    target.labels = y.data() + begin;
    loss_sum += mlp_loss(model, state, target) * static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i)
      correct += argmax(mlp_output(model, state, i), C) == y[static_cast<size_t>(begin + i)];
  }
  return {loss_sum / static_cast<double>(N), static_cast<double>(correct) / static_cast<double>(N)};
}

MiniBatchResult train_minibatch(Mlp<float>& model, const common::Tensor& train_x,
                                const std::vector<int>& train_y, const common::Tensor& test_x,
                                const std::vector<int>& test_y, const MiniBatchConfig& config,
                                common::Rng& shuffle_rng) {
  if (model.config.loss != Loss::softmax_cross_entropy)
    throw common::Error("train_minibatch: classification with softmax-CE only");
  const int64_t N = train_x.dim(0), C = model.config.sizes.back();
  MiniBatchResult result;
  Sgd<float> sgd{config.sgd, {}};
  MlpState<float> state;
  common::Tensor batch_x;    // x (B, D)
  std::vector<int> batch_y;  // y (B)
  common::BatchIterator batches(N, config.batch_size, &shuffle_rng);
  const int64_t total_steps = batches.batches_per_epoch() * config.epochs;
  std::optional<common::ProgressBar> bar;
  if (config.progress) bar.emplace(config.label, total_steps, "step");
  int64_t step = 0;
  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
    if (epoch > 1) batches.start_epoch();
    common::Timer timer;
    double loss_sum = 0.0;
    int64_t correct = 0;
    std::span<const int64_t> idx;
    while (batches.next(idx)) {
      const auto B = static_cast<int64_t>(idx.size());
      common::gather_rows(train_x, idx, batch_x);
      batch_y.resize(idx.size());
      for (size_t i = 0; i < idx.size(); ++i) batch_y[i] = train_y[static_cast<size_t>(idx[i])];
      Target<float> target;
      target.labels = batch_y.data();

      mlp_forward(model, state, batch_x.data(), B);
      const double loss = mlp_loss(model, state, target);
      check_finite_loss(loss, step + 1, config.sgd.lr);
      mlp_zero_grad(model);
      mlp_backward(model, state, target);
      sgd.config.lr = config.sgd.lr * (1.0 - static_cast<double>(step) / total_steps);
      sgd_step(sgd, model);

      loss_sum += loss * static_cast<double>(B);
      for (int64_t i = 0; i < B; ++i)
        correct += argmax(mlp_output(model, state, i), C) == batch_y[static_cast<size_t>(i)];
      ++step;
      if (bar) {
        char metric[48];
        std::snprintf(metric, sizeof metric, "loss %.4f", loss);
        bar->update(step, metric);
      }
    }
    result.train_seconds += timer.seconds();
    result.examples_seen += N;
    EpochRecord record;
    record.epoch = epoch;
    record.train_loss = loss_sum / static_cast<double>(N);
    record.train_accuracy = static_cast<double>(correct) / static_cast<double>(N);
    if (test_x.rank() == 2 && test_x.dim(0) > 0) {
      const Evaluation test = evaluate(model, test_x, test_y);
      record.test_loss = test.loss;
      record.test_accuracy = test.accuracy;
    }
    result.history.push_back(record);
  }
  if (bar) bar->finish();
  return result;
}

}  // namespace phase2
