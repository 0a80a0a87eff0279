// Batch normalisation on the GPU over (N, C, S) (contract in engine/ops/batchnorm.h). Train
// forward and backward run one block per channel: the block reduces the channel's M = N*S values
// in double (block_sum.cuh, fixed order, so results are deterministic), then the same block writes
// the channel's outputs. The formulas mirror engine/ref/batchnorm_ref.cpp term for term: shifted
// single-pass moments in double, outputs evaluated in float from float-rounded coefficients.
// Each output element is written by the thread that read its inputs, after the reduction, so
// y may alias x and dx may alias dy (no __restrict__ on those).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine/core/error.h"
#include "kernels/block_sum.cuh"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_ops.h"
#include "kernels/elementwise_grid.cuh"

namespace gd::cuda {

namespace {

using detail::block_sum_double2;
using detail::kReduceThreads;

struct BnGeom {
  int64_t n, c, s;
  double eps, momentum;
};

BnGeom geom(const BatchNormShape& sh) { return {sh.n, sh.c, sh.s, sh.eps, sh.momentum}; }

// Flat index of the e-th value (e in [0, N*S)) of channel c in (N, C, S).
__device__ inline int64_t channel_elem(const BnGeom& g, int64_t c, int64_t e) {
  const int64_t n = e / g.s;
  return (n * g.c + c) * g.s + (e - n * g.s);
}

// x (N,C,S), gamma (C), beta (C) -> y (N,C,S), save_mean (C), save_invstd (C) OVERWRITTEN;
// running_mean (C), running_var (C) updated in place. One block per channel (grid-stride).
__global__ void bn_forward_train_kernel(BnGeom g, const float* x, const float* __restrict__ gamma,
                                        const float* __restrict__ beta, float* y,
                                        float* __restrict__ save_mean,
                                        float* __restrict__ save_invstd,
                                        float* __restrict__ running_mean,
                                        float* __restrict__ running_var) {
  const int64_t m = g.n * g.s;
  const double inv_m = 1.0 / static_cast<double>(m);
  const double unbias = static_cast<double>(m) / static_cast<double>(m - 1);
  for (int64_t c = blockIdx.x; c < g.c; c += gridDim.x) {
    // Moments of d = x - k, k the channel's first value (keeps E[d]^2 comparable to the variance).
    const double k = x[c * g.s];
    double sa = 0.0, sb = 0.0;
    for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
      const double d = static_cast<double>(x[channel_elem(g, c, e)]) - k;
      sa += d;
      sb += d * d;
    }
    block_sum_double2(sa, sb);
    const double shift = sa * inv_m;
    const double mean = k + shift;
    const double var = fmax(0.0, sb * inv_m - shift * shift);  // biased
    const double invstd = 1.0 / sqrt(var + g.eps);
    const float mean_f = static_cast<float>(mean);
    const float scale_f = static_cast<float>(static_cast<double>(gamma[c]) * invstd);
    const float beta_f = beta[c];
    for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
      const int64_t i = channel_elem(g, c, e);
      y[i] = (x[i] - mean_f) * scale_f + beta_f;
    }
    if (threadIdx.x == 0) {
      save_mean[c] = mean_f;
      save_invstd[c] = static_cast<float>(invstd);
      running_mean[c] =
          static_cast<float>((1.0 - g.momentum) * running_mean[c] + g.momentum * mean);
      running_var[c] =
          static_cast<float>((1.0 - g.momentum) * running_var[c] + g.momentum * var * unbias);
    }
  }
}

// x (N,C,S) -> y (N,C,S) OVERWRITTEN, with running_mean (C), running_var (C), gamma (C), beta (C).
__global__ void bn_forward_eval_kernel(BnGeom g, const float* x, const float* __restrict__ gamma,
                                       const float* __restrict__ beta,
                                       const float* __restrict__ running_mean,
                                       const float* __restrict__ running_var, float* y) {
  const int64_t total = g.n * g.c * g.s;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t c = (i / g.s) % g.c;
    const double invstd = 1.0 / sqrt(static_cast<double>(running_var[c]) + g.eps);
    const float scale_f = static_cast<float>(static_cast<double>(gamma[c]) * invstd);
    y[i] = (x[i] - running_mean[c]) * scale_f + beta[c];
  }
}

