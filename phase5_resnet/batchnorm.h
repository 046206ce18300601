// phase5_resnet/batchnorm.h -- Batch Normalization for convolutions (Ioffe and Szegedy,
// "Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate
// Shift", ICML 2015), forward and backward side by side.
//
// For a convolution, every channel c is normalised over all its values in the mini-batch:
// the M = N * H * W numbers of channel c (all images, all positions). With the phase's
// batch-innermost layout (C, H, W, N) (conv.h) these M values are ONE contiguous row, so
// the tensor is read here as a matrix x (C, M).
//
// Training (the paper's Algorithm 1), per channel c:
//   mu      = (1/M) sum_m x[m]                          the batch mean       `mean[c]`
//   sigma^2 = (1/M) sum_m (x[m] - mu)^2                 the batch variance
//   xhat[m] = (x[m] - mu) / sqrt(sigma^2 + eps)         normalised           `xhat`, `invstd[c]`
//   y[m]    = gamma * xhat[m] + beta                    scale and shift      `gamma[c]`, `beta[c]`
// and the running averages that evaluation uses (PyTorch's convention: momentum 0.1, the
// unbiased variance sigma^2 * M / (M - 1) in the running variance):
//   running_mean = (1 - momentum) running_mean + momentum mu
//   running_var  = (1 - momentum) running_var  + momentum sigma^2 M / (M - 1)
// Evaluation: y = gamma (x - running_mean) / sqrt(running_var + eps) + beta, the same fixed
// affine map for every image, so an image's output does not depend on the others.
//
// Backward (README "BatchNorm backward" derives it). With g = dL/dy:
//   dL/dbeta  = sum_m g[m]
//   dL/dgamma = sum_m g[m] xhat[m]
//   dL/dx[m]  = gamma invstd / M * ( M g[m] - sum_k g[k] - xhat[m] sum_k g[k] xhat[k] )
// the compact three-term form: the direct path, minus the part of g that moved the mean,
// minus the part that moved the variance. Every x[m] influences mu and sigma, hence the
// two sums over the whole channel.
//
// Performance: each function is a fixed number of passes over one channel's row (the
// row of a 16-channel ResNet stage at batch 128 is 100,352 floats, 392 KiB, which stays in
// the core's L2 cache between the passes), channels split over the threads; sums are
// taken in double in a fixed order, so the numbers do not depend on the thread count.
#pragma once

#include <cmath>
#include <cstdint>

#include "thread_pool.h"

namespace phase5 {

struct BatchNormConfig {
  double eps = 1e-5;      // added to the variance (PyTorch's default)
  double momentum = 0.1;  // weight of the new batch in the running averages
};

// ---------------------------------------------------------------------------
// Training mode: batch statistics.
//   y, xhat (C, M);  mean, invstd (C): saved for backward;  running_mean, running_var (C):
//   updated in place;  x (C, M);  gamma, beta (C).
template <class Real>
void batchnorm_train_forward(Real* y, Real* xhat, Real* mean, Real* invstd, Real* running_mean,
                             Real* running_var, const Real* x, const Real* gamma, const Real* beta,
                             int64_t C, int64_t M, const BatchNormConfig& config = {}) {
  common::parallel_for(0, C, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      const Real* xc = x + c * M;
      // mu = (1/M) sum x
      double sum = 0.0;
      for (int64_t m = 0; m < M; ++m) sum += xc[m];
      const double mu = sum / static_cast<double>(M);
      // sigma^2 = (1/M) sum (x - mu)^2   (two passes: no cancellation)
      double sq = 0.0;
      for (int64_t m = 0; m < M; ++m) {
        const double d = xc[m] - mu;
        sq += d * d;
      }
      const double var = sq / static_cast<double>(M);
      const double inv = 1.0 / std::sqrt(var + config.eps);
      // xhat = (x - mu) invstd;  y = gamma xhat + beta
      Real* xh = xhat + c * M;
      Real* yc = y + c * M;
      const Real mu_r = static_cast<Real>(mu), inv_r = static_cast<Real>(inv);
      const Real g = gamma[c], b = beta[c];
      for (int64_t m = 0; m < M; ++m) {
        const Real h = (xc[m] - mu_r) * inv_r;
        xh[m] = h;
        yc[m] = g * h + b;
      }
      mean[c] = mu_r;
      invstd[c] = inv_r;
      const double unbiased =
          M > 1 ? var * static_cast<double>(M) / static_cast<double>(M - 1) : var;
      running_mean[c] =
          static_cast<Real>((1.0 - config.momentum) * running_mean[c] + config.momentum * mu);
      running_var[c] =
          static_cast<Real>((1.0 - config.momentum) * running_var[c] + config.momentum * unbiased);
    }
  });
}

// Backward of the training mode (accumulates into d_x, d_gamma, d_beta).
//   d_x (C, M);  d_gamma, d_beta (C);  d_y, xhat (C, M);  invstd, gamma (C)
template <class Real>
void batchnorm_backward(Real* d_x, Real* d_gamma, Real* d_beta, const Real* d_y, const Real* xhat,
                        const Real* invstd, const Real* gamma, int64_t C, int64_t M) {
  common::parallel_for(0, C, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      const Real* g = d_y + c * M;
      const Real* xh = xhat + c * M;
      // y = gamma xhat + beta  =>  dbeta = sum g,  dgamma = sum g xhat
      double sum_g = 0.0, sum_gx = 0.0;
      for (int64_t m = 0; m < M; ++m) {
        sum_g += g[m];
        sum_gx += static_cast<double>(g[m]) * xh[m];
      }
      d_beta[c] += static_cast<Real>(sum_g);
      d_gamma[c] += static_cast<Real>(sum_gx);
      // xhat = (x - mu) invstd, mu and sigma from all of x  =>
      // dx = gamma invstd / M (M g - sum g - xhat sum g xhat)
      //    = gamma invstd (g - mean(g) - xhat mean(g xhat))
      const Real scale = gamma[c] * invstd[c];
      const Real mean_g = static_cast<Real>(sum_g / static_cast<double>(M));
      const Real mean_gx = static_cast<Real>(sum_gx / static_cast<double>(M));
      Real* dx = d_x + c * M;
      for (int64_t m = 0; m < M; ++m) dx[m] += scale * (g[m] - mean_g - xh[m] * mean_gx);
    }
  });
}

// ---------------------------------------------------------------------------
// Evaluation mode: the running statistics, a fixed affine map per channel.
//   y (C, M);  x (C, M);  gamma, beta, running_mean, running_var (C)
template <class Real>
void batchnorm_eval_forward(Real* y, const Real* x, const Real* gamma, const Real* beta,
                            const Real* running_mean, const Real* running_var, int64_t C, int64_t M,
                            const BatchNormConfig& config = {}) {
  common::parallel_for(0, C, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      // y = gamma (x - mean) / sqrt(var + eps) + beta = a x + b
      const double inv = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + config.eps);
      const Real a = static_cast<Real>(gamma[c] * inv);
      const Real b = static_cast<Real>(beta[c] - gamma[c] * inv * running_mean[c]);
      const Real* xc = x + c * M;
      Real* yc = y + c * M;
      for (int64_t m = 0; m < M; ++m) yc[m] = a * xc[m] + b;
    }
  });
}

}  // namespace phase5
