// phase5_resnet/conv.h -- 2-D convolution, forward and backward, two ways.
//
// Copied forward from phase 3 (phase3_cnn_rnn/conv.h) with one change: the bias may be
// null. A convolution followed by BatchNorm needs none (BatchNorm subtracts each
// channel's mean, which removes any constant the bias would add, and adds its own shift
// beta), so the ResNets and the VGG of this phase pass bias = d_bias = nullptr; only
// the BatchNorm-free plain net of the `batchnorm` experiment uses one.
//
// A convolutional layer slides a small bank of filters over an image. Output channel o
// at output position (i, j) is a dot product between filter o and the patch of the
// input under it (LeCun et al. 1989, after Fukushima's Neocognitron, 1980):
//
//   out[o][i][j][n] = b[o] + sum_{c<C} sum_{p<KH} sum_{q<KW}
//                            w[o][c][p][q] * in[c][i*S - P + p][j*S - P + q][n]
//
// for image n of the batch, with stride S, zero padding P (positions outside the image
// read as 0), and output size
//   OH = (H + 2P - KH) / S + 1,   OW = (W + 2P - KW) / S + 1.
//
// Layout: BATCH INNERMOST. Activations are stored (C, H, W, N): for every channel and
// pixel, the values of the N images of the batch side by side. (This is the layout of
// Krizhevsky's cuda-convnet, 2012; PyTorch's default is (N, C, H, W).) Filters are
// (OC, C, KH, KW), PyTorch's layout. With the batch innermost
//   * the convolution of the whole mini-batch is ONE matrix product whose result is
//     already the next layer's (OC, OH, OW, N) input (see im2col below);
//   * im2col, col2im and pooling move long contiguous runs (OW * N values), which the
//     compiler turns into vector instructions.
// The fully connected classifier wants one row per image: global average pooling
// writes its (N, C) output directly in that layout (resnet.h).
//
// Three implementations, compared by the tests:
//   conv2d_naive_*  the formula above as nested loops: slow, obviously right; the reference.
//   conv2d_plain_*  im2col_plain + one matrix product: the lowering, plainly written.
//   conv2d_*        the same lowering with the speed tricks of the fenced section below;
//                   the one used in training.
#pragma once

#include <cstdint>
#include <vector>

#include "layers.h"
#include "thread_pool.h"

namespace phase5 {

// The sizes of one convolution.
struct Conv2dShape {
  int64_t N = 1, H = 1, W = 1, C = 1;  // input (C, H, W, N)
  int64_t OC = 1, KH = 1, KW = 1;      // weight (OC, C, KH, KW), bias (OC)
  int64_t stride = 1;                  // S
  int64_t pad = 0;                     // P, zeros on every side

