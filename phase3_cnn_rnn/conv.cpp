// phase3_cnn_rnn/conv.cpp -- see conv.h.
#include "conv.h"

#include <algorithm>
#include <string>
#include <vector>

#include "error.h"
#include "layers.h"
#include "thread_pool.h"

namespace phase3 {

void check_conv_shape(const Conv2dShape& s) {
  if (s.N < 1 || s.H < 1 || s.W < 1 || s.C < 1 || s.OC < 1 || s.KH < 1 || s.KW < 1 ||
      s.stride < 1 || s.pad < 0 || s.H + 2 * s.pad < s.KH || s.W + 2 * s.pad < s.KW) {
    throw common::Error("convolution: bad sizes (input " + std::to_string(s.H) + "x" +
                        std::to_string(s.W) + "x" + std::to_string(s.C) + ", kernel " +
                        std::to_string(s.KH) + "x" + std::to_string(s.KW) + ", stride " +
                        std::to_string(s.stride) + ", pad " + std::to_string(s.pad) + ")");
  }
}

// ---------------------------------------------------------------------------
// The reference: direct convolution

template <class Real>
void conv2d_naive_forward(Real* out, const Real* in, const Real* weight, const Real* bias,
                          const Conv2dShape& s) {
  const int64_t OH = s.OH(), OW = s.OW(), N = s.N;
  for (int64_t o = 0; o < s.OC; ++o)
    for (int64_t i = 0; i < OH; ++i)
      for (int64_t j = 0; j < OW; ++j)
        for (int64_t n = 0; n < N; ++n) {
          Real sum = bias[o];
          for (int64_t c = 0; c < s.C; ++c)
            for (int64_t p = 0; p < s.KH; ++p)
              for (int64_t q = 0; q < s.KW; ++q) {
                const int64_t y = i * s.stride - s.pad + p, x = j * s.stride - s.pad + q;
                if (y < 0 || y >= s.H || x < 0 || x >= s.W) continue;  // zero padding
                sum += weight[((o * s.C + c) * s.KH + p) * s.KW + q] *
                       in[((c * s.H + y) * s.W + x) * N + n];
              }
          out[((o * OH + i) * OW + j) * N + n] = sum;
        }
}

template <class Real>
void conv2d_naive_backward(Real* d_in, Real* d_weight, Real* d_bias, const Real* d_out,
                           const Real* in, const Real* weight, const Conv2dShape& s) {
  const int64_t OH = s.OH(), OW = s.OW(), N = s.N;
  for (int64_t o = 0; o < s.OC; ++o)
    for (int64_t i = 0; i < OH; ++i)
      for (int64_t j = 0; j < OW; ++j)
        for (int64_t n = 0; n < N; ++n) {
          const Real g = d_out[((o * OH + i) * OW + j) * N + n];
          d_bias[o] += g;
          for (int64_t c = 0; c < s.C; ++c)
            for (int64_t p = 0; p < s.KH; ++p)
              for (int64_t q = 0; q < s.KW; ++q) {
                const int64_t y = i * s.stride - s.pad + p, x = j * s.stride - s.pad + q;
                if (y < 0 || y >= s.H || x < 0 || x >= s.W) continue;
                const int64_t w_at = ((o * s.C + c) * s.KH + p) * s.KW + q;
                const int64_t in_at = ((c * s.H + y) * s.W + x) * N + n;
                d_weight[w_at] += g * in[in_at];
                if (d_in != nullptr) d_in[in_at] += g * weight[w_at];
              }
        }
}

// ---------------------------------------------------------------------------
// im2col / col2im

namespace {

// For kernel column q, the output columns j whose input column x = j*S - P + q lies
// inside the image: [lo, hi). Outside it the patch reads padding.
struct ValidRange {
  int64_t lo, hi;
  ValidRange(const Conv2dShape& s, int64_t q) {
    const int64_t OW = s.OW();
    lo = 0;
    while (lo < OW && lo * s.stride - s.pad + q < 0) ++lo;
    hi = OW;
    while (hi > lo && (hi - 1) * s.stride - s.pad + q >= s.W) --hi;
  }
};

}  // namespace

template <class Real>
void im2col(Real* cols, const Real* in, const Conv2dShape& s) {
  const int64_t OH = s.OH(), OW = s.OW(), N = s.N, ld = s.ld(), KK = s.KH * s.KW;
  // One task per (row of cols, output row i): the (OW, N) block of row (c, p, q) for
  // output row i is input row y = i*S - P + p of channel c, columns shifted by q. With
  // stride 1 that is ONE contiguous run of the input; tasks write disjoint blocks.
  common::parallel_for(0, s.patch() * OH, 4, [&](int64_t lo, int64_t hi) {
    for (int64_t task = lo; task < hi; ++task) {
      const int64_t row = task / OH, i = task % OH;  // row = (c * KH + p) * KW + q
      const int64_t c = row / KK, p = row % KK / s.KW, q = row % s.KW;
      Real* dst = cols + row * ld + i * OW * N;  // (OW, N)
      const int64_t y = i * s.stride - s.pad + p;
      if (y < 0 || y >= s.H) {  // a padding row: zeros
        for (int64_t k = 0; k < OW * N; ++k) dst[k] = Real(0);
        continue;
      }
      const ValidRange valid(s, q);
      const Real* in_row = in + (c * s.H + y) * s.W * N;  // (W, N)
      for (int64_t k = 0; k < valid.lo * N; ++k) dst[k] = Real(0);
      if (s.stride == 1) {
        const Real* src = in_row + (valid.lo - s.pad + q) * N;
        for (int64_t k = 0; k < (valid.hi - valid.lo) * N; ++k) dst[valid.lo * N + k] = src[k];
      } else {
        for (int64_t j = valid.lo; j < valid.hi; ++j) {
          const Real* src = in_row + (j * s.stride - s.pad + q) * N;
          for (int64_t n = 0; n < N; ++n) dst[j * N + n] = src[n];
        }
      }
      for (int64_t k = valid.hi * N; k < OW * N; ++k) dst[k] = Real(0);
    }
  });
}

template <class Real>
void col2im(Real* d_in, const Real* d_cols, const Conv2dShape& s) {
  const int64_t OH = s.OH(), OW = s.OW(), N = s.N, ld = s.ld();
  // One task per input row (c, y): it gathers the contributions of every (p, q) and
  // output row i that read it, in a fixed order, so tasks write disjoint rows and the
  // result does not depend on the thread count.
  common::parallel_for(0, s.C * s.H, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t task = lo; task < hi; ++task) {
      const int64_t c = task / s.H, y = task % s.H;
      Real* in_row = d_in + (c * s.H + y) * s.W * N;  // (W, N)
      for (int64_t p = 0; p < s.KH; ++p) {
        const int64_t t = y + s.pad - p;  // = i * S for the output row i that reads row y
        if (t < 0 || t % s.stride != 0 || t / s.stride >= OH) continue;
        const int64_t i = t / s.stride;
        for (int64_t q = 0; q < s.KW; ++q) {
          const Real* src = d_cols + ((c * s.KH + p) * s.KW + q) * ld + i * OW * N;  // (OW, N)
          const ValidRange valid(s, q);
          if (s.stride == 1) {
            Real* dst = in_row + (valid.lo - s.pad + q) * N;
            for (int64_t k = 0; k < (valid.hi - valid.lo) * N; ++k) dst[k] += src[valid.lo * N + k];
          } else {
            for (int64_t j = valid.lo; j < valid.hi; ++j) {
              Real* dst = in_row + (j * s.stride - s.pad + q) * N;
              for (int64_t n = 0; n < N; ++n) dst[n] += src[j * N + n];
            }
          }
        }
      }
    }
  });
}

