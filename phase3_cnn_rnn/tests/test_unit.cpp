// Unit tests (label: unit): the fast kernels against their references, determinism
// across thread counts, and the small pieces (pooling, losses, optimisers, k-NN,
// sampling, words, pictures). No data files needed.
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "char_rnn.h"
#include "classical.h"
#include "conv.h"
#include "error.h"
#include "layers.h"
#include "lenet.h"
#include "pictures.h"
#include "pool.h"
#include "rng.h"
#include "rnn.h"
#include "test_support.h"
#include "thread_pool.h"
#include "vanishing.h"

namespace phase3 {
// How gtest prints a shape in test names and failures.
void PrintTo(const Conv2dShape& s, std::ostream* os) {
  *os << "N" << s.N << " " << s.H << "x" << s.W << "x" << s.C << " -> " << s.OC << " filters "
      << s.KH << "x" << s.KW << " stride " << s.stride << " pad " << s.pad;
}
}  // namespace phase3

namespace {

std::vector<float> random_floats(size_t n, common::Rng& rng) {
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(rng.normal());
  return v;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float d = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

// Restores the thread count after a test that changes it.
struct ThreadGuard {
  int saved = common::num_threads();
  ~ThreadGuard() { common::set_num_threads(saved); }
};

// ---------------------------------------------------------------------------
// im2col convolution == naive convolution

class ConvEquivalence : public ::testing::TestWithParam<phase3::Conv2dShape> {};

TEST_P(ConvEquivalence, Im2colEqualsNaiveForwardAndBackward) {
  const phase3::Conv2dShape s = GetParam();
  common::Rng rng(1);
  const auto in = random_floats(static_cast<size_t>(s.N * s.H * s.W * s.C), rng);
  const auto w = random_floats(static_cast<size_t>(s.OC * s.patch()), rng);
  const auto b = random_floats(static_cast<size_t>(s.OC), rng);
  const auto d_out = random_floats(static_cast<size_t>(s.positions() * s.OC), rng);
  std::vector<float> out_fast(d_out.size()), out_naive(d_out.size());
  std::vector<float> cols(static_cast<size_t>(s.patch() * s.ld())), d_cols(cols.size());
  phase3::conv2d_forward(out_fast.data(), cols.data(), in.data(), w.data(), b.data(), s);
  phase3::conv2d_naive_forward(out_naive.data(), in.data(), w.data(), b.data(), s);
  // Different summation orders: equal up to float rounding of sums of patch() terms.
  EXPECT_LT(max_abs_diff(out_fast, out_naive), 1e-4f);

  std::vector<float> di_fast(in.size()), dw_fast(w.size()), db_fast(b.size());
  std::vector<float> di_naive(in.size()), dw_naive(w.size()), db_naive(b.size());
  phase3::conv2d_backward(di_fast.data(), dw_fast.data(), db_fast.data(), d_cols.data(),
                          d_out.data(), cols.data(), w.data(), s);
  phase3::conv2d_naive_backward(di_naive.data(), dw_naive.data(), db_naive.data(), d_out.data(),
                                in.data(), w.data(), s);
  EXPECT_LT(max_abs_diff(di_fast, di_naive), 1e-4f);
  EXPECT_LT(max_abs_diff(dw_fast, dw_naive), 1e-3f);  // sums over every output position
  EXPECT_LT(max_abs_diff(db_fast, db_naive), 1e-3f);
}

// N, H, W, C, OC, KH, KW, stride, pad
TEST_P(ConvEquivalence, PlainAndFastLoweringAgree) {
  const phase3::Conv2dShape s = GetParam();
  common::Rng rng(2);
  const auto in = random_floats(static_cast<size_t>(s.N * s.H * s.W * s.C), rng);
  const auto w = random_floats(static_cast<size_t>(s.OC * s.patch()), rng);
  const auto b = random_floats(static_cast<size_t>(s.OC), rng);
  const auto d_out = random_floats(static_cast<size_t>(s.positions() * s.OC), rng);
  // im2col only copies: the two must agree exactly on every used entry.
  std::vector<float> cols_fast(static_cast<size_t>(s.patch() * s.ld()), -7.0f);
  std::vector<float> cols_plain(cols_fast.size(), -7.0f);
  phase3::im2col(cols_fast.data(), in.data(), s);
  phase3::im2col_plain(cols_plain.data(), in.data(), s);
  for (int64_t r = 0; r < s.patch(); ++r)
    for (int64_t k = 0; k < s.positions(); ++k) {
      const size_t at = static_cast<size_t>(r * s.ld() + k);
      ASSERT_EQ(cols_fast[at], cols_plain[at]) << "row " << r << " column " << k;
    }
  // The whole layer, forward and backward.
  std::vector<float> out_fast(d_out.size()), out_plain(d_out.size());
  std::vector<float> d_cols(cols_fast.size());
  phase3::conv2d_forward(out_fast.data(), cols_fast.data(), in.data(), w.data(), b.data(), s);
  phase3::conv2d_plain_forward(out_plain.data(), cols_plain.data(), in.data(), w.data(), b.data(),
                               s);
  EXPECT_EQ(out_fast, out_plain);  // the same product on the same matrix
  std::vector<float> di_fast(in.size()), dw_fast(w.size()), db_fast(b.size());
  std::vector<float> di_plain(in.size()), dw_plain(w.size()), db_plain(b.size());
  phase3::conv2d_backward(di_fast.data(), dw_fast.data(), db_fast.data(), d_cols.data(),
                          d_out.data(), cols_fast.data(), w.data(), s);
  phase3::conv2d_plain_backward(di_plain.data(), dw_plain.data(), db_plain.data(), d_cols.data(),
                                d_out.data(), cols_plain.data(), w.data(), s);
  // Different summation orders (chunks, gather vs scatter): float rounding only.
  EXPECT_LT(max_abs_diff(di_fast, di_plain), 1e-4f);
  EXPECT_LT(max_abs_diff(dw_fast, dw_plain), 1e-3f);
  EXPECT_LT(max_abs_diff(db_fast, db_plain), 1e-3f);
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvEquivalence,
                         ::testing::Values(phase3::Conv2dShape{4, 28, 28, 1, 6, 5, 5, 1, 2},
                                           phase3::Conv2dShape{3, 14, 14, 6, 16, 5, 5, 1, 0},
                                           phase3::Conv2dShape{2, 9, 11, 3, 4, 3, 3, 2, 1},
                                           phase3::Conv2dShape{2, 8, 8, 5, 7, 1, 1, 1, 0},
                                           phase3::Conv2dShape{1, 6, 7, 2, 3, 4, 2, 3, 2}));

TEST(Conv, BadShapesAreRejected) {
  EXPECT_THROW(phase3::check_conv_shape({1, 3, 3, 1, 1, 5, 5, 1, 0}), common::Error);
  EXPECT_THROW(phase3::check_conv_shape({1, 3, 3, 1, 1, 3, 3, 0, 0}), common::Error);
  EXPECT_NO_THROW(phase3::check_conv_shape({1, 3, 3, 1, 1, 5, 5, 1, 1}));
}

TEST(Conv, PaddingTwoEqualsAZeroBorder) {
  // C1's padding of 2 on a 28x28 image is the paper's 32x32 input with a zero border.
  common::Rng rng(2);
  const auto img = random_floats(28 * 28, rng);
  std::vector<float> big(32 * 32, 0.0f);
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x)
      big[static_cast<size_t>((y + 2) * 32 + x + 2)] = img[static_cast<size_t>(y * 28 + x)];
  const auto w = random_floats(6 * 25, rng);
  const std::vector<float> b(6, 0.5f);
  std::vector<float> a(28 * 28 * 6), c(28 * 28 * 6);
  phase3::conv2d_naive_forward(a.data(), img.data(), w.data(), b.data(),
                               {1, 28, 28, 1, 6, 5, 5, 1, 2});
  phase3::conv2d_naive_forward(c.data(), big.data(), w.data(), b.data(),
                               {1, 32, 32, 1, 6, 5, 5, 1, 0});
  EXPECT_EQ(a, c);
}

// ---------------------------------------------------------------------------
// 1 and 2 threads give identical results

TEST(Determinism, ConvolutionIsBitwiseIdenticalOnOneAndTwoThreads) {
  ThreadGuard guard;
  const phase3::Conv2dShape s{8, 14, 14, 6, 16, 5, 5, 1, 0};
  common::Rng rng(3);
  const auto in = random_floats(static_cast<size_t>(s.N * s.H * s.W * s.C), rng);
  const auto w = random_floats(static_cast<size_t>(s.OC * s.patch()), rng);
  const auto b = random_floats(static_cast<size_t>(s.OC), rng);
  const auto d_out = random_floats(static_cast<size_t>(s.positions() * s.OC), rng);
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2}) {
    common::set_num_threads(threads);
    std::vector<float> out(d_out.size()), cols(static_cast<size_t>(s.patch() * s.ld())),
        d_cols(cols.size()), di(in.size()), dw(w.size()), db(b.size());
    phase3::conv2d_forward(out.data(), cols.data(), in.data(), w.data(), b.data(), s);
    phase3::conv2d_backward(di.data(), dw.data(), db.data(), d_cols.data(), d_out.data(),
                            cols.data(), w.data(), s);
    out.insert(out.end(), di.begin(), di.end());
    out.insert(out.end(), dw.begin(), dw.end());
    out.insert(out.end(), db.begin(), db.end());
    results.push_back(out);
  }
  EXPECT_EQ(results[0], results[1]);
}

