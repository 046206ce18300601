// phase3_cnn_rnn/classical.cpp -- see classical.h.
#include "classical.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>

#include "error.h"
#include "progress.h"
#include "thread_pool.h"

namespace phase3 {

// ---------------------------------------------------------------------------
// Fully connected networks

Mlp::Mlp(const MlpConfig& c) : config(c) {
  if (c.sizes.size() < 2) throw common::Error("an MLP needs at least an input and an output size");
  int64_t total = 0;
  for (size_t l = 0; l + 1 < c.sizes.size(); ++l) {
    offsets.push_back(total);
    total += c.sizes[l + 1] * c.sizes[l] + c.sizes[l + 1];
  }
  params.assign(static_cast<size_t>(total), 0.0f);
  grads = velocity = params;
}

namespace {

// Activations of one batch: acts[0] is the input, acts[l] layer l's output (after tanh for
// hidden layers; the last one holds the scores). d_acts mirror them.
struct MlpState {
  std::vector<std::vector<float>> acts, d_acts;
  std::vector<float> probs;
  MlpState(const MlpConfig& c, int64_t max_batch) {
    for (int64_t size : c.sizes) {
      acts.emplace_back(static_cast<size_t>(max_batch * size));
      d_acts.emplace_back(static_cast<size_t>(max_batch * size));
    }
    probs.resize(static_cast<size_t>(max_batch * c.sizes.back()));
  }
};

// Forward through every layer: acts[l+1] = tanh(acts[l] W_l^T + b_l), no tanh on the last.
void mlp_forward(MlpState& st, const Mlp& m, const float* x, int64_t N) {
  const auto& sizes = m.config.sizes;
  std::copy(x, x + N * sizes[0], st.acts[0].begin());
  for (int64_t l = 0; l < m.layers(); ++l) {
    float* out = st.acts[static_cast<size_t>(l + 1)].data();
    linear_forward(out, st.acts[static_cast<size_t>(l)].data(), m.weight(m.params, l),
                   m.bias(m.params, l), N, sizes[l], sizes[l + 1]);
    if (l + 1 < m.layers())
      tanh_forward(out, out, N * sizes[l + 1]);  // in place: tanh needs only its output
  }
}

void mlp_backward(MlpState& st, Mlp& m, const int* labels, int64_t N) {
  const auto& sizes = m.config.sizes;
  for (auto& d : st.d_acts) std::fill(d.begin(), d.end(), 0.0f);
  const int64_t L = m.layers();
  softmax_cross_entropy_backward(st.d_acts[static_cast<size_t>(L)].data(), st.probs.data(), labels,
                                 N, sizes[L]);
  for (int64_t l = L - 1; l >= 0; --l) {
    const size_t out = static_cast<size_t>(l + 1), in = static_cast<size_t>(l);
    if (l + 1 < L) {
      // acts[out] = tanh(z): turn d_acts[out] into dL/dz in place (d_z = d_a * (1 - a^2)).
      std::vector<float>& d = st.d_acts[out];
      const std::vector<float>& a = st.acts[out];
      for (int64_t i = 0; i < N * sizes[l + 1]; ++i)
        d[static_cast<size_t>(i)] *= 1.0f - a[static_cast<size_t>(i)] * a[static_cast<size_t>(i)];
    }
    linear_backward(l > 0 ? st.d_acts[in].data() : nullptr, m.weight(m.grads, l),
                    m.bias(m.grads, l), st.d_acts[out].data(), st.acts[in].data(),
                    m.weight(m.params, l), N, sizes[l], sizes[l + 1]);
  }
}

}  // namespace

void mlp_predict(std::vector<int>& predicted, const Mlp& m, const common::Tensor& x) {
  const int64_t n = x.dim(0), D = m.config.sizes.front(), V = m.config.sizes.back();
  const int64_t B = std::min<int64_t>(n, 1000);
  MlpState st(m.config, B);
  predicted.resize(static_cast<size_t>(n));
  for (int64_t start = 0; start < n; start += B) {
    const int64_t count = std::min(B, n - start);
    mlp_forward(st, m, x.data() + start * D, count);
    argmax_rows(predicted.data() + start, st.acts.back().data(), count, V);
  }
}

double train_mlp(Mlp& m, const common::ImageDataset& data, const ClassicalTrainConfig& train,
                 const std::string& label) {
  const auto& sizes = m.config.sizes;
  if (data.train_x.size() / data.train_x.dim(0) != sizes.front())
    throw common::Error(label + ": input size " + std::to_string(sizes.front()) +
                        " does not match the dataset");
  common::Rng rng(train.seed);
  // LeCun initialisation: tanh hidden units and a softmax output both have gain 1.
  for (int64_t l = 0; l < m.layers(); ++l) {
    init_normal(m.weight(m.params, l), sizes[l + 1] * sizes[l], lecun_std(sizes[l]), rng);
    std::fill_n(m.bias(m.params, l), sizes[l + 1], 0.0f);
  }
  std::fill(m.velocity.begin(), m.velocity.end(), 0.0f);

  const int64_t n = data.train_x.dim(0), B = std::min(train.batch_size, n);
  MlpState st(m.config, B);
  common::BatchIterator batches(n, B, &rng);
  const int64_t total = batches.batches_per_epoch() * train.epochs;
  common::Tensor batch_x({B, sizes.front()});
  std::vector<int> batch_y(static_cast<size_t>(B));
  std::optional<common::ProgressBar> bar;
  if (train.verbose) bar.emplace(label, total, "step");
  int64_t step = 0;
  for (int epoch = 0; epoch < train.epochs; ++epoch) {
    batches.start_epoch();
    std::span<const int64_t> idx;
    while (batches.next(idx)) {
      const int64_t N = static_cast<int64_t>(idx.size());
      common::gather_rows(data.train_x, idx, batch_x);
      for (size_t i = 0; i < idx.size(); ++i)
        batch_y[i] = data.train_y[static_cast<size_t>(idx[i])];
      mlp_forward(st, m, batch_x.data(), N);
      const float loss = softmax_cross_entropy_forward(st.probs.data(), st.acts.back().data(),
                                                       batch_y.data(), N, sizes.back());
      check_finite_loss(loss, step, label.c_str());
      std::fill(m.grads.begin(), m.grads.end(), 0.0f);
      mlp_backward(st, m, batch_y.data(), N);
      sgd_momentum_step(m.params.data(), m.grads.data(), m.velocity.data(),
                        static_cast<int64_t>(m.params.size()), cosine_lr(train.sgd.lr, step, total),
                        train.sgd);
      ++step;
      if (bar) {
        char metric[32];
        std::snprintf(metric, sizeof metric, "loss %.4f", loss);
        bar->update(step, metric);
      }
    }
  }
  if (bar) bar->finish();
  std::vector<int> predicted;
  mlp_predict(predicted, m, data.test_x);
  return accuracy(predicted, data.test_y);
}

// ---------------------------------------------------------------------------
// k-nearest neighbours

std::vector<int> knn_predict(const common::Tensor& train_x, const std::vector<int>& train_y,
                             const common::Tensor& test_x, int k, int classes, bool verbose) {
  const int64_t n_train = train_x.dim(0), n_test = test_x.dim(0), D = train_x.size() / n_train;
  if (k < 1 || k > n_train) throw common::Error("k-NN: k must be between 1 and the training size");
  // ||y||^2 for every training image (N_train)
  std::vector<float> train_sq(static_cast<size_t>(n_train));
  common::parallel_for(0, n_train, 256, [&](int64_t lo, int64_t hi) {
    for (int64_t j = lo; j < hi; ++j) {
      const float* y = train_x.row(j);
      double s = 0.0;
      for (int64_t d = 0; d < D; ++d) s += static_cast<double>(y[d]) * y[d];
      train_sq[static_cast<size_t>(j)] = static_cast<float>(s);
    }
  });
  // A block of test images at a time keeps the distance matrix small (block x N_train).
  const int64_t block = 256;
  std::vector<float> dist(static_cast<size_t>(block * n_train));  // (block, N_train)
  std::vector<int> predicted(static_cast<size_t>(n_test));
  std::optional<common::ProgressBar> bar;
  if (verbose) bar.emplace("k-NN", n_test, "img");
  for (int64_t start = 0; start < n_test; start += block) {
    const int64_t b = std::min(block, n_test - start);
    // dist (b, N_train) = -2 test_block (b, D) train^T (D, N_train)
    common::matmul(common::mat(dist.data(), b, n_train), common::mat(test_x.row(start), b, D),
                   common::transpose(common::mat(train_x)), -2.0f);
    common::parallel_for(0, b, 8, [&](int64_t lo, int64_t hi) {
      std::vector<float> best_d(static_cast<size_t>(k));
      std::vector<int> best_j(static_cast<size_t>(k)), votes(static_cast<size_t>(classes));
      for (int64_t i = lo; i < hi; ++i) {
        const float* row = dist.data() + i * n_train;
        // The k smallest of ||y||^2 - 2 x.y, kept sorted by insertion (k is tiny).
        std::fill(best_d.begin(), best_d.end(), std::numeric_limits<float>::infinity());
        std::fill(best_j.begin(), best_j.end(), -1);
        for (int64_t j = 0; j < n_train; ++j) {
          const float d = row[j] + train_sq[static_cast<size_t>(j)];
          if (d >= best_d[static_cast<size_t>(k - 1)])
            continue;  // (strict: earlier index wins ties)
          int64_t pos = k - 1;
          while (pos > 0 && best_d[static_cast<size_t>(pos - 1)] > d) {
            best_d[static_cast<size_t>(pos)] = best_d[static_cast<size_t>(pos - 1)];
            best_j[static_cast<size_t>(pos)] = best_j[static_cast<size_t>(pos - 1)];
            --pos;
          }
          best_d[static_cast<size_t>(pos)] = d;
          best_j[static_cast<size_t>(pos)] = static_cast<int>(j);
        }
        // Majority vote; among equally voted labels the one of the nearer neighbour wins.
        std::fill(votes.begin(), votes.end(), 0);
        for (int j : best_j) ++votes[static_cast<size_t>(train_y[static_cast<size_t>(j)])];
        int label = train_y[static_cast<size_t>(best_j[0])];
        for (int j : best_j) {
          const int candidate = train_y[static_cast<size_t>(j)];
          if (votes[static_cast<size_t>(candidate)] > votes[static_cast<size_t>(label)])
            label = candidate;
        }
        predicted[static_cast<size_t>(start + i)] = label;
      }
    });
    if (bar) bar->update(start + b);
  }
  if (bar) bar->finish();
  return predicted;
}

double accuracy(const std::vector<int>& predicted, const std::vector<int>& truth) {
  if (predicted.size() != truth.size() || truth.empty())
    throw common::Error("accuracy: prediction and label counts differ");
  int64_t correct = 0;
  for (size_t i = 0; i < truth.size(); ++i) correct += predicted[i] == truth[i];
  return static_cast<double>(correct) / static_cast<double>(truth.size());
}

}  // namespace phase3
