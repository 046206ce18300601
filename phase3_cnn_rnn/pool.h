// phase3_cnn_rnn/pool.h -- subsampling: average pooling and max pooling.
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

namespace phase3 {

struct Pool2dShape {
  int64_t N = 1, H = 1, W = 1, C = 1;  // input (C, H, W, N)
  int64_t K = 2;                       // window size = stride
  int64_t OH() const { return H / K; }
  int64_t OW() const { return W / K; }
};

// Average pooling:  out = (1/K^2) sum of the window;   d_in[window] += d_out / K^2
template <class Real>
void avgpool2d_forward(Real* out, const Real* in, const Pool2dShape& s);
template <class Real>
void avgpool2d_backward(Real* d_in, const Real* d_out, const Pool2dShape& s);

// Max pooling:  out = max of the window; the gradient flows only to the winner.
// argmax (C, OH, OW, N) records the winner's index into `in` (forward writes it,
// backward reads it), so backward needs no comparisons.
template <class Real>
void maxpool2d_forward(Real* out, int32_t* argmax, const Real* in, const Pool2dShape& s);
template <class Real>
void maxpool2d_backward(Real* d_in, const Real* d_out, const int32_t* argmax, const Pool2dShape& s);

}  // namespace phase3