TEST(Determinism, LeNetTrainingStepsAreIdenticalOnOneAndTwoThreads) {
  ThreadGuard guard;
  common::Rng data_rng(4);
  const int64_t N = 32;
  std::vector<float> images(static_cast<size_t>(N * 784));
  for (float& p : images) p = static_cast<float>(data_rng.uniform());
  std::vector<int> labels(static_cast<size_t>(N));
  for (int& l : labels) l = static_cast<int>(data_rng.randint(0, 10));
  for (auto act : {phase3::Activation::kRelu, phase3::Activation::kTanh}) {
    phase3::LeNetConfig config;
    config.activation = act;
    config.pooling =
        act == phase3::Activation::kRelu ? phase3::Pooling::kMax : phase3::Pooling::kAverage;
    std::vector<std::vector<float>> params;
    std::vector<float> losses;
    for (int threads : {1, 2}) {
      common::set_num_threads(threads);
      phase3::LeNet model(config);
      common::Rng rng(5);
      phase3::lenet_init(model.params, config, rng);
      phase3::LeNetState state(config, N);
      for (int step = 0; step < 3; ++step)
        losses.push_back(phase3::lenet_train_step(model, state, images.data(), labels.data(), N,
                                                  0.05f, phase3::SgdConfig{}));
      params.push_back(model.params.data);
    }
    EXPECT_EQ(params[0], params[1]);
    EXPECT_EQ(losses[0], losses[3]);
    EXPECT_EQ(losses[2], losses[5]);
  }
}

