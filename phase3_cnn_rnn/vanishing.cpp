// phase3_cnn_rnn/vanishing.cpp -- see vanishing.h.
#include "vanishing.h"

#include <algorithm>
#include <cmath>

#include "error.h"
#include "layers.h"
#include "thread_pool.h"

namespace phase3 {

// ---------------------------------------------------------------------------
// The vanishing gradient

VanishingResult measure_vanishing(const RnnParams& params, const RnnConfig& c,
                                  const std::vector<int>& tokens, int64_t max_k, int64_t sequences,
                                  int64_t warmup, uint64_t seed) {
  const int64_t T = warmup + max_k + 1, B = std::min<int64_t>(32, sequences);
  const int64_t H = c.hidden, V = c.output, n = static_cast<int64_t>(tokens.size());
  if (n < T + 2) throw common::Error("vanishing: the text is shorter than one sequence");
  common::Rng rng(seed);
  RnnState st(c, T, B);
  RnnParams grads(c);  // the weight gradients are computed along the way and ignored
  std::vector<int> inputs(static_cast<size_t>(T * B)), targets(inputs.size());
  std::vector<double> sums(static_cast<size_t>(max_k + 1), 0.0);
  VanishingResult result;
  for (int64_t done = 0; done < sequences; done += B) {
    for (int64_t b = 0; b < B; ++b) {
      const int64_t start = rng.randint(0, n - T - 1);
      for (int64_t t = 0; t < T; ++t) {
        inputs[static_cast<size_t>(t * B + b)] = tokens[static_cast<size_t>(start + t)];
        targets[static_cast<size_t>(t * B + b)] = tokens[static_cast<size_t>(start + t + 1)];
      }
    }
    st.reset_state();
    rnn_forward_tokens(st, params, c, inputs.data(), targets.data());
    // The loss of each sequence is its cross-entropy at the last step only.
    std::fill(st.d_y.begin(), st.d_y.end(), 0.0f);
    std::fill(st.d_h.begin(), st.d_h.end(), 0.0f);
    const int64_t last = (T - 1) * B;  // first row of the last step
    for (int64_t b = 0; b < B; ++b)
      softmax_cross_entropy_backward(st.d_y.data() + (last + b) * V,
                                     st.probs.data() + (last + b) * V, targets.data() + last + b, 1,
                                     V);
    linear_backward(st.d_h.data(), grads.w_hy, grads.b_y, st.d_y.data(), st.h.data() + B * H,
                    params.w_hy, T * B, H, V);
    rnn_backward(static_cast<float*>(nullptr), grads.w_xh, grads.w_hh, grads.b_h,
                 static_cast<float*>(nullptr), st.d_a.data(), st.d_h.data(), st.h.data(),
                 st.x.data(), params.w_xh, params.w_hh, T, B, c.input, H);
    // d_h now holds dLoss/dh_t for every t; record its norm k steps before the end.
    for (int64_t k = 0; k <= max_k; ++k) {
      const float* dh = st.d_h.data() + (T - 1 - k) * B * H;
      for (int64_t b = 0; b < B; ++b) {
        double sq = 0.0;
        for (int64_t j = 0; j < H; ++j) sq += static_cast<double>(dh[b * H + j]) * dh[b * H + j];
        sums[static_cast<size_t>(k)] += std::sqrt(sq);
      }
    }
    result.sequences += B;
  }
  result.mean_norm.resize(sums.size());
  for (size_t k = 0; k < sums.size(); ++k)
    result.mean_norm[k] = sums[k] / static_cast<double>(result.sequences);
  // log ||g_k|| ~ a + k log(r): least squares over k = 1..max_k (k = 0 is the output's own
  // gradient, before any recurrent step). Zero norms (flushed below 1e-38) are left out.
  double sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0;
  for (int64_t k = 1; k <= max_k; ++k) {
    const double g = result.mean_norm[static_cast<size_t>(k)];
    if (!(g > 0.0)) continue;
    const double x = static_cast<double>(k), y = std::log(g);
    sx += x, sy += y, sxx += x * x, sxy += x * y, m += 1;
  }
  if (m >= 2) result.decay_per_step = std::exp((m * sxy - sx * sy) / (m * sxx - sx * sx));
  if (max_k >= 50 && result.mean_norm[1] > 0.0)
    result.ratio_k50_k1 = result.mean_norm[50] / result.mean_norm[1];
  return result;
}

}  // namespace phase3
