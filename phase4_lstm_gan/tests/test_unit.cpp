// Unit tests (label: unit): the fast activations against their plain versions, the LSTM's
// float path (fast sigmoid/tanh, common's gemm) against its double path (the C library and
// the plain product), the initialisations, the adding problem's data, the text helpers.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "adding.h"
#include "char_lstm.h"
#include "layers.h"
#include "lstm.h"
#include "rng.h"

namespace {

TEST(Activations, FastSigmoidMatchesThePlainOne) {
  double worst = 0.0;
  for (int i = -40000; i <= 40000; ++i) {
    const float x = static_cast<float>(i) * 1e-3f;
    worst = std::max(worst, std::fabs(static_cast<double>(phase4::sigmoid_of(x)) -
                                      phase4::sigmoid_plain(static_cast<double>(x))));
  }
  EXPECT_LT(worst, 1e-6);
  EXPECT_TRUE(std::isnan(phase4::sigmoid_of(NAN)));
  EXPECT_EQ(phase4::sigmoid_of(INFINITY), 1.0f);
  EXPECT_EQ(phase4::sigmoid_of(-INFINITY), 0.0f);
}

TEST(Activations, FastTanhMatchesTheLibrary) {
  double worst = 0.0;
  for (int i = -20000; i <= 20000; ++i) {
    const float x = static_cast<float>(i) * 1e-3f;
    worst = std::max(worst, std::fabs(static_cast<double>(phase4::tanh_of(x)) - std::tanh(x)));
  }
  EXPECT_LT(worst, 1e-6);
}

// The float LSTM (fast sigmoid and tanh, products through common::gemm) against the same
// code in double (std::exp, std::tanh, the plain triple loop): the fast path changes
// rounding only.
TEST(Lstm, FloatPathMatchesThePlainDoublePath) {
  const int64_t T = 9, B = 5, D = 7, H = 12, G = 4 * H;
  common::Rng rng(3);
  auto fill = [&](std::vector<double>& v, size_t n, double scale) {
    v.resize(n);
    for (double& x : v) x = rng.normal() * scale;
  };
  std::vector<double> x, wx, wh, b, dh;
  fill(x, static_cast<size_t>(T * B * D), 1.0);
  fill(wx, static_cast<size_t>(G * D), 0.4);
  fill(wh, static_cast<size_t>(G * H), 0.4);
  fill(b, static_cast<size_t>(G), 0.4);
  fill(dh, static_cast<size_t>(T * B * H), 1.0);
  auto to_float = [](const std::vector<double>& v) {
    return std::vector<float>(v.begin(), v.end());
  };
  const size_t S = static_cast<size_t>((T + 1) * B * H), TBH = static_cast<size_t>(T * B * H);
  std::vector<double> hd(S, 0.0), cd(S, 0.0), gd(TBH * 4), tcd(TBH);
  std::vector<float> hf(S, 0.0f), cf(S, 0.0f), gf(TBH * 4), tcf(TBH);
  const auto xf = to_float(x), wxf = to_float(wx), whf = to_float(wh), bf = to_float(b);
  phase4::lstm_forward(hd.data(), cd.data(), gd.data(), tcd.data(), x.data(), wx.data(), wh.data(),
                       b.data(), T, B, D, H);
  phase4::lstm_forward(hf.data(), cf.data(), gf.data(), tcf.data(), xf.data(), wxf.data(),
                       whf.data(), bf.data(), T, B, D, H);
  for (size_t i = 0; i < S; ++i) {
    ASSERT_NEAR(hf[i], hd[i], 2e-5) << "h " << i;
    ASSERT_NEAR(cf[i], cd[i], 2e-5) << "c " << i;
  }
  std::vector<double> dwx(wx.size(), 0.0), dwh(wh.size(), 0.0), db(b.size(), 0.0),
      dx(x.size(), 0.0), dc(static_cast<size_t>(B * H)), da(TBH * 4);
  std::vector<float> dwxf(wx.size(), 0.0f), dwhf(wh.size(), 0.0f), dbf(b.size(), 0.0f),
      dxf(x.size(), 0.0f), dcf(static_cast<size_t>(B * H)), daf(TBH * 4);
  std::vector<float> dhf = to_float(dh);
  phase4::lstm_backward(dx.data(), dwx.data(), dwh.data(), db.data(), dc.data(), da.data(),
                        dh.data(), hd.data(), cd.data(), gd.data(), tcd.data(), x.data(), wx.data(),
                        wh.data(), T, B, D, H);
  phase4::lstm_backward(dxf.data(), dwxf.data(), dwhf.data(), dbf.data(), dcf.data(), daf.data(),
                        dhf.data(), hf.data(), cf.data(), gf.data(), tcf.data(), xf.data(),
                        wxf.data(), whf.data(), T, B, D, H);
  for (size_t i = 0; i < dwh.size(); ++i) ASSERT_NEAR(dwhf[i], dwh[i], 1e-4) << "d_w_h " << i;
  for (size_t i = 0; i < dwx.size(); ++i) ASSERT_NEAR(dwxf[i], dwx[i], 1e-4) << "d_w_x " << i;
  for (size_t i = 0; i < dx.size(); ++i) ASSERT_NEAR(dxf[i], dx[i], 1e-4) << "d_x " << i;
}

TEST(Lstm, ForgetBiasAndChronoInitialisation) {
  common::Rng rng(1);
  phase4::LstmConfig c{.vocab = 0, .input = 2, .hidden = 64, .layers = 2, .output = 1};
  phase4::LstmParams p(c);
  phase4::lstm_init(p, c, rng);
  for (const auto& ly : p.layer)
    for (int64_t j = 0; j < c.hidden; ++j) {
      EXPECT_EQ(ly.b[j], 0.0f);             // input gate
      EXPECT_EQ(ly.b[c.hidden + j], 1.0f);  // forget gate: bias 1
      EXPECT_EQ(ly.b[2 * c.hidden + j], 0.0f);
      EXPECT_EQ(ly.b[3 * c.hidden + j], 0.0f);
    }
  c.chrono_tmax = 100;
  phase4::lstm_init(p, c, rng);
  double largest = 0.0;
  for (int64_t j = 0; j < c.hidden; ++j) {
    const float b_f = p.layer[0].b[c.hidden + j];
    EXPECT_GE(b_f, 0.0f);                     // log(1)
    EXPECT_LE(b_f, std::log(99.0f) + 1e-6f);  // log(T_max - 1)
    EXPECT_EQ(p.layer[0].b[j], -b_f);         // b_i = -b_f
    largest = std::max(largest, static_cast<double>(b_f));
  }
  EXPECT_GT(largest, 3.0);  // some cells start with time constants of ~20+ steps
}

TEST(Lstm, CarryStateMovesTheLastStateOfEveryLayerToSlotZero) {
  const phase4::LstmConfig c{.vocab = 0, .input = 1, .hidden = 2, .layers = 2, .output = 1};
  phase4::LstmState st(c, 3, 1);
  for (auto& ly : st.layer) {
    ly.h[6] = 4.0f;  // slot T = 3 of (T+1, 1, 2)
    ly.c[7] = 5.0f;
  }
  st.carry_state();
  for (auto& ly : st.layer) {
    EXPECT_EQ(ly.h[0], 4.0f);
    EXPECT_EQ(ly.c[1], 5.0f);
  }
  st.reset_state();
  for (auto& ly : st.layer) EXPECT_EQ(ly.h[0] + ly.c[1], 0.0f);
}

TEST(Adding, TwoMarksOneInEachHalfAndTheTargetIsTheirSum) {
  common::Rng rng(5);
  const int64_t T = 30, B = 50;
  std::vector<float> x(static_cast<size_t>(T * B * 2)), y(static_cast<size_t>(B));
  phase4::make_adding_batch(x.data(), y.data(), T, B, rng);
  for (int64_t b = 0; b < B; ++b) {
    int first_half = 0, second_half = 0;
    double sum = 0.0;
    for (int64_t t = 0; t < T; ++t) {
      const float* xt = x.data() + (t * B + b) * 2;
      EXPECT_GE(xt[0], 0.0f);
      EXPECT_LT(xt[0], 1.0f);
      if (xt[1] == 1.0f) {
        (t < T / 2 ? first_half : second_half) += 1;
        sum += xt[0];
      } else {
        EXPECT_EQ(xt[1], 0.0f);
      }
    }
    EXPECT_EQ(first_half, 1);
    EXPECT_EQ(second_half, 1);
    EXPECT_NEAR(y[static_cast<size_t>(b)], sum, 1e-6);
  }
}

TEST(Text, KnownWordFraction) {
  EXPECT_EQ(phase4::words_of("The KING's men, lovers' o'er"),
            (std::vector<std::string>{"the", "king's", "men", "lovers", "o'er"}));
  const std::set<std::string> known = {"the", "king", "men"};
  EXPECT_DOUBLE_EQ(phase4::known_word_fraction("The king zzt men", known), 0.75);
  EXPECT_EQ(phase4::known_word_fraction("...", known), 0.0);
}

}  // namespace
