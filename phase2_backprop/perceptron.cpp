// phase2_backprop/perceptron.cpp -- see perceptron.h.
#include "perceptron.h"

#include <algorithm>
#include <numeric>

namespace phase2 {

namespace {

// argmax_c (w_c . x + b_c); w (C, D + 1) with the bias in the last column.
template <class T>
int predict(const std::vector<T>& w, const float* x, int64_t D, int classes) {
  int best = 0;
  double best_score = 0.0;
  for (int c = 0; c < classes; ++c) {
    const T* wc = w.data() + c * (D + 1);
    double score = static_cast<double>(wc[D]);
    for (int64_t i = 0; i < D; ++i) score += static_cast<double>(wc[i]) * x[i];
    if (c == 0 || score > best_score) {
      best = c;
      best_score = score;
    }
  }
  return best;
}

template <class T>
double test_accuracy(const std::vector<T>& w, const common::Tensor& x, const std::vector<int>& y,
                     int classes) {
  const int64_t N = x.dim(0), D = x.dim(1);
  int64_t correct = 0;
  for (int64_t n = 0; n < N; ++n)
    correct += predict(w, x.row(n), D, classes) == y[static_cast<size_t>(n)];
  return static_cast<double>(correct) / static_cast<double>(N);
}

}  // namespace

PerceptronResult train_multiclass_perceptron(const common::Tensor& train_x,
                                             const std::vector<int>& train_y,
                                             const common::Tensor& test_x,
                                             const std::vector<int>& test_y, int classes,
                                             int epochs, common::Rng& rng) {
  const int64_t N = train_x.dim(0), D = train_x.dim(1);
  const auto W = static_cast<size_t>(classes * (D + 1));
  std::vector<float> w(W, 0.0f);  // (C, D + 1) current weights and bias
  // Averaging trick (Daume 2006): with u accumulating c * update at step c, the mean of
  // the weights over the steps 1..c is w - u / c, so no sum of all the w's is kept.
  std::vector<double> u(W, 0.0);
  double c = 1.0;
  std::vector<int64_t> order(static_cast<size_t>(N));
  std::iota(order.begin(), order.end(), int64_t{0});
  for (int epoch = 0; epoch < epochs; ++epoch) {
    rng.shuffle(order);
    for (int64_t n : order) {
      const float* x = train_x.row(n);
      const int y = train_y[static_cast<size_t>(n)];
      const int p = predict(w, x, D, classes);
      if (p != y) {
        // w_y += x, w_p -= x (the input with a constant 1 for the bias)
        float* wy = w.data() + y * (D + 1);
        float* wp = w.data() + p * (D + 1);
        double* uy = u.data() + y * (D + 1);
        double* up = u.data() + p * (D + 1);
        for (int64_t i = 0; i < D; ++i) {
          wy[i] += x[i];
          wp[i] -= x[i];
          uy[i] += c * x[i];
          up[i] -= c * x[i];
        }
        wy[D] += 1.0f;
        wp[D] -= 1.0f;
        uy[D] += c;
        up[D] -= c;
      }
      c += 1.0;
    }
  }
  std::vector<double> averaged(W);
  for (size_t i = 0; i < W; ++i) averaged[i] = static_cast<double>(w[i]) - u[i] / c;
  return {test_accuracy(w, test_x, test_y, classes),
          test_accuracy(averaged, test_x, test_y, classes)};
}

}  // namespace phase2
