// phase5_resnet/pool.h -- subsampling: average pooling and max pooling.
// Copied forward from phase 3 (phase3_cnn_rnn/pool.h), unchanged but for the namespace:
// this phase's VGG and LeNet-5 use max pooling.
//
// LeCun's LeNet-5 follows each convolution with a "subsampling" layer: it averages each
// non-overlapping 2x2 block of a feature map, halving its width and height, so that
// the exact position of a feature matters less (a small shift of the input moves a
// feature within its block and barely changes the average). Max pooling, which keeps
// the largest value of each block instead, replaced it in later networks (Ranzato et
// al. 2007, Krizhevsky et al. 2012).
//
// Layout batch-innermost, as everywhere in this phase (conv.h): in (C, H, W, N), out
// (C, OH, OW, N), with windows of K x K and stride K (non-overlapping), OH = H / K,
// OW = W / K (a remainder row or column is dropped, as in PyTorch). The innermost loops
// run over the N images of the batch, which sit side by side in memory.
#pragma once

#include <cstdint>

#include "thread_pool.h"

namespace phase5 {

struct Pool2dShape {
  int64_t N = 1, H = 1, W = 1, C = 1;  // input (C, H, W, N)
  int64_t K = 2;                       // window size = stride
  int64_t OH() const { return H / K; }
  int64_t OW() const { return W / K; }
};

// Average pooling:  out = (1/K^2) sum of the window;   d_in[window] += d_out / K^2
// Each loop below runs over output rows (channel c, row i) in parallel: windows do not
// overlap, so the tasks read and write disjoint parts of every buffer. The innermost
// loop runs over the N images, contiguous in memory, and is vectorised.

template <class Real>
void avgpool2d_forward(Real* out, const Real* in, const Pool2dShape& s) {
  const int64_t OH = s.OH(), OW = s.OW(), K = s.K, N = s.N;
  const Real scale = Real(1) / static_cast<Real>(K * K);
  common::parallel_for(0, s.C * OH, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t ci = lo; ci < hi; ++ci) {
      const int64_t c = ci / OH, i = ci % OH;
      for (int64_t j = 0; j < OW; ++j) {
        Real* o = out + (ci * OW + j) * N;  // (N)
        for (int64_t n = 0; n < N; ++n) o[n] = Real(0);
        for (int64_t p = 0; p < K; ++p)
          for (int64_t q = 0; q < K; ++q) {
            const Real* x = in + ((c * s.H + i * K + p) * s.W + j * K + q) * N;
            for (int64_t n = 0; n < N; ++n) o[n] += x[n];
          }
        for (int64_t n = 0; n < N; ++n) o[n] *= scale;
      }
    }
  });
}
template <class Real>
void avgpool2d_backward(Real* d_in, const Real* d_out, const Pool2dShape& s) {
  const int64_t OH = s.OH(), OW = s.OW(), K = s.K, N = s.N;
  const Real scale = Real(1) / static_cast<Real>(K * K);
  common::parallel_for(0, s.C * OH, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t ci = lo; ci < hi; ++ci) {
      const int64_t c = ci / OH, i = ci % OH;
      for (int64_t j = 0; j < OW; ++j) {
        const Real* g = d_out + (ci * OW + j) * N;
        for (int64_t p = 0; p < K; ++p)
          for (int64_t q = 0; q < K; ++q) {
            Real* dx = d_in + ((c * s.H + i * K + p) * s.W + j * K + q) * N;
            for (int64_t n = 0; n < N; ++n) dx[n] += g[n] * scale;
          }
      }
    }
  });
}

// Max pooling:  out = max of the window; the gradient flows only to the winner.
// argmax (C, OH, OW, N) records the winner's index into `in` (forward writes it,
// backward reads it), so backward needs no comparisons.
template <class Real>
void maxpool2d_forward(Real* out, int32_t* argmax, const Real* in, const Pool2dShape& s) {
  const int64_t OH = s.OH(), OW = s.OW(), K = s.K, N = s.N;
  common::parallel_for(0, s.C * OH, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t ci = lo; ci < hi; ++ci) {
      const int64_t c = ci / OH, i = ci % OH;
      for (int64_t j = 0; j < OW; ++j) {
        Real* o = out + (ci * OW + j) * N;
        int32_t* a = argmax + (ci * OW + j) * N;
        // Start from the window's top-left pixel; a later one replaces it only when
        // strictly greater, so the first position wins ties. The choice is written as
        // a select, not a branch: it vectorises, and a branch on which value is larger
        // would be mispredicted about half the time.
        const int64_t first = ((c * s.H + i * K) * s.W + j * K) * N;
        for (int64_t n = 0; n < N; ++n) {
          o[n] = in[first + n];
          a[n] = static_cast<int32_t>(first + n);
        }
        for (int64_t p = 0; p < K; ++p)
          for (int64_t q = 0; q < K; ++q) {
            const int64_t at = ((c * s.H + i * K + p) * s.W + j * K + q) * N;
            for (int64_t n = 0; n < N; ++n) {
              const Real v = in[at + n];
              const bool better = v > o[n];
              o[n] = better ? v : o[n];
              a[n] = better ? static_cast<int32_t>(at + n) : a[n];
            }
          }
      }
    }
  });
}
template <class Real>
void maxpool2d_backward(Real* d_in, const Real* d_out, const int32_t* argmax,
                        const Pool2dShape& s) {
  const int64_t row = s.OW() * s.N;
  common::parallel_for(0, s.C * s.OH(), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t k = lo * row; k < hi * row; ++k) d_in[argmax[k]] += d_out[k];
  });
}

}  // namespace phase5
