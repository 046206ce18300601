// Gradient checks (label: gradcheck): the LSTM's backpropagation through time (and the
// RNN's, copied from phase 3) against central finite differences, in double precision.
//
// For the network output y = f(x, w), take the scalar L = sum_i r_i y_i with fixed random r,
// so that dL/dy = r is what backward receives. For every input and parameter entry theta:
//   numeric  = (L(theta + h) - L(theta - h)) / (2h),  h = 1e-6
//   analytic = what backward accumulated.
// The error reported is max_i |analytic_i - numeric_i| / max_i max(|analytic_i|, |numeric_i|):
// relative to the gradient's scale, so entries that happen to be near zero do not blow
// it up. Each test prints a table (name | max |exact| | max diff | relative error) and
// asserts relative error < 1e-6 (the truncation error of central differences is O(h^2)
// and the round-off O(1e-16 / h), both far below it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "layers.h"
#include "lstm.h"
#include "rng.h"
#include "rnn.h"

namespace {

using Vec = std::vector<double>;
constexpr double kStep = 1e-6;
constexpr double kTolerance = 1e-6;

Vec random_vec(size_t n, common::Rng& rng, double scale = 1.0) {
  Vec v(n);
  for (double& x : v) x = rng.normal() * scale;
  return v;
}

double dot(const Vec& a, const Vec& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Compares `analytic` with central differences of loss() with respect to `param`.
double check(const std::string& name, Vec& param, const Vec& analytic,
             const std::function<double()>& loss) {
  double largest = 0.0, worst_diff = 0.0;
  for (size_t i = 0; i < param.size(); ++i) {
    const double saved = param[i];
    param[i] = saved + kStep;
    const double plus = loss();
    param[i] = saved - kStep;
    const double minus = loss();
    param[i] = saved;
    const double numeric = (plus - minus) / (2 * kStep);
    largest = std::max({largest, std::fabs(numeric), std::fabs(analytic[i])});
    worst_diff = std::max(worst_diff, std::fabs(numeric - analytic[i]));
  }
  const double rel = largest > 0 ? worst_diff / largest : 0.0;
  std::printf("  %-14s | max |exact| %10.3e | max diff %9.2e | relative error %9.2e\n",
              name.c_str(), largest, worst_diff, rel);
  EXPECT_GT(largest, 0.0) << name << ": an all-zero gradient checks nothing";
  return rel;
}

// ---------------------------------------------------------------------------
// A two-layer LSTM over a whole sequence, in double: layer 1 reads x, layer 2 reads
// layer 1's h_1..h_T; L = sum r * (layer 2's h_1..h_T) + sum r1 * (layer 1's h_1..h_T),
// so both the gradient arriving from above and from the outputs of the lower layer are
// exercised. Initial states h_0, c_0 are nonzero (truncated BPTT's carried state).

struct TwoLayerLstm {
  int64_t T = 7, B = 3, D = 4, H = 5;
  Vec x, h0a, c0a, h0b, c0b;       // x (T, B, D); initial states (B, H)
  Vec wx1, wh1, b1, wx2, wh2, b2;  // (4H, D), (4H, H), (4H); (4H, H), (4H, H), (4H)
  Vec r1, r2;                      // (T, B, H) the loss weights of both layers' outputs

  explicit TwoLayerLstm(common::Rng& rng) {
    const size_t G = static_cast<size_t>(4 * H), TBH = static_cast<size_t>(T * B * H),
                 BH = static_cast<size_t>(B * H);
    x = random_vec(static_cast<size_t>(T * B * D), rng);
    h0a = random_vec(BH, rng, 0.5);
    c0a = random_vec(BH, rng, 0.5);
    h0b = random_vec(BH, rng, 0.5);
    c0b = random_vec(BH, rng, 0.5);
    wx1 = random_vec(G * static_cast<size_t>(D), rng, 0.5);
    wh1 = random_vec(G * static_cast<size_t>(H), rng, 0.5);
    b1 = random_vec(G, rng, 0.5);
    wx2 = random_vec(G * static_cast<size_t>(H), rng, 0.5);
    wh2 = random_vec(G * static_cast<size_t>(H), rng, 0.5);
    b2 = random_vec(G, rng, 0.5);
    r1 = random_vec(TBH, rng);
    r2 = random_vec(TBH, rng);
  }

  // Forward of both layers; returns L. Fills the states for backward.
  Vec ha, ca, ga, tca, hb, cb, gb, tcb;
  double loss() {
    const size_t S = static_cast<size_t>((T + 1) * B * H), G = static_cast<size_t>(T * B * 4 * H),
                 TBH = static_cast<size_t>(T * B * H), BH = static_cast<size_t>(B * H);
    ha.assign(S, 0.0), ca.assign(S, 0.0), hb.assign(S, 0.0), cb.assign(S, 0.0);
    ga.assign(G, 0.0), gb.assign(G, 0.0), tca.assign(TBH, 0.0), tcb.assign(TBH, 0.0);
    std::copy(h0a.begin(), h0a.end(), ha.begin());
    std::copy(c0a.begin(), c0a.end(), ca.begin());
    std::copy(h0b.begin(), h0b.end(), hb.begin());
    std::copy(c0b.begin(), c0b.end(), cb.begin());
    phase4::lstm_forward(ha.data(), ca.data(), ga.data(), tca.data(), x.data(), wx1.data(),
                         wh1.data(), b1.data(), T, B, D, H);
    phase4::lstm_forward(hb.data(), cb.data(), gb.data(), tcb.data(), ha.data() + BH, wx2.data(),
                         wh2.data(), b2.data(), T, B, H, H);
    const Vec out_a(ha.begin() + static_cast<std::ptrdiff_t>(BH), ha.end());
    const Vec out_b(hb.begin() + static_cast<std::ptrdiff_t>(BH), hb.end());
    return dot(r1, out_a) + dot(r2, out_b);
  }
};

TEST(GradCheck, TwoLayerLstmOverAWholeSequence) {
  common::Rng rng(7);
  TwoLayerLstm m(rng);
  m.loss();
  const size_t G = static_cast<size_t>(4 * m.H), TBH = static_cast<size_t>(m.T * m.B * m.H),
               BH = static_cast<size_t>(m.B * m.H);
  Vec d_x(m.x.size(), 0.0), d_wx1(m.wx1.size(), 0.0), d_wh1(m.wh1.size(), 0.0), d_b1(G, 0.0);
  Vec d_wx2(m.wx2.size(), 0.0), d_wh2(m.wh2.size(), 0.0), d_b2(G, 0.0);
  Vec d_c(BH), d_a(TBH * 4);
  // Layer 2 first: its output gradient is r2; its input gradient adds to layer 1's r1.
  Vec d_hb = m.r2, d_ha = m.r1;
  phase4::lstm_backward(d_ha.data(), d_wx2.data(), d_wh2.data(), d_b2.data(), d_c.data(),
                        d_a.data(), d_hb.data(), m.hb.data(), m.cb.data(), m.gb.data(),
                        m.tcb.data(), m.ha.data() + BH, m.wx2.data(), m.wh2.data(), m.T, m.B, m.H,
                        m.H);
  phase4::lstm_backward(d_x.data(), d_wx1.data(), d_wh1.data(), d_b1.data(), d_c.data(), d_a.data(),
                        d_ha.data(), m.ha.data(), m.ca.data(), m.ga.data(), m.tca.data(),
                        m.x.data(), m.wx1.data(), m.wh1.data(), m.T, m.B, m.D, m.H);
  auto loss = [&] { return m.loss(); };
  std::printf("  2-layer LSTM, T = %lld, B = %lld, D = %lld, H = %lld\n",
              static_cast<long long>(m.T), static_cast<long long>(m.B), static_cast<long long>(m.D),
              static_cast<long long>(m.H));
  EXPECT_LT(check("x", m.x, d_x, loss), kTolerance);
  EXPECT_LT(check("l0.w_x", m.wx1, d_wx1, loss), kTolerance);
  EXPECT_LT(check("l0.w_h", m.wh1, d_wh1, loss), kTolerance);
  EXPECT_LT(check("l0.b", m.b1, d_b1, loss), kTolerance);
  EXPECT_LT(check("l1.w_x", m.wx2, d_wx2, loss), kTolerance);
  EXPECT_LT(check("l1.w_h", m.wh2, d_wh2, loss), kTolerance);
  EXPECT_LT(check("l1.b", m.b2, d_b2, loss), kTolerance);
}

// The RNN copied from phase 3, through the same kind of check (one layer).
TEST(GradCheck, RnnCopiedFromPhase3) {
  common::Rng rng(11);
  const int64_t T = 6, B = 2, D = 3, H = 4;
  Vec x = random_vec(static_cast<size_t>(T * B * D), rng),
      h0 = random_vec(static_cast<size_t>(B * H), rng, 0.5);
  Vec wxh = random_vec(static_cast<size_t>(H * D), rng, 0.5),
      whh = random_vec(static_cast<size_t>(H * H), rng, 0.5),
      bh = random_vec(static_cast<size_t>(H), rng, 0.5),
      r = random_vec(static_cast<size_t>(T * B * H), rng);
  Vec h;
  auto loss = [&] {
    h.assign(static_cast<size_t>((T + 1) * B * H), 0.0);
    std::copy(h0.begin(), h0.end(), h.begin());
    phase4::rnn_forward(h.data(), x.data(), wxh.data(), whh.data(), bh.data(), T, B, D, H);
    return dot(r, Vec(h.begin() + B * H, h.end()));
  };
  loss();
  Vec d_x(x.size(), 0.0), d_wxh(wxh.size(), 0.0), d_whh(whh.size(), 0.0), d_bh(bh.size(), 0.0);
  Vec d_h = r, d_a(r.size());
  phase4::rnn_backward(d_x.data(), d_wxh.data(), d_whh.data(), d_bh.data(),
                       static_cast<double*>(nullptr), d_a.data(), d_h.data(), h.data(), x.data(),
                       wxh.data(), whh.data(), T, B, D, H);
  EXPECT_LT(check("x", x, d_x, loss), kTolerance);
  EXPECT_LT(check("w_xh", wxh, d_wxh, loss), kTolerance);
  EXPECT_LT(check("w_hh", whh, d_whh, loss), kTolerance);
  EXPECT_LT(check("b_h", bh, d_bh, loss), kTolerance);
}

}  // namespace