  int64_t OH() const { return (H + 2 * pad - KH) / stride + 1; }
  int64_t OW() const { return (W + 2 * pad - KW) / stride + 1; }
  int64_t patch() const { return C * KH * KW; }          // values under one filter
  int64_t positions() const { return OH() * OW() * N; }  // output pixels in the batch
  // Row stride of the im2col matrix: `positions` rounded up, plus 16 floats. Unpadded, a
  // row of C1's matrix for 64 images is 50,176 floats, exactly 49 pages of 4 KiB: the
  // same column of successive rows then falls into the same cache set, and the
  // weight-gradient product, which reads down the columns, ran 1.8 times slower.
  int64_t ld() const { return (positions() + 15) / 16 * 16 + 16; }
};

// Throws common::Error unless the sizes are positive and the kernel fits the padded input.
void check_conv_shape(const Conv2dShape& s);

// ---------------------------------------------------------------------------
// The reference: direct convolution (the formula, loop by loop)
//   out (OC, OH, OW, N), in (C, H, W, N), weight (OC, C, KH, KW), bias (OC)

template <class Real>
void conv2d_naive_forward(Real* out, const Real* in, const Real* weight, const Real* bias,
                          const Conv2dShape& s) {
  const int64_t OH = s.OH(), OW = s.OW(), N = s.N;
  for (int64_t o = 0; o < s.OC; ++o)
    for (int64_t i = 0; i < OH; ++i)
      for (int64_t j = 0; j < OW; ++j)
        for (int64_t n = 0; n < N; ++n) {
          Real sum = bias != nullptr ? bias[o] : Real(0);
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
// Every term w[..] * in[..] of the forward sum sends d_out back to both factors:
//   d_in[..] += d_out * w[..],   d_w[..] += d_out * in[..],   d_b[o] += d_out.
template <class Real>
void conv2d_naive_backward(Real* d_in, Real* d_weight, Real* d_bias, const Real* d_out,
                           const Real* in, const Real* weight, const Conv2dShape& s) {
  const int64_t OH = s.OH(), OW = s.OW(), N = s.N;
  for (int64_t o = 0; o < s.OC; ++o)
    for (int64_t i = 0; i < OH; ++i)
      for (int64_t j = 0; j < OW; ++j)
        for (int64_t n = 0; n < N; ++n) {
          const Real g = d_out[((o * OH + i) * OW + j) * N + n];
          if (d_bias != nullptr) d_bias[o] += g;
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
// im2col: the patches as the columns of a matrix
//
// cols (C*KH*KW, OH*OW*N), rows `ld()` apart: column (i, j, n) holds the patch under
// output position (i, j) of image n, in the same (c, p, q) order as a filter; row
// (c, p, q) holds, for every output position of the batch, the input value at offset
// (p, q) in channel c. Then the whole convolution is
//   out (OC, OH*OW*N) = weight (OC, C*KH*KW) . cols (C*KH*KW, OH*OW*N) + b,
// and `out` IS the (OC, OH, OW, N) output tensor. Overlapping patches copy each input
// value up to KH*KW times: memory traded for one large, fast product.
//
// A worked example: one 3x3 image (C = 1, N = 1), a 2x2 kernel, stride 1, no padding, so
// OH = OW = 2 and four output positions. The four patches are the 2x2 windows:
//
//   in = a b c        position (0,0): a b    (0,1): b c    (1,0): d e    (1,1): e f
//        d e f                        d e           e f           g h           h i
//        g h i
//
// cols has one row per kernel offset (p, q) and one column per output position:
//
//                 (0,0) (0,1) (1,0) (1,1)      <- output position (i, j)
//   (p,q) = (0,0)   a     b     d     e
//           (0,1)   b     c     e     f
//           (1,0)   d     e     g     h
//           (1,1)   e     f     h     i
//
// and the filter [w00 w01 w10 w11] times column (0,0) is w00 a + w01 b + w10 d + w11 e,
// the convolution at (0,0). Each input value appears once per window that covers it
// (e four times). col2im runs the arrows back: it adds each entry of d_cols to the input
// value it was copied from, so d_e receives the sum of its four entries.

// ---------------------------------------------------------------------------
// The plain lowering: one loop per index, exactly the definition above.

template <class Real>
void im2col_plain(Real* cols, const Real* in, const Conv2dShape& s) {
  const int64_t OH = s.OH(), OW = s.OW(), N = s.N, ld = s.ld();
  for (int64_t c = 0; c < s.C; ++c)
    for (int64_t p = 0; p < s.KH; ++p)
      for (int64_t q = 0; q < s.KW; ++q) {
        Real* row = cols + ((c * s.KH + p) * s.KW + q) * ld;  // row (c, p, q)
        for (int64_t i = 0; i < OH; ++i)
          for (int64_t j = 0; j < OW; ++j)
            for (int64_t n = 0; n < N; ++n) {
              const int64_t y = i * s.stride - s.pad + p, x = j * s.stride - s.pad + q;
              const bool inside = y >= 0 && y < s.H && x >= 0 && x < s.W;
              row[(i * OW + j) * N + n] = inside ? in[((c * s.H + y) * s.W + x) * N + n] : Real(0);
            }
      }
}

// d_in += the entries of d_cols, each sent back to the input value it was copied from.
template <class Real>
void col2im_plain(Real* d_in, const Real* d_cols, const Conv2dShape& s) {
  const int64_t OH = s.OH(), OW = s.OW(), N = s.N, ld = s.ld();
  for (int64_t c = 0; c < s.C; ++c)
    for (int64_t p = 0; p < s.KH; ++p)
      for (int64_t q = 0; q < s.KW; ++q) {
        const Real* row = d_cols + ((c * s.KH + p) * s.KW + q) * ld;
        for (int64_t i = 0; i < OH; ++i)
          for (int64_t j = 0; j < OW; ++j)
            for (int64_t n = 0; n < N; ++n) {
              const int64_t y = i * s.stride - s.pad + p, x = j * s.stride - s.pad + q;
              if (y < 0 || y >= s.H || x < 0 || x >= s.W) continue;  // padding: dropped
              d_in[((c * s.H + y) * s.W + x) * N + n] += row[(i * OW + j) * N + n];
            }
      }
}

// The convolution through the plain lowering, one product each way:
//   forward:  cols = im2col(in);  out = W cols + b
//   backward: d_W += d_out cols^T;  d_b += row sums of d_out;  d_in += col2im(W^T d_out)
template <class Real>
void conv2d_plain_forward(Real* out, Real* cols, const Real* in, const Real* weight,
                          const Real* bias, const Conv2dShape& s) {
  const int64_t positions = s.positions(), patch = s.patch();
  im2col_plain(cols, in, s);
  for (int64_t o = 0; o < s.OC; ++o)
    for (int64_t r = 0; r < positions; ++r)
      out[o * positions + r] = bias != nullptr ? bias[o] : Real(0);
  matmul_accumulate(mat(out, s.OC, positions), mat(weight, s.OC, patch),
                    mat(cols, patch, positions, s.ld()));
}

template <class Real>
void conv2d_plain_backward(Real* d_in, Real* d_weight, Real* d_bias, Real* d_cols,
                           const Real* d_out, const Real* cols, const Real* weight,
                           const Conv2dShape& s) {
  const int64_t positions = s.positions(), patch = s.patch(), OC = s.OC;
  matmul_accumulate(mat(d_weight, OC, patch), mat(d_out, OC, positions),
                    transpose(mat(cols, patch, positions, s.ld())));
  if (d_bias != nullptr)
    for (int64_t o = 0; o < OC; ++o)
      for (int64_t r = 0; r < positions; ++r) d_bias[o] += d_out[o * positions + r];
  if (d_in == nullptr) return;
  matmul(mat(d_cols, patch, positions, s.ld()), transpose(mat(weight, OC, patch)),
         mat(d_out, OC, positions));
  col2im_plain(d_in, d_cols, s);
}

// ===========================================================================
// FAST VERSIONS: the same results, arranged for speed. What the tricks are:
//   * im2col writes whole runs: for stride 1 the (OW, N) block of row (c, p, q) for
//     output row i is ONE contiguous run of the input row, so it is a copy between two
//     zero-filled margins (ValidRange finds them) instead of a bounds test per value;
//     rows x output rows are spread over the threads.
//   * col2im is a gather, not a scatter: one task per input row collects every entry
//     that reads it, in a fixed order, so the threads write disjoint rows and the sums
//     do not depend on the thread count.
//   * The weight gradient is cut into kGradientChunks fixed ranges of positions that the
//     threads share (gemm alone would split its tiny (OC, patch) result over no more than
//     one thread), added back in order.
//   * Rows of cols are padded (Conv2dShape::ld(): a row of exactly 49 pages made the
//     weight-gradient product 1.8 times slower through cache-set conflicts).
// Measured in phase 3 on LeNet-5's layers: the gain of the fast path over the plain one,
// forward + backward of one layer for a batch of 64 on 2 threads (Intel Xeon, AVX-512,
// GCC 12): C1 1.14 ms against 2.22 ms (1.95x), C3 1.03 ms against 1.52 ms (1.48x).
// The tests compare the two paths (tests/test_unit.cpp, PlainAndFastConvolutionAgree).
// ===========================================================================

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
// The adjoint of im2col: every entry of d_cols is added back to the input value it was
// copied from (d_in += ...). Padding entries are dropped.
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

// The fast convolution
//   forward:  cols = im2col(in);  out = W cols + b
//   backward: d_W (OC, C*KH*KW) += d_out cols^T       d_b += row sums of d_out
//             d_cols = W^T d_out;  d_in += col2im(d_cols)   (skipped when d_in is null)
// cols (patch, ld) is a workspace that forward fills and backward reads again;
// d_cols (patch, ld) is backward's workspace.

template <class Real>
void conv2d_forward(Real* out, Real* cols, const Real* in, const Real* weight, const Real* bias,
                    const Conv2dShape& s) {
  const int64_t positions = s.positions(), patch = s.patch();
  im2col(cols, in, s);  // cols (patch, positions), rows ld() apart
  // out (OC, positions) = b, then += W (OC, patch) cols (patch, positions)
  for (int64_t o = 0; o < s.OC; ++o)
    for (int64_t r = 0; r < positions; ++r)
      out[o * positions + r] = bias != nullptr ? bias[o] : Real(0);
  matmul_accumulate(mat(out, s.OC, positions), mat(weight, s.OC, patch),
                    mat(cols, patch, positions, s.ld()));
}
// The weight gradient is a sum over every output position of the batch (50,176 for C1
// with 64 images) of tiny outer products; split into this many fixed chunks (see below).
inline constexpr int64_t kGradientChunks = 4;

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
    if (d_bias != nullptr)
      for (int64_t o = 0; o < OC; ++o) d_bias[o] += dw[OC * patch + o];
  }
  if (d_in == nullptr) return;  // the first layer: nobody needs the image's gradient
  // d_cols (patch, positions) = W^T (patch, OC) d_out (OC, positions), then fold back.
  matmul(mat(d_cols, patch, positions, s.ld()), transpose(mat(weight, OC, patch)),
         mat(d_out, OC, positions));
  col2im(d_in, d_cols, s);
}
// ======================== end of the fast versions =========================

}  // namespace phase5