// ---------------------------------------------------------------------------
// The fast convolution

template <class Real>
void conv2d_forward(Real* out, Real* cols, const Real* in, const Real* weight, const Real* bias,
                    const Conv2dShape& s) {
  const int64_t positions = s.positions(), patch = s.patch();
  im2col(cols, in, s);  // cols (patch, positions), rows ld() apart
  // out (OC, positions) = b, then += W (OC, patch) cols (patch, positions)
  for (int64_t o = 0; o < s.OC; ++o)
    for (int64_t r = 0; r < positions; ++r) out[o * positions + r] = bias[o];
  matmul_accumulate(mat(out, s.OC, positions), mat(weight, s.OC, patch),
                    mat(cols, patch, positions, s.ld()));
}

namespace {
// The weight gradient is a sum over every output position of the batch (50,176 for C1
// with 64 images) of tiny outer products; split into this many fixed chunks (see below).
constexpr int64_t kGradientChunks = 4;
}  // namespace

template <class Real>
void conv2d_backward(Real* d_in, Real* d_weight, Real* d_bias, Real* d_cols, const Real* d_out,
                     const Real* cols, const Real* weight, const Conv2dShape& s) {
  const int64_t positions = s.positions(), patch = s.patch(), OC = s.OC;
  // forward: out = W cols + b   (out (OC, positions), W (OC, patch), cols (patch, positions))
  // d_W (OC, patch) += d_out (OC, positions) cols^T (positions, patch): every output
  // position contributes, which is what weight sharing means for the gradient.
  // d_b (OC) += row sums of d_out.
  // The result is small (150 numbers for C1) and the sum long, and common::gemm divides
  // its work by rows and columns of the result, so it would keep one thread busy. We cut
  // the sum into kGradientChunks fixed ranges of positions, let the threads share the
  // chunks, and add the chunk results in order: the same numbers for any thread count.
  const int64_t part = OC * patch + OC;  // one chunk's d_W and d_b
  thread_local std::vector<Real> partial_buffer;
  partial_buffer.resize(static_cast<size_t>(kGradientChunks * part));
  Real* partial = partial_buffer.data();  // (chunks, part); a pointer: workers see this one
  common::parallel_for(0, kGradientChunks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t chunk = lo; chunk < hi; ++chunk) {
      const int64_t k0 = positions * chunk / kGradientChunks;
      const int64_t k1 = positions * (chunk + 1) / kGradientChunks;
      Real* dw = partial + chunk * part;
      // dw (OC, patch) = d_out[:, k0:k1] (OC, k1-k0) cols[:, k0:k1]^T (k1-k0, patch)
      matmul(mat(dw, OC, patch), mat(d_out + k0, OC, k1 - k0, positions),
             transpose(mat(cols + k0, patch, k1 - k0, s.ld())));
      for (int64_t o = 0; o < OC; ++o) {
        Real sum = 0;
        for (int64_t k = k0; k < k1; ++k) sum += d_out[o * positions + k];
        dw[OC * patch + o] = sum;
      }
    }
  });
  for (int64_t chunk = 0; chunk < kGradientChunks; ++chunk) {
    const Real* dw = partial + chunk * part;
    for (int64_t k = 0; k < OC * patch; ++k) d_weight[k] += dw[k];
    for (int64_t o = 0; o < OC; ++o) d_bias[o] += dw[OC * patch + o];
  }
  if (d_in == nullptr) return;  // the first layer: nobody needs the image's gradient
  // d_cols (patch, positions) = W^T (patch, OC) d_out (OC, positions), then fold back.
  matmul(mat(d_cols, patch, positions, s.ld()), transpose(mat(weight, OC, patch)),
         mat(d_out, OC, positions));
  col2im(d_in, d_cols, s);
}

#define PHASE3_INSTANTIATE(Real)                                                            \
  template void conv2d_naive_forward<Real>(Real*, const Real*, const Real*, const Real*,    \
                                           const Conv2dShape&);                             \
  template void conv2d_naive_backward<Real>(Real*, Real*, Real*, const Real*, const Real*,  \
                                            const Real*, const Conv2dShape&);               \
  template void im2col<Real>(Real*, const Real*, const Conv2dShape&);                       \
  template void col2im<Real>(Real*, const Real*, const Conv2dShape&);                       \
  template void conv2d_forward<Real>(Real*, Real*, const Real*, const Real*, const Real*,   \
                                     const Conv2dShape&);                                   \
  template void conv2d_backward<Real>(Real*, Real*, Real*, Real*, const Real*, const Real*, \
                                      const Real*, const Conv2dShape&);
PHASE3_INSTANTIATE(float)
PHASE3_INSTANTIATE(double)
#undef PHASE3_INSTANTIATE

}  // namespace phase3