TEST(Determinism, RnnTrainingStepIsIdenticalOnOneAndTwoThreads) {
  ThreadGuard guard;
  const phase3::RnnConfig config{11, 8, 40, 11};
  const int64_t T = 13, B = 6;
  common::Rng data_rng(6);
  std::vector<int> inputs(static_cast<size_t>(T * B)), targets(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    inputs[i] = static_cast<int>(data_rng.randint(0, 11));
    targets[i] = static_cast<int>(data_rng.randint(0, 11));
  }
  std::vector<std::vector<float>> grads;
  for (int threads : {1, 2}) {
    common::set_num_threads(threads);
    phase3::RnnParams p(config), g(config);
    common::Rng rng(7);
    phase3::rnn_init(p, config, rng);
    phase3::RnnState st(config, T, B);
    phase3::rnn_forward_tokens(st, p, config, inputs.data(), targets.data());
    phase3::rnn_backward_tokens(g, st, p, config, inputs.data(), targets.data());
    grads.push_back(g.data);
  }
  EXPECT_EQ(grads[0], grads[1]);
}

// ---------------------------------------------------------------------------
// Pooling, activations, losses

TEST(Pool, MaxPoolingPicksTheLargestAndRoutesTheGradientToIt) {
  // One 4x4 map with 1 channel: windows {1,5,2,6} {3,7,4,8} ... of the values below.
  const std::vector<float> in = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 15, 14, 13};
  const phase3::Pool2dShape s{1, 4, 4, 1, 2};
  std::vector<float> out(4), d_in(16, 0.0f);
  std::vector<int32_t> argmax(4);
  phase3::maxpool2d_forward(out.data(), argmax.data(), in.data(), s);
  EXPECT_EQ(out, (std::vector<float>{6, 8, 16, 14}));
  const std::vector<float> d_out = {1, 2, 3, 4};
  phase3::maxpool2d_backward(d_in.data(), d_out.data(), argmax.data(), s);
  EXPECT_EQ(d_in, (std::vector<float>{0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 3, 0, 4, 0}));
}

