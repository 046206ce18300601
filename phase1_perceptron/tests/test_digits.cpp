// phase1_perceptron/tests/test_digits.cpp -- the multi-class and averaged perceptron on
// small synthetic data (no MNIST needed).
#include <gtest/gtest.h>

#include <cmath>

#include "digits.h"
#include "error.h"
#include "rng.h"

namespace phase1 {
namespace {

// N random "images" with D pixels in [0, 1] and labels in [0, K).
void random_data(int64_t N, int64_t D, int K, uint64_t seed, common::Tensor& X,
                 std::vector<int>& y) {
  common::Rng rng(seed);
  X = common::Tensor({N, D});
  y.resize(static_cast<size_t>(N));
  for (float& v : X) v = static_cast<float>(rng.uniform());
  for (int& label : y) label = static_cast<int>(rng.randint(0, K));
}

TEST(Phase1Digits, ScoresMatchANaiveDoubleLoop) {
  common::Tensor X;
  std::vector<int> y;
  random_data(3, 37, 10, 1, X, y);  // 37: not a multiple of the 16 partial sums
  DigitModel m = make_digit_model(10, 37);
  common::Rng rng(2);
  for (float& v : m.W) v = static_cast<float>(rng.normal());
  for (float& v : m.b) v = static_cast<float>(rng.normal());
  std::vector<float> s(10);
  for (int64_t n = 0; n < 3; ++n) {
    digit_scores(m, X.row(n), s.data());
    for (int64_t k = 0; k < 10; ++k) {
      double expect = m.b[k];
      for (int64_t j = 0; j < 37; ++j) expect += double(m.W.at(k, j)) * X.at(n, j);
      EXPECT_NEAR(s[static_cast<size_t>(k)], expect, 1e-4);
    }
  }
}

// The batched gemm path and the one-image path must agree.
TEST(Phase1Digits, BatchedPredictionMatchesOneAtATime) {
  common::Tensor X;
  std::vector<int> y;
  random_data(200, 784, 10, 3, X, y);
  DigitModel m = make_digit_model(10, 784);
  common::Rng rng(4);
  for (float& v : m.W) v = static_cast<float>(rng.normal());
  const std::vector<int> batched = digit_predict(m, X);
  std::vector<float> s(10);
  int agree = 0;
  for (int64_t n = 0; n < 200; ++n) {
    digit_scores(m, X.row(n), s.data());
    agree += batched[static_cast<size_t>(n)] == argmax(s.data(), 10);
  }
  EXPECT_EQ(agree, 200);
}

TEST(Phase1Digits, ArgmaxTakesTheFirstOnTies) {
  const float s[4] = {1.0f, 3.0f, 3.0f, 2.0f};
  EXPECT_EQ(argmax(s, 4), 1);
  const float zeros[3] = {0.0f, 0.0f, 0.0f};
  EXPECT_EQ(argmax(zeros, 3), 0);
}

TEST(Phase1Digits, FirstMistakePullsAndPushesTemplates) {
  common::Tensor X({1, 3});
  X[0] = 1.0f, X[1] = 0.0f, X[2] = 0.5f;
  DigitTrainer tr = make_digit_trainer(4, 3);
  // Zero weights: every score is 0, argmax says class 0; the label is 2, so a mistake.
  EXPECT_EQ(perceptron_epoch(tr, X, {2}, {0}, 1.0), 1);
  EXPECT_EQ(tr.model.W.at(2, 0), 1.0f);
  EXPECT_EQ(tr.model.W.at(2, 2), 0.5f);
  EXPECT_EQ(tr.model.W.at(0, 0), -1.0f);
  EXPECT_EQ(tr.model.b[2], 1.0f);
  EXPECT_EQ(tr.model.b[0], -1.0f);
  EXPECT_EQ(tr.t, 1);
  // Now class 2 scores 1 + 0.25 + 1 > 0: right, nothing changes.
  EXPECT_EQ(perceptron_epoch(tr, X, {2}, {0}, 1.0), 0);
}

// The averaging trick (w_avg = w_T - U / T) against the definition: the mean of the
// weights after every single step, summed by brute force.
TEST(Phase1Digits, AveragingTrickEqualsTheBruteForceAverage) {
  common::Tensor X;
  std::vector<int> y;
  random_data(25, 6, 3, 5, X, y);
  DigitTrainer tr = make_digit_trainer(3, 6);
  std::vector<double> sum_w(18, 0.0), sum_b(3, 0.0);
  int64_t steps = 0;
  for (int epoch = 0; epoch < 4; ++epoch) {
    for (int64_t i = 0; i < 25; ++i) {
      perceptron_epoch(tr, X, y, {(i * 7 + epoch) % 25}, 0.5);  // one example at a time
      for (int64_t j = 0; j < 18; ++j) sum_w[static_cast<size_t>(j)] += tr.model.W[j];
      for (int64_t k = 0; k < 3; ++k) sum_b[static_cast<size_t>(k)] += tr.model.b[k];
      ++steps;
    }
  }
  const DigitModel avg = averaged_model(tr);
  for (int64_t j = 0; j < 18; ++j)
    EXPECT_NEAR(avg.W[j], sum_w[static_cast<size_t>(j)] / steps, 1e-5);
  for (int64_t k = 0; k < 3; ++k)
    EXPECT_NEAR(avg.b[k], sum_b[static_cast<size_t>(k)] / steps, 1e-5);
}

// Three well-separated prototypes plus noise: the perceptron must reach zero training
// mistakes (the multi-class convergence theorem).
TEST(Phase1Digits, LearnsASeparableProblem) {
  const int64_t N = 300, D = 20;
  common::Rng rng(6);
  common::Tensor X({N, D});
  std::vector<int> y(N);
  for (int64_t n = 0; n < N; ++n) {
    const int k = static_cast<int>(n % 3);
    y[static_cast<size_t>(n)] = k;
    for (int64_t j = 0; j < D; ++j) {
      const bool on = j / 7 == k;  // class k lights pixels 7k .. 7k+6
      X.at(n, j) = static_cast<float>((on ? 0.8 : 0.1) + 0.1 * rng.uniform());
    }
  }
  DigitTrainer tr = make_digit_trainer(10, D);
  std::vector<int64_t> order(N);
  for (int64_t i = 0; i < N; ++i) order[static_cast<size_t>(i)] = i;
  int64_t last = -1;
  for (int epoch = 0; epoch < 20 && last != 0; ++epoch) {
    rng.shuffle(order);
    last = perceptron_epoch(tr, X, y, order, 1.0);
  }
  EXPECT_EQ(last, 0);
  EXPECT_EQ(accuracy(digit_predict(tr.model, X), y), 1.0);
  EXPECT_EQ(accuracy(digit_predict(averaged_model(tr), X), y), 1.0);
}

TEST(Phase1Digits, NonFiniteScoresStopTrainingWithAHint) {
  common::Tensor X;
  std::vector<int> y;
  random_data(50, 784, 10, 7, X, y);
  DigitTrainer tr = make_digit_trainer(10, 784);
  std::vector<int64_t> order(50);
  for (int64_t i = 0; i < 50; ++i) order[static_cast<size_t>(i)] = i;
  try {
    for (int e = 0; e < 5; ++e) perceptron_epoch(tr, X, y, order, 1e38);
    FAIL() << "expected an error";
  } catch (const common::Error& e) {
    EXPECT_NE(std::string(e.what()).find("lower --lr"), std::string::npos) << e.what();
  }
}

TEST(Phase1Digits, ConfusionMatrixAndAccuracy) {
  const std::vector<int> y = {0, 1, 1, 2}, said = {0, 1, 2, 2};
  const auto c = confusion_matrix(said, y, 3);
  EXPECT_EQ(c[0 * 3 + 0], 1);
  EXPECT_EQ(c[1 * 3 + 1], 1);
  EXPECT_EQ(c[1 * 3 + 2], 1);
  EXPECT_EQ(c[2 * 3 + 2], 1);
  EXPECT_DOUBLE_EQ(accuracy(said, y), 0.75);
  EXPECT_NE(format_confusion(c, 3).find("recall"), std::string::npos);
  EXPECT_THROW(confusion_matrix({5}, {0}, 3), common::Error);
}

TEST(Phase1Digits, MisclassifiedPreviewAndTemplateGrid) {
  common::Tensor X;
  std::vector<int> y;
  random_data(6, 784, 10, 8, X, y);
  std::vector<int> said = y;
  said[1] = (y[1] + 1) % 10;
  said[4] = (y[4] + 1) % 10;
  const std::string text = format_misclassified(X, y, said, 3, 28, 28);
  EXPECT_NE(text.find("#1: true"), std::string::npos);
  EXPECT_NE(text.find("#4: true"), std::string::npos);
  EXPECT_EQ(text.find("#0: true"), std::string::npos);

  DigitModel m = make_digit_model(10, 784);
  m.W.at(3, 100) = 1.0f;
  m.W.at(3, 101) = -1.0f;
  const common::Image grid = template_grid(m, 28, 28, 5, 2);
  EXPECT_EQ(grid.width, 5 * 56 + 6 * 2);
  EXPECT_EQ(grid.height, 2 * 56 + 3 * 2);
  EXPECT_EQ(grid.channels, 3);
  EXPECT_THROW(template_grid(m, 20, 20, 5, 2), common::Error);
}

}  // namespace
}  // namespace phase1
