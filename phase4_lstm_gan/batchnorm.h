// phase4_lstm_gan/batchnorm.h -- batch normalisation (Ioffe and Szegedy 2015), as the DCGAN
// uses it: per channel, over the batch and every pixel.
//
// Radford et al. (2015): "Batch Normalization ... proved critical to get deep generators to
// begin learning, preventing the generator from collapsing all samples to a single point".
// Each channel c of a (C, H, W, N) map is normalised with the mean and variance of its
// M = H W N values in the mini-batch, then scaled and shifted by two learned numbers:
//
//   mu_c = (1/M) sum_k x[c][k]        var_c = (1/M) sum_k (x[c][k] - mu_c)^2   (biased)
//   xhat[c][k] = (x[c][k] - mu_c) / sqrt(var_c + eps)
//   y[c][k]    = gamma_c xhat[c][k] + beta_c
//
// With the batch innermost, channel c's M values are one contiguous run: x is a (C, M)
// matrix. A fully connected layer's (N, D) output is the case H = W = 1 after a transpose.
// Training uses the batch statistics (and differentiates through them); evaluation uses
// running averages kept during training, PyTorch's rule with momentum 0.1:
//   running_mean = 0.9 running_mean + 0.1 mu_c,  running_var = 0.9 running_var + 0.1 var_unbiased
#pragma once

#include <cmath>
#include <cstdint>

#include "thread_pool.h"

namespace phase4::gan {

inline constexpr double kBatchNormEps = 1e-5;      // PyTorch's default
inline constexpr double kBatchNormMomentum = 0.1;  // weight of the new batch in the running stats

// Training mode. x, y, xhat (C, M); gamma, beta (C); mean, inv_std (C) are saved for
// backward (inv_std = 1 / sqrt(var + eps)); running_mean / running_var (C) are updated
// when not null.
template <class Real>
void batchnorm_forward(Real* y, Real* xhat, Real* mean, Real* inv_std, const Real* x,
                       const Real* gamma, const Real* beta, int64_t C, int64_t M,
                       Real* running_mean = nullptr, Real* running_var = nullptr) {
  common::parallel_for(0, C, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      const Real* xc = x + c * M;
      double sum = 0.0;
      for (int64_t k = 0; k < M; ++k) sum += xc[k];
      const double mu = sum / static_cast<double>(M);
      double sq = 0.0;
      for (int64_t k = 0; k < M; ++k) sq += (xc[k] - mu) * (xc[k] - mu);
      const double var = sq / static_cast<double>(M);
      const Real istd = static_cast<Real>(1.0 / std::sqrt(var + kBatchNormEps));
      mean[c] = static_cast<Real>(mu);
      inv_std[c] = istd;
      Real* hc = xhat + c * M;
      Real* yc = y + c * M;
      for (int64_t k = 0; k < M; ++k) {
        hc[k] = (xc[k] - mean[c]) * istd;
        yc[k] = gamma[c] * hc[k] + beta[c];
      }
      if (running_mean != nullptr) {
        const double unbiased = M > 1 ? sq / static_cast<double>(M - 1) : var;
        running_mean[c] = static_cast<Real>((1.0 - kBatchNormMomentum) * running_mean[c] +
                                            kBatchNormMomentum * mu);
        running_var[c] = static_cast<Real>((1.0 - kBatchNormMomentum) * running_var[c] +
                                           kBatchNormMomentum * unbiased);
      }
    }
  });
}

// Backward of training mode. Every xhat[c][k] depends on every x[c][k'] through mu_c and
// var_c; with g = dL/dxhat = dL/dy gamma the chain rule sums to
//   dL/dx[c][k] = inv_std / M * (M g[k] - sum_k' g[k'] - xhat[k] sum_k' g[k'] xhat[k'])
// and from y = gamma xhat + beta:  d_gamma_c += sum_k dy xhat,  d_beta_c += sum_k dy.
// d_gamma / d_beta may be null (a frozen layer).
template <class Real>
void batchnorm_backward(Real* d_x, Real* d_gamma, Real* d_beta, const Real* d_y, const Real* xhat,
                        const Real* inv_std, const Real* gamma, int64_t C, int64_t M) {
  common::parallel_for(0, C, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      const Real* dy = d_y + c * M;
      const Real* hc = xhat + c * M;
      double sum_dy = 0.0, sum_dy_xhat = 0.0;
      for (int64_t k = 0; k < M; ++k) {
        sum_dy += dy[k];
        sum_dy_xhat += dy[k] * hc[k];
      }
      if (d_gamma != nullptr) d_gamma[c] += static_cast<Real>(sum_dy_xhat);
      if (d_beta != nullptr) d_beta[c] += static_cast<Real>(sum_dy);
      // With g = gamma dy: sum g = gamma sum_dy, sum g xhat = gamma sum_dy_xhat.
      const Real mean_dy = static_cast<Real>(sum_dy / static_cast<double>(M));
      const Real mean_dy_xhat = static_cast<Real>(sum_dy_xhat / static_cast<double>(M));
      const Real scale = gamma[c] * inv_std[c];
      Real* dx = d_x + c * M;
      for (int64_t k = 0; k < M; ++k) dx[k] += scale * (dy[k] - mean_dy - hc[k] * mean_dy_xhat);
    }
  });
}

// Evaluation mode: y = gamma (x - running_mean) / sqrt(running_var + eps) + beta.
template <class Real>
void batchnorm_inference(Real* y, const Real* x, const Real* gamma, const Real* beta,
                         const Real* running_mean, const Real* running_var, int64_t C, int64_t M) {
  for (int64_t c = 0; c < C; ++c) {
    const Real istd = static_cast<Real>(1.0 / std::sqrt(running_var[c] + kBatchNormEps));
    for (int64_t k = 0; k < M; ++k)
      y[c * M + k] = gamma[c] * (x[c * M + k] - running_mean[c]) * istd + beta[c];
  }
}

}  // namespace phase4::gan