TEST(Pool, AveragePoolingAveragesEachChannelSeparately) {
  // A 2x2 map with 2 channels (channel-major): channel 0 = 1,2,3,4; channel 1 = 10,20,30,40.
  const std::vector<float> in = {1, 2, 3, 4, 10, 20, 30, 40};
  const phase3::Pool2dShape s{1, 2, 2, 2, 2};
  std::vector<float> out(2), d_in(8, 0.0f);
  phase3::avgpool2d_forward(out.data(), in.data(), s);
  EXPECT_FLOAT_EQ(out[0], 2.5f);
  EXPECT_FLOAT_EQ(out[1], 25.0f);
  const std::vector<float> d_out = {4, 8};
  phase3::avgpool2d_backward(d_in.data(), d_out.data(), s);
  EXPECT_EQ(d_in, (std::vector<float>{1, 1, 1, 1, 2, 2, 2, 2}));
}

TEST(Phase3Tanh, FastEqualsPlainToTwoUnitsInTheLastPlace) {
  std::vector<float> x;
  for (float v = -12.0f; v <= 12.0f; v += 0.00731f) x.push_back(v);
  std::vector<float> fast(x.size()), plain(x.size());
  phase3::tanh_forward(fast.data(), x.data(), static_cast<int64_t>(x.size()));
  phase3::tanh_plain_forward(plain.data(), x.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i)
    ASSERT_LE(std::fabs(fast[i] - plain[i]), 3e-7f * std::fabs(plain[i]) + 1e-30f) << x[i];
}

TEST(Layers, FloatTanhMatchesTheLibrary) {
  // layers.h computes float tanh itself (vectorisable); it must agree with std::tanh
  // to about 2 units in the last place, keep tiny inputs exact, and pass NaN through.
  std::vector<float> x;
  for (double v = -30.0; v <= 30.0; v += 0.00137) x.push_back(static_cast<float>(v));
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-7f, 1e-4f, 88.0f, -1e30f}) x.push_back(v);
  std::vector<float> y(x.size());
  phase3::tanh_forward(y.data(), x.data(), static_cast<int64_t>(x.size()));
  double worst = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double exact = std::tanh(static_cast<double>(x[i]));
    const double rel = exact == 0.0 ? std::fabs(y[i]) : std::fabs(y[i] - exact) / std::fabs(exact);
    worst = std::max(worst, rel);
  }
  EXPECT_LT(worst, 3e-7);
  const float special[] = {std::nanf(""), INFINITY, -INFINITY};
  float out[3];
  phase3::tanh_forward(out, special, 3);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_EQ(out[1], 1.0f);
  EXPECT_EQ(out[2], -1.0f);
}

TEST(Layers, SoftmaxCrossEntropyOfUniformScoresIsLogV) {
  const std::vector<float> logits(2 * 4, 3.0f);
  const std::vector<int> targets = {1, 3};
  std::vector<float> probs(8), d(8, 0.0f);
  const float loss =
      phase3::softmax_cross_entropy_forward(probs.data(), logits.data(), targets.data(), 2, 4);
  EXPECT_NEAR(loss, std::log(4.0f), 1e-6f);
  phase3::softmax_cross_entropy_backward(d.data(), probs.data(), targets.data(), 2, 4);
  EXPECT_NEAR(d[1], (0.25f - 1.0f) / 2, 1e-7f);
  EXPECT_NEAR(d[0], 0.25f / 2, 1e-7f);
}

