// phase3_cnn_rnn/pool.cpp -- see pool.h.
#include "pool.h"

#include "thread_pool.h"

namespace phase3 {

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

#define PHASE3_INSTANTIATE(Real)                                                           \
  template void avgpool2d_forward<Real>(Real*, const Real*, const Pool2dShape&);           \
  template void avgpool2d_backward<Real>(Real*, const Real*, const Pool2dShape&);          \
  template void maxpool2d_forward<Real>(Real*, int32_t*, const Real*, const Pool2dShape&); \
  template void maxpool2d_backward<Real>(Real*, const Real*, const int32_t*, const Pool2dShape&);
PHASE3_INSTANTIATE(float)
PHASE3_INSTANTIATE(double)
#undef PHASE3_INSTANTIATE

}  // namespace phase3
