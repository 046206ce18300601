// phase3_cnn_rnn/conv.h -- 2-D convolution, forward and backward, two ways.
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
// The fully connected layers want one row per image, so LeNet transposes once, at the
// input and where the maps meet C5 (lenet.cpp).
//
// Two implementations, compared by the tests:
//   conv2d_naive_*  the formula above as nested loops: slow, obviously right; the reference.
//   conv2d_*        im2col + one matrix product (common::gemm), the fast one used in training.
#pragma once

#include <cstdint>

namespace phase3 {

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
                          const Conv2dShape& s);
// Every term w[..] * in[..] of the forward sum sends d_out back to both factors:
//   d_in[..] += d_out * w[..],   d_w[..] += d_out * in[..],   d_b[o] += d_out.
template <class Real>
void conv2d_naive_backward(Real* d_in, Real* d_weight, Real* d_bias, const Real* d_out,
                           const Real* in, const Real* weight, const Conv2dShape& s);

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

template <class Real>
void im2col(Real* cols, const Real* in, const Conv2dShape& s);
// The adjoint of im2col: every entry of d_cols is added back to the input value it was
// copied from (d_in += ...). Padding entries are dropped.
template <class Real>
void col2im(Real* d_in, const Real* d_cols, const Conv2dShape& s);

// ---------------------------------------------------------------------------
// The fast convolution
//   forward:  cols = im2col(in);  out = W cols + b
//   backward: d_W (OC, C*KH*KW) += d_out cols^T       d_b += row sums of d_out
//             d_cols = W^T d_out;  d_in += col2im(d_cols)   (skipped when d_in is null)
// cols (patch, ld) is a workspace that forward fills and backward reads again;
// d_cols (patch, ld) is backward's workspace.

template <class Real>
void conv2d_forward(Real* out, Real* cols, const Real* in, const Real* weight, const Real* bias,
                    const Conv2dShape& s);
template <class Real>
void conv2d_backward(Real* d_in, Real* d_weight, Real* d_bias, Real* d_cols, const Real* d_out,
                     const Real* cols, const Real* weight, const Conv2dShape& s);

}  // namespace phase3