TEST(Layers, SoftmaxIsStableForHugeScores) {
  const std::vector<float> logits = {1000.0f, 0.0f, -1000.0f};
  const std::vector<int> target = {1};
  std::vector<float> probs(3);
  const float loss =
      phase3::softmax_cross_entropy_forward(probs.data(), logits.data(), target.data(), 1, 3);
  EXPECT_NEAR(loss, 1000.0f, 1e-3f);  // finite although exp(1000) overflows
  EXPECT_NEAR(probs[0], 1.0f, 1e-6f);
}

TEST(Layers, SgdMomentumFollowsPyTorchsFormula) {
  std::vector<float> w = {1.0f, -2.0f}, v = {0.0f, 0.0f};
  const std::vector<float> g = {0.5f, 0.25f};
  const phase3::SgdConfig c{0.1f, 0.9f, 0.01f};
  phase3::sgd_momentum_step(w.data(), g.data(), v.data(), 2, 0.1f, c);
  // v = g + wd w = (0.51, 0.23);  w -= 0.1 v
  EXPECT_FLOAT_EQ(v[0], 0.51f);
  EXPECT_FLOAT_EQ(w[0], 1.0f - 0.051f);
  phase3::sgd_momentum_step(w.data(), g.data(), v.data(), 2, 0.1f, c);
  EXPECT_FLOAT_EQ(v[1], 0.9f * 0.23f + (0.25f + 0.01f * (-2.0f - 0.023f)));
}

TEST(Layers, CosineScheduleGoesFromBaseToZero) {
  EXPECT_FLOAT_EQ(phase3::cosine_lr(0.1f, 0, 100), 0.1f);
  EXPECT_NEAR(phase3::cosine_lr(0.1f, 50, 100), 0.05f, 1e-7f);
  EXPECT_NEAR(phase3::cosine_lr(0.1f, 100, 100), 0.0f, 1e-9f);
}

TEST(Layers, NonFiniteLossNamesTheStepAndSuggestsALowerLr) {
  try {
    phase3::check_finite_loss(std::nan(""), 42, "lenet");
    FAIL() << "expected an error";
  } catch (const common::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("step 42"), std::string::npos) << what;
    EXPECT_NE(what.find("--lr"), std::string::npos) << what;
  }
  EXPECT_NO_THROW(phase3::check_finite_loss(1.5, 1, "lenet"));
}

TEST(Layers, InitialisationHasTheRequestedSpread) {
  common::Rng rng(8);
  std::vector<float> w(20000);
  phase3::init_normal(w.data(), 20000, phase3::he_std(50), rng);
  double sq = 0.0;
  for (float x : w) sq += static_cast<double>(x) * x;
  EXPECT_NEAR(std::sqrt(sq / 20000), std::sqrt(2.0 / 50), 0.01 * std::sqrt(2.0 / 50) * 3);
}

// ---------------------------------------------------------------------------
// LeNet-5 structure

TEST(LeNet, ParameterCountsMatchThePaperWithFullC3) {
  phase3::LeNetParams p(phase3::LeNetConfig{});
  // C1 156, C3 2416 (full connection; the paper's table gives 1516), C5 48120, F6 10164,
  // output 850.
  EXPECT_EQ(p.size(), 156 + 2416 + 48120 + 10164 + 850);
  phase3::LeNetParams copy = p;
  EXPECT_EQ(copy.c1_w, copy.data.data());  // views point into the copy's own buffer
  EXPECT_EQ(copy.out_b + 10, copy.data.data() + copy.size());
}

TEST(LeNet, BatchLargerThanTheStateIsAnError) {
  const phase3::LeNetConfig config;
  phase3::LeNetParams p(config);
  phase3::LeNetState st(config, 2);
  std::vector<float> images(3 * 784);
  EXPECT_THROW(phase3::lenet_forward(st, p, config, images.data(), nullptr, 3), common::Error);
}

// ---------------------------------------------------------------------------
// Optimisers for the RNN

TEST(Rnn, AdamFirstStepMovesEveryWeightByLr) {
  // After one step m_hat = g and v_hat = g^2, so the update is lr * g / |g| = lr sign(g).
  phase3::Adam adam(3);
  std::vector<float> w = {0.0f, 1.0f, 2.0f};
  const std::vector<float> g = {0.3f, -5.0f, 1e-3f};
  adam.step(w.data(), g.data(), 0.01f, phase3::AdamConfig{});
  EXPECT_NEAR(w[0], -0.01f, 1e-6f);
  EXPECT_NEAR(w[1], 1.01f, 1e-6f);
  EXPECT_NEAR(w[2], 2.0f - 0.01f, 1e-5f);
}

