// Unit tests of the network (label unit): parameter layout, initialisation, SGD with
// momentum, the training-step contract, determinism, and error reporting.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "error.h"
#include "lesson.h"
#include "mlp.h"
#include "perceptron.h"
#include "thread_pool.h"
#include "train.h"

namespace phase2 {
namespace {

TEST(Phase2Mlp, DigitsNetworkHas235146Parameters) {
  const Mlp<float> model = make_mlp<float>(digits_config());
  EXPECT_EQ(model.num_params(), 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
  EXPECT_EQ(model.num_params(), 235146);
  EXPECT_EQ(model.num_layers(), 3);
  EXPECT_EQ(model.layers[1].weight_offset, 784 * 256 + 256);
  EXPECT_EQ(model.layers[1].bias_offset, 784 * 256 + 256 + 256 * 128);
  const std::vector<ParamTensor> tensors = parameter_tensors(model);
  ASSERT_EQ(tensors.size(), 6u);
  EXPECT_EQ(tensors[0].name, "W1");
  EXPECT_EQ(tensors[0].shape, (std::vector<int64_t>{256, 784}));
  EXPECT_EQ(tensors[5].name, "b3");
  EXPECT_EQ(tensors[5].size, 10);
}

TEST(Phase2Mlp, RejectsBadConfigs) {
  MlpConfig config;
  config.sizes = {4};
  EXPECT_THROW(make_mlp<float>(config), common::Error);
  config.sizes = {4, 0, 2};
  EXPECT_THROW(make_mlp<float>(config), common::Error);
  config.sizes = {4, 3, 2};
  config.output = Activation::sigmoid;  // softmax-CE brings its own softmax
  EXPECT_THROW(make_mlp<float>(config), common::Error);
}

TEST(Phase2Mlp, LossRejectsLabelsOutOfRange) {
  MlpConfig config;
  config.sizes = {2, 3, 2};
  Mlp<float> model = make_mlp<float>(config);
  MlpState<float> state;
  const std::vector<float> x = {0.5f, -0.5f};
  const std::vector<int> bad = {2};
  mlp_forward(model, state, x.data(), 1);
  Target<float> target;
  target.labels = bad.data();
  EXPECT_THROW(mlp_loss(model, state, target), common::Error);
}

TEST(Phase2Init, SchemesHaveTheirScales) {
  common::Rng rng(7);
  const int64_t fan_in = 400, fan_out = 300, n = fan_in * fan_out;
  std::vector<double> w(n);
  auto stats = [&](double& mean, double& stddev, double& max_abs) {
    mean = 0.0, stddev = 0.0, max_abs = 0.0;
    for (double v : w) mean += v / n, max_abs = std::max(max_abs, std::fabs(v));
    for (double v : w) stddev += (v - mean) * (v - mean) / n;
    stddev = std::sqrt(stddev);
  };
  double mean, stddev, max_abs;
  init_he_normal(w.data(), fan_in, fan_out, rng);
  stats(mean, stddev, max_abs);
  EXPECT_NEAR(stddev, std::sqrt(2.0 / fan_in), 0.01 * std::sqrt(2.0 / fan_in));
  EXPECT_NEAR(mean, 0.0, 0.001);
  init_xavier_uniform(w.data(), fan_in, fan_out, rng);
  stats(mean, stddev, max_abs);
  const double a = std::sqrt(6.0 / (fan_in + fan_out));
  EXPECT_LE(max_abs, a);
  EXPECT_NEAR(stddev, a / std::sqrt(3.0), 0.01 * a);
  init_uniform_small(w.data(), fan_in, fan_out, 0.5, rng);
  stats(mean, stddev, max_abs);
  EXPECT_LE(max_abs, 0.5);
  EXPECT_NEAR(stddev, 0.5 / std::sqrt(3.0), 0.005);
}

TEST(Phase2Init, SameSeedSameNetworkAndZeroBiases) {
  common::Rng a(42), b(42);
  Mlp<float> m1 = make_mlp<float>(digits_config()), m2 = make_mlp<float>(digits_config());
  mlp_init(m1, a);
  mlp_init(m2, b);
  EXPECT_EQ(m1.params, m2.params);
  for (int l = 0; l < m1.num_layers(); ++l)
    for (int64_t o = 0; o < m1.layers[l].out; ++o) EXPECT_EQ(m1.bias(l)[o], 0.0f);
}

TEST(Phase2Sgd, MomentumUpdateByHand) {
  MlpConfig config;
  config.sizes = {1, 1};
  Mlp<double> model = make_mlp<double>(config);  // params: W (1, 1), b (1)
  model.params = {1.0, 0.0};
  Sgd<double> sgd{{0.1, 0.9}, {}};
  model.grads = {2.0, 0.0};
  sgd_step(sgd, model);  // v = 2, w = 1 - 0.2 = 0.8
  EXPECT_DOUBLE_EQ(model.params[0], 0.8);
  model.grads = {1.0, 0.0};
  sgd_step(sgd, model);  // v = 0.9 * 2 + 1 = 2.8, w = 0.8 - 0.28 = 0.52
  EXPECT_DOUBLE_EQ(sgd.velocity[0], 2.8);
  EXPECT_NEAR(model.params[0], 0.52, 1e-15);
}

TEST(Phase2Training, StepsReduceTheLossOnAFixedBatch) {
  common::Rng rng(9);
  MlpConfig config;
  config.sizes = {6, 16, 3};
  Mlp<float> model = make_mlp<float>(config);
  mlp_init(model, rng);
  std::vector<float> x(8 * 6);
  for (float& v : x) v = static_cast<float>(rng.normal());
  const std::vector<int> y = {0, 1, 2, 0, 1, 2, 0, 1};
  Target<float> target;
  target.labels = y.data();
  Sgd<float> sgd{{0.1, 0.9}, {}};
  MlpState<float> state;
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 50; ++step) {
    mlp_forward(model, state, x.data(), 8);
    last = mlp_loss(model, state, target);
    if (step == 0) first = last;
    mlp_zero_grad(model);
    mlp_backward(model, state, target);
    sgd_step(sgd, model);
  }
  EXPECT_LT(last, 0.1 * first);
}

// gemm sums in the same order whatever the thread count, so training is bitwise
// reproducible across --threads.
TEST(Phase2Training, OneAndTwoThreadsGiveIdenticalWeights) {
  auto train = [](int threads) {
    common::set_num_threads(threads);
    common::Rng rng(5);
    Mlp<float> model = make_mlp<float>(digits_config());
    mlp_init(model, rng);
    const int64_t N = 64;
    std::vector<float> x(N * 784);
    std::vector<int> y(N);
    for (float& v : x) v = static_cast<float>(rng.uniform());
    for (int& v : y) v = static_cast<int>(rng.randint(0, 10));
    Target<float> target;
    target.labels = y.data();
    Sgd<float> sgd{digits_sgd(), {}};
    MlpState<float> state;
    for (int step = 0; step < 3; ++step) {
      mlp_forward(model, state, x.data(), N);
      mlp_loss(model, state, target);
      mlp_zero_grad(model);
      mlp_backward(model, state, target);
      sgd_step(sgd, model);
    }
    return model.params;
  };
  const std::vector<float> one = train(1), two = train(2);
  common::set_num_threads(0);
  EXPECT_EQ(one, two);
}

TEST(Phase2Training, NonFiniteLossNamesTheStepAndTheFlag) {
  EXPECT_NO_THROW(check_finite_loss(1.5, 3, 0.1));
  try {
    check_finite_loss(std::nan(""), 17, 0.5);
    FAIL() << "no exception";
  } catch (const common::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("step 17"), std::string::npos) << message;
    EXPECT_NE(message.find("--lr"), std::string::npos) << message;
  }
}

TEST(Phase2Training, NonFiniteLossStopsTraining) {
  common::Rng rng(2);
  Dataset train = two_spirals(64, 0.02, rng);
  train.x.at(5, 1) = std::nanf("");  // one poisoned input makes its batch's loss NaN
  MlpConfig config;
  config.sizes = {2, 16, 2};
  Mlp<float> model = make_mlp<float>(config);
  mlp_init(model, rng);
  MiniBatchConfig mb;
  mb.epochs = 1;
  mb.batch_size = 128;  // one full batch: step 1
  mb.progress = false;
  try {
    train_minibatch(model, train.x, train.labels, train.x, train.labels, mb, rng);
    FAIL() << "no exception";
  } catch (const common::Error& e) {
    EXPECT_NE(std::string(e.what()).find("diverged at step 1"), std::string::npos) << e.what();
  }
}

TEST(Phase2Perceptron, SeparatesWellSeparatedBlobs) {
  common::Rng rng(8);
  const int64_t N = 300;
  common::Tensor x({N, 2});
  std::vector<int> y(N);
  for (int64_t n = 0; n < N; ++n) {
    y[n] = static_cast<int>(n % 3);
    x.at(n, 0) = static_cast<float>(3.0 * (y[n] == 1) + 0.3 * rng.normal());
    x.at(n, 1) = static_cast<float>(3.0 * (y[n] == 2) + 0.3 * rng.normal());
  }
  const PerceptronResult r = train_multiclass_perceptron(x, y, x, y, 3, 5, rng);
  EXPECT_GE(r.test_accuracy, 0.98);
  EXPECT_GE(r.averaged_test_accuracy, 0.98);
}

}  // namespace
}  // namespace phase2
