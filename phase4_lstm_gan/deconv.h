// phase4_lstm_gan/deconv.h -- the transposed convolution ("deconvolution"), forward and
// backward, two ways.
//
// A strided convolution shrinks a map: a 4x4 kernel with stride 2 and padding 1 turns 14x14
// into 7x7. The DCGAN generator must grow maps (7x7 -> 14x14 -> 28x28), and it does so with
// the TRANSPOSE of that convolution (Zeiler et al. 2010 called it deconvolution; Radford,
// Metz and Chintala 2015 "fractionally-strided convolution"). Where a convolution GATHERS a
// KxK patch of inputs into one output, the transposed convolution SCATTERS one input value,
// times the KxK kernel, onto a KxK patch of the output, the patches of neighbouring inputs
// S apart and overlapping where K > S:
//
//   out[o][i S - P + p][j S - P + q][n] += w[c][o][p][q] * in[c][i][j][n]      (+ b[o])
//
// for every input channel c, input position (i, j), kernel offset (p, q); contributions that
// land outside the output (the padding P) are dropped. Output size
//   OH = (H - 1) S - 2P + K,   OW = (W - 1) S - 2P + K        (7 -> 14 for K 4, S 2, P 1)
// which is exactly the input size of the convolution with the same K, S, P whose output is
// H x W. Weights are (C, OC, K, K), PyTorch's ConvTranspose2d layout: input channel first.
//
// Why "transposed": write that convolution (OC channels in, C out, on OH x OW maps) as a
// matrix A acting on the flattened map: conv(x) = A x. Then the layer below is out = A^T in:
// it is the convolution's backward pass for the input gradient, run as a forward pass. So
// the fast form reuses the convolution's lowering (gan_conv.h) backwards:
//   forward:  cols (OC K K, H W N) = W^T (OC K K, C) in (C, H W N);   out = b + col2im(cols)
//   backward: d_cols = im2col(d_out);  d_in (C, H W N) += W d_cols;
//             d_W (C, OC K K) += in d_cols^T;  d_b += sums of d_out
// where im2col / col2im are those of the convolution "OH x OW -> H x W". One matrix product
// each way, as for the convolution.
//
// Layout: batch innermost, (C, H, W, N), as in gan_conv.h.
//   deconv2d_plain_*  the scatter formula above as nested loops: slow, obviously right.
//   deconv2d_*        the lowering to one product (fast path); the tests compare the two.
#pragma once

#include <cstdint>

#include "gan_conv.h"

namespace phase4::gan {

// The sizes of one transposed convolution.
struct Deconv2dShape {
  int64_t N = 1, H = 1, W = 1, C = 1;  // input (C, H, W, N)
  int64_t OC = 1, K = 1;               // weight (C, OC, K, K), bias (OC)
  int64_t stride = 1;                  // S
  int64_t pad = 0;                     // P, cropped from every side of the output