TEST(Rnn, ClippingScalesTheWholeGradientToTheMaximumNorm) {
  std::vector<float> g = {3.0f, 4.0f};
  EXPECT_FLOAT_EQ(phase3::clip_grad_norm(g.data(), 2, 1.0f), 5.0f);
  EXPECT_NEAR(g[0], 0.6f, 1e-5f);
  EXPECT_NEAR(g[1], 0.8f, 1e-5f);
  std::vector<float> small = {0.3f, 0.4f};
  phase3::clip_grad_norm(small.data(), 2, 1.0f);
  EXPECT_FLOAT_EQ(small[0], 0.3f);  // below the threshold: untouched
}

TEST(Rnn, TruncatedBpttCarriesTheStateButNotTheGradient) {
  const phase3::RnnConfig config{4, 3, 5, 4};
  phase3::RnnParams p(config);
  common::Rng rng(9);
  phase3::rnn_init(p, config, rng);
  phase3::RnnState st(config, 3, 2);
  const std::vector<int> tokens = {0, 1, 2, 3, 1, 2}, targets = {1, 2, 3, 0, 2, 3};
  phase3::rnn_forward_tokens(st, p, config, tokens.data(), targets.data());
  const std::vector<float> last(st.h.end() - 10, st.h.end());
  st.carry_state();
  EXPECT_EQ(std::vector<float>(st.h.begin(), st.h.begin() + 10), last);
  st.reset_state();
  EXPECT_EQ(std::vector<float>(st.h.begin(), st.h.begin() + 10), std::vector<float>(10, 0.0f));
}

TEST(Rnn, SamplingIsReproducibleAndRespectsTheVocabulary) {
  const std::string text = "abcab cabca bcabc";
  const common::CharVocab vocab = common::build_char_vocab(text);
  const phase3::RnnConfig config{vocab.size(), 4, 8, vocab.size()};
  phase3::RnnParams p(config);
  common::Rng init(10);
  phase3::rnn_init(p, config, init);
  common::Rng a(3), b(3);
  const std::string s1 = phase3::sample_text(p, config, vocab, "ab", 40, 0.8f, a);
  const std::string s2 = phase3::sample_text(p, config, vocab, "ab", 40, 0.8f, b);
  EXPECT_EQ(s1, s2);
  EXPECT_EQ(s1.size(), 42u);
  EXPECT_EQ(s1.substr(0, 2), "ab");
  for (char ch : s1) EXPECT_NE(std::string("abc ").find(ch), std::string::npos);
  common::Rng c(3);
  EXPECT_THROW(phase3::sample_text(p, config, vocab, "ab", 5, 0.0f, c), common::UsageError);
  EXPECT_THROW(phase3::sample_text(p, config, vocab, "xyz", 5, 1.0f, c), common::Error);
}

TEST(Rnn, WordsAndKnownWordFraction) {
  EXPECT_EQ(phase3::words_of("ROMEO: Thou'rt here, lovers' 3 woes."),
            (std::vector<std::string>{"romeo", "thou'rt", "here", "lovers", "woes"}));
  const std::vector<std::string> w = phase3::words_of("the king is dead");
  const std::set<std::string> known(w.begin(), w.end());
  EXPECT_DOUBLE_EQ(phase3::known_word_fraction("The KING is gone", known), 0.75);
  EXPECT_DOUBLE_EQ(phase3::known_word_fraction("...", known), 0.0);
}

