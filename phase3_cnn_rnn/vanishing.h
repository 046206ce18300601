// phase3_cnn_rnn/vanishing.h -- the vanishing gradient of the trained RNN, measured.
#pragma once

#include <cstdint>
#include <vector>

#include "rnn.h"

namespace phase3 {

// ---------------------------------------------------------------------------
// The vanishing gradient, measured
//
// For sequences of length warmup + max_k + 1 and a loss at the LAST step only, the norm
// of dLoss/dh_{T-k} for k = 0..max_k, averaged over many sequences. Each step back
// multiplies the gradient by W_hh^T diag(1 - h^2); when those factors shrink vectors the
// norm decays geometrically, and the network cannot learn from anything far back.
struct VanishingResult {
  std::vector<double> mean_norm;  // (max_k + 1): k = 0 is the last step
  double decay_per_step = 0.0;  // exp(slope) of a least-squares line through log norm, k = 1..max_k
  double ratio_k50_k1 = 0.0;    // mean_norm[50] / mean_norm[1]
  int64_t sequences = 0;
};
VanishingResult measure_vanishing(const RnnParams& params, const RnnConfig& config,
                                  const std::vector<int>& tokens, int64_t max_k, int64_t sequences,
                                  int64_t warmup, uint64_t seed);

}  // namespace phase3