  int64_t OH() const { return (H - 1) * stride - 2 * pad + K; }
  int64_t OW() const { return (W - 1) * stride - 2 * pad + K; }
  // The convolution this layer is the transpose of: OH x OW with OC channels -> H x W x C.
  Conv2dShape as_conv() const {
    return Conv2dShape{.N = N,
                       .H = OH(),
                       .W = OW(),
                       .C = OC,
                       .OC = C,
                       .KH = K,
                       .KW = K,
                       .stride = stride,
                       .pad = pad};
  }
  // The im2col workspace: (OC K K) rows of as_conv().ld() floats.
  int64_t cols_size() const { return OC * K * K * as_conv().ld(); }
};

// ---------------------------------------------------------------------------
// The reference: the scatter formula, loop by loop
//   out (OC, OH, OW, N), in (C, H, W, N), weight (C, OC, K, K), bias (OC)

template <class Real>
void deconv2d_plain_forward(Real* out, const Real* in, const Real* weight, const Real* bias,
                            const Deconv2dShape& s) {
  const int64_t OH = s.OH(), OW = s.OW(), N = s.N, K = s.K;
  for (int64_t o = 0; o < s.OC; ++o)
    for (int64_t k = 0; k < OH * OW * N; ++k) out[o * OH * OW * N + k] = bias[o];
  for (int64_t c = 0; c < s.C; ++c)
    for (int64_t i = 0; i < s.H; ++i)
      for (int64_t j = 0; j < s.W; ++j)
        for (int64_t o = 0; o < s.OC; ++o)
          for (int64_t p = 0; p < K; ++p)
            for (int64_t q = 0; q < K; ++q) {
              const int64_t y = i * s.stride - s.pad + p, x = j * s.stride - s.pad + q;
              if (y < 0 || y >= OH || x < 0 || x >= OW) continue;  // cropped by the padding
              const Real w = weight[((c * s.OC + o) * K + p) * K + q];
              for (int64_t n = 0; n < N; ++n)
                out[((o * OH + y) * OW + x) * N + n] += w * in[((c * s.H + i) * s.W + j) * N + n];
            }
}
// Every term w[c][o][p][q] * in[c][i][j][n] of the forward sum sends d_out[o][y][x][n] back
// to both factors:  d_in[..] += d_out * w[..],  d_w[..] += d_out * in[..],  d_b[o] += d_out.
template <class Real>
void deconv2d_plain_backward(Real* d_in, Real* d_weight, Real* d_bias, const Real* d_out,
                             const Real* in, const Real* weight, const Deconv2dShape& s) {
  const int64_t OH = s.OH(), OW = s.OW(), N = s.N, K = s.K;
  for (int64_t o = 0; o < s.OC; ++o)
    for (int64_t k = 0; k < OH * OW * N; ++k) d_bias[o] += d_out[o * OH * OW * N + k];
  for (int64_t c = 0; c < s.C; ++c)
    for (int64_t i = 0; i < s.H; ++i)
      for (int64_t j = 0; j < s.W; ++j)
        for (int64_t o = 0; o < s.OC; ++o)
          for (int64_t p = 0; p < K; ++p)
            for (int64_t q = 0; q < K; ++q) {
              const int64_t y = i * s.stride - s.pad + p, x = j * s.stride - s.pad + q;
              if (y < 0 || y >= OH || x < 0 || x >= OW) continue;
              const int64_t w_at = ((c * s.OC + o) * K + p) * K + q;
              for (int64_t n = 0; n < N; ++n) {
                const Real g = d_out[((o * OH + y) * OW + x) * N + n];
                const int64_t in_at = ((c * s.H + i) * s.W + j) * N + n;
                d_weight[w_at] += g * in[in_at];
                if (d_in != nullptr) d_in[in_at] += g * weight[w_at];
              }
            }
}

// ===========================================================================
// FAST VERSION: the same sums as one matrix product each way, on the convolution's
// im2col / col2im (gan_conv.h: run-wise copies, parallel over rows, deterministic).
// What it buys: the plain loops above touch one weight and N values at a time; the product
// runs on common::gemm (blocked, vectorised, both cores). The tests compare the two paths
// (tests/test_gan_unit.cpp, PlainAndFastTransposedConvolutionAgree).
// ===========================================================================

// cols (OC K K, H W N): a workspace that forward fills; backward uses it for d_cols.
template <class Real>
void deconv2d_forward(Real* out, Real* cols, const Real* in, const Real* weight, const Real* bias,
                      const Deconv2dShape& s) {
  const Conv2dShape conv = s.as_conv();
  const int64_t positions = s.H * s.W * s.N, patch = s.OC * s.K * s.K;
  const int64_t out_size = s.OH() * s.OW() * s.N;
  // cols (patch, positions) = W^T (patch, C) in (C, positions): column (i, j, n) holds what
  // input pixel (i, j) of image n scatters onto its K x K patch of every output channel.
  matmul(mat(cols, patch, positions, conv.ld()), transpose(mat(weight, s.C, patch)),
         mat(in, s.C, positions));
  // out = b, then += col2im(cols): each patch entry is added to the output pixel it covers.
  for (int64_t o = 0; o < s.OC; ++o)
    for (int64_t k = 0; k < out_size; ++k) out[o * out_size + k] = bias[o];
  col2im(out, cols, conv);
}
// d_weight / d_bias may be null (a frozen layer); d_in may be null (no input gradient).
template <class Real>
void deconv2d_backward(Real* d_in, Real* d_weight, Real* d_bias, Real* d_cols, const Real* d_out,
                       const Real* in, const Real* weight, const Deconv2dShape& s) {
  const Conv2dShape conv = s.as_conv();
  const int64_t positions = s.H * s.W * s.N, patch = s.OC * s.K * s.K;
  const int64_t out_size = s.OH() * s.OW() * s.N;
  // forward: out = col2im(cols) + b   =>   d_cols = im2col(d_out)  (the adjoint of col2im)
  im2col(d_cols, d_out, conv);
  // forward: cols = W^T in   =>   d_W (C, patch) += in (C, positions) d_cols^T (positions, patch)
  if (d_weight != nullptr)
    matmul_accumulate(mat(d_weight, s.C, patch), mat(in, s.C, positions),
                      transpose(mat(d_cols, patch, positions, conv.ld())));
  if (d_bias != nullptr)
    for (int64_t o = 0; o < s.OC; ++o) {
      Real sum = 0;
      for (int64_t k = 0; k < out_size; ++k) sum += d_out[o * out_size + k];
      d_bias[o] += sum;
    }
  // forward: cols = W^T in   =>   d_in (C, positions) += W (C, patch) d_cols (patch, positions)
  if (d_in != nullptr)
    matmul_accumulate(mat(d_in, s.C, positions), mat(weight, s.C, patch),
                      mat(d_cols, patch, positions, conv.ld()));
}
// ======================== end of the fast version ==========================

}  // namespace phase4::gan