TEST(Rnn, VanishingMeasurementOfAContractingNetworkDecays) {
  // Small recurrent weights (|W_hh| well below 1) must shrink the gradient at every step.
  const phase3::RnnConfig config{5, 3, 16, 5};
  phase3::RnnParams p(config);
  common::Rng rng(11);
  phase3::rnn_init(p, config, rng);
  for (int64_t i = 0; i < 16 * 16; ++i) p.w_hh[i] *= 0.5f;
  std::vector<int> tokens(2000);
  for (int& t : tokens) t = static_cast<int>(rng.randint(0, 5));
  const phase3::VanishingResult r = phase3::measure_vanishing(p, config, tokens, 60, 64, 10, 1);
  ASSERT_EQ(r.mean_norm.size(), 61u);
  EXPECT_EQ(r.sequences, 64);
  EXPECT_GT(r.mean_norm[1], 0.0);    // the gradient does flow back in time ...
  EXPECT_GT(r.decay_per_step, 0.1);  // ... and shrinks by a factor per step, not to 0 at once
  EXPECT_LT(r.decay_per_step, 0.9);
  EXPECT_GT(r.ratio_k50_k1, 0.0);
  EXPECT_LT(r.ratio_k50_k1, 0.05);
  EXPECT_GT(r.mean_norm[0], r.mean_norm[10]);
}

// ---------------------------------------------------------------------------
// k-nearest neighbours

TEST(Knn, VotesAmongTheThreeNearestAndBreaksTiesByDistance) {
  // 1-D points (as 1-pixel images): labels 0 near 0, label 1 near 10, label 2 at 5.
  common::Tensor train({7, 1});
  const float xs[] = {0.0f, 0.5f, 1.0f, 10.0f, 10.5f, 11.0f, 5.0f};
  for (int i = 0; i < 7; ++i) train[i] = xs[i];
  const std::vector<int> labels = {0, 0, 0, 1, 1, 1, 2};
  common::Tensor test({3, 1});
  test[0] = 0.2f;   // three 0s
  test[1] = 10.9f;  // three 1s
  test[2] = 5.4f;   // neighbours 5 (2), 1 (0), 10 (1): a three-way tie -> the nearest, 2
  const std::vector<int> predicted = phase3::knn_predict(train, labels, test, 3, 3, false);
  EXPECT_EQ(predicted, (std::vector<int>{0, 1, 2}));
  EXPECT_DOUBLE_EQ(phase3::accuracy(predicted, {0, 1, 0}), 2.0 / 3.0);
}

TEST(Knn, BlocksAndThreadsDoNotChangeTheAnswer) {
  ThreadGuard guard;
  common::Rng rng(12);
  common::Tensor train({600, 20}), test({300, 20});
  for (float& v : train) v = static_cast<float>(rng.uniform());
  for (float& v : test) v = static_cast<float>(rng.uniform());
  std::vector<int> labels(600);
  for (int& l : labels) l = static_cast<int>(rng.randint(0, 4));
  common::set_num_threads(1);
  const auto one = phase3::knn_predict(train, labels, test, 3, 4, false);
  common::set_num_threads(2);
  const auto two = phase3::knn_predict(train, labels, test, 3, 4, false);
  EXPECT_EQ(one, two);
  // A brute-force check of a few rows.
  for (int i = 0; i < 300; i += 37) {
    std::vector<std::pair<double, int>> d;
    for (int j = 0; j < 600; ++j) {
      double s = 0;
      for (int k = 0; k < 20; ++k) s += std::pow(test.at(i, k) - train.at(j, k), 2);
      d.emplace_back(s, j);
    }
    std::sort(d.begin(), d.end());
    std::vector<int> votes(4, 0);
    for (int k = 0; k < 3; ++k)
      ++votes[static_cast<size_t>(labels[static_cast<size_t>(d[static_cast<size_t>(k)].second)])];
    const int best = *std::max_element(votes.begin(), votes.end());
    EXPECT_EQ(votes[static_cast<size_t>(one[static_cast<size_t>(i)])], best) << "row " << i;
  }
}

// ---------------------------------------------------------------------------
// Pictures

TEST(Pictures, MisclassifiedGridHasACaptionStripPerTile) {
  common::Tensor x({3, 28 * 28});
  const std::vector<int> truth = {1, 2, 3}, predicted = {7, 2, 8};
  const common::Image img = phase3::misclassified_picture(x, 28, {0, 2}, truth, predicted, 10);
  EXPECT_EQ(img.channels, 3);
  EXPECT_EQ(img.height, 28 * 3 + 7 * 3 + 2 * 2);  // digit x3, caption, borders
  EXPECT_EQ(img.width, 2 * 28 * 3 + 3 * 2);
  const std::string text = phase3::ascii_misclassified(x, 28, {0, 2}, truth, predicted, 5);
  EXPECT_NE(text.find("true 1 -> 7"), std::string::npos) << text;
  EXPECT_NE(text.find("true 3 -> 8"), std::string::npos) << text;
}