// x (N,C,S), gamma (C), save_mean (C), save_invstd (C), dy (N,C,S) -> dx (N,C,S), dgamma (C),
// dbeta (C), all OVERWRITTEN. One block per channel (grid-stride).
__global__ void bn_backward_kernel(BnGeom g, const float* x, const float* __restrict__ gamma,
                                   const float* __restrict__ save_mean,
                                   const float* __restrict__ save_invstd, const float* dy,
                                   float* dx, float* __restrict__ dgamma,
                                   float* __restrict__ dbeta) {
  const int64_t m = g.n * g.s;
  const double inv_m = 1.0 / static_cast<double>(m);
  for (int64_t c = blockIdx.x; c < g.c; c += gridDim.x) {
    const double mean = save_mean[c], invstd = save_invstd[c];
    double sum_dy = 0.0, sum_dy_xc = 0.0;  // sum dy, sum dy*(x - mean)
    for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
      const int64_t i = channel_elem(g, c, e);
      const double d = dy[i];
      sum_dy += d;
      sum_dy_xc += d * (static_cast<double>(x[i]) - mean);
    }
    block_sum_double2(sum_dy, sum_dy_xc);
    const double sum_dy_xhat = sum_dy_xc * invstd;
    // dx = a*dy + b*(x - mean) + d  with a = gamma*invstd, b = -a*invstd*dgamma/M, d = -a*dbeta/M.
    const double a = static_cast<double>(gamma[c]) * invstd;
    const float at = static_cast<float>(a);
    const float bt = static_cast<float>(-a * invstd * sum_dy_xhat * inv_m);
    const float dt = static_cast<float>(-a * sum_dy * inv_m);
    const float mt = save_mean[c];
    for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
      const int64_t i = channel_elem(g, c, e);
      dx[i] = at * dy[i] + bt * (x[i] - mt) + dt;
    }
    if (threadIdx.x == 0) {
      dbeta[c] = static_cast<float>(sum_dy);
      dgamma[c] = static_cast<float>(sum_dy_xhat);
    }
  }
}

unsigned channel_blocks(const BatchNormShape& sh) {
  return static_cast<unsigned>(std::min<int64_t>(sh.c, int64_t{1} << 20));
}

}  // namespace

void batchnorm_forward_train(Context& ctx, const BatchNormShape& s, const float* x,
                             const float* gamma, const float* beta, float* y, float* save_mean,
                             float* save_invstd, float* running_mean, float* running_var) {
  s.validate();
  GD_CHECK_SHAPE(s.n * s.s >= 2,
                 "cuda::batchnorm_forward_train needs at least 2 values per channel "
                 "(N*S >= 2), got (N,C,S) = ("
                     << s.n << "," << s.c << "," << s.s << "): the unbiased variance is undefined");
  GD_CHECK(x && gamma && beta && y && save_mean && save_invstd && running_mean && running_var,
           "cuda::batchnorm_forward_train: null pointer argument");
  bn_forward_train_kernel<<<channel_blocks(s), kReduceThreads, 0, ctx.stream>>>(
      geom(s), x, gamma, beta, y, save_mean, save_invstd, running_mean, running_var);
  GD_CUDA_LAUNCH("bn_forward_train_kernel");
}

void batchnorm_forward_eval(Context& ctx, const BatchNormShape& s, const float* x,
                            const float* gamma, const float* beta, const float* running_mean,
                            const float* running_var, float* y) {
  s.validate();
  GD_CHECK(x && gamma && beta && running_mean && running_var && y,
           "cuda::batchnorm_forward_eval: null pointer argument");
  const unsigned blocks = ew::grid_blocks(s.n * s.c * s.s);
  bn_forward_eval_kernel<<<blocks, ew::kBlock, 0, ctx.stream>>>(
      geom(s), x, gamma, beta, running_mean, running_var, y);
  GD_CUDA_LAUNCH("bn_forward_eval_kernel");
}

void batchnorm_backward(Context& ctx, const BatchNormShape& s, const float* x, const float* gamma,
                        const float* save_mean, const float* save_invstd, const float* dy,
                        float* dx, float* dgamma, float* dbeta) {
  s.validate();
  GD_CHECK(x && gamma && save_mean && save_invstd && dy && dx && dgamma && dbeta,
           "cuda::batchnorm_backward: null pointer argument");
  bn_backward_kernel<<<channel_blocks(s), kReduceThreads, 0, ctx.stream>>>(
      geom(s), x, gamma, save_mean, save_invstd, dy, dx, dgamma, dbeta);
  GD_CUDA_LAUNCH("bn_backward_kernel");
}

}  // namespace gd::cuda