TEST(Pictures, NumberFontRefusesLetters) {
  common::Image img(40, 10, 3);
  const uint8_t white[3] = {255, 255, 255};
  EXPECT_NO_THROW(phase3::draw_number_text(img, 0, 0, "0 9", 1, white));
  EXPECT_EQ(img.at(0, 0)[0], 255);
  EXPECT_THROW(phase3::draw_number_text(img, 0, 0, "a", 1, white), common::Error);
}

}  // namespace

// ---------------------------------------------------------------------------
// Resumable char-RNN training: stopping after step 30 and resuming from the checkpoint ends
// with exactly the parameters, Adam state and losses of an uninterrupted 60-step run.

namespace {

phase3::CharCorpus tiny_corpus() {
  phase3::CharCorpus corpus;
  corpus.name = "tiny";
  for (int i = 0; i < 300; ++i) corpus.text += "the cat sat on the mat. a dog ran. ";
  corpus.vocab = common::build_char_vocab(corpus.text);
  const std::vector<int> ids = corpus.vocab.encode(corpus.text);
  const size_t cut = ids.size() * 9 / 10;
  corpus.train.assign(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(cut));
  corpus.val.assign(ids.begin() + static_cast<std::ptrdiff_t>(cut), ids.end());
  return corpus;
}

phase3::CharRnnTrainConfig tiny_training(const std::string& checkpoint) {
  phase3::CharRnnTrainConfig train;
  train.seq_len = 12;
  train.batch = 4;
  train.steps = 60;
  train.eval_every = 20;
  train.checkpoint = checkpoint;
  train.checkpoint_every = 7;  // not a divisor of the stop: the last save is the stop's own
  train.verbose = false;
  return train;
}

}  // namespace

TEST(CharRnnResume, StoppedAndResumedEqualsUninterrupted) {
  common::testing::TempDir dir;
  const phase3::CharCorpus corpus = tiny_corpus();
  const phase3::RnnConfig config{
      .vocab = corpus.vocab.size(), .input = 8, .hidden = 16, .output = corpus.vocab.size()};
  phase3::CharRnn whole(config);
  const phase3::CharRnnTrainResult a =
      phase3::train_char_rnn(whole, corpus, tiny_training(dir.file("whole.ckpt")));

  phase3::CharRnnTrainConfig first = tiny_training(dir.file("split.ckpt"));
  first.stop_after = 30;
  phase3::CharRnn part(config);
  phase3::train_char_rnn(part, corpus, first);
  phase3::CharRnnTrainConfig second = tiny_training(dir.file("split.ckpt"));
  second.resume = true;
  phase3::CharRnn resumed(config);  // a fresh process would start from a fresh model
  const phase3::CharRnnTrainResult b = phase3::train_char_rnn(resumed, corpus, second);

  EXPECT_EQ(a.val_loss, b.val_loss);
  EXPECT_EQ(a.val_history, b.val_history);
  EXPECT_EQ(a.train_history, b.train_history);
  EXPECT_EQ(whole.params.data, resumed.params.data);
  EXPECT_EQ(whole.adam.m, resumed.adam.m);
  EXPECT_EQ(whole.adam.t, resumed.adam.t);
  EXPECT_GT(a.val_history.front(), a.val_history.back());  // it learned something
}

TEST(CharRnnResume, ACheckpointOfOtherSettingsIsRefused) {
  common::testing::TempDir dir;
  const phase3::CharCorpus corpus = tiny_corpus();
  const phase3::RnnConfig config{
      .vocab = corpus.vocab.size(), .input = 8, .hidden = 16, .output = corpus.vocab.size()};
  phase3::CharRnnTrainConfig train = tiny_training(dir.file("run.ckpt"));
  train.stop_after = 10;
  phase3::CharRnn model(config);
  phase3::train_char_rnn(model, corpus, train);
  train.stop_after = 0;
  train.resume = true;
  train.seed = 2;  // another run
  phase3::CharRnn other(config);
  EXPECT_THROW(phase3::train_char_rnn(other, corpus, train), common::Error);
}
