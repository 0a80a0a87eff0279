// Dense layer on the GPU: the GEMMs of engine/ref/dense_ref.cpp on cuBLAS (row-major wrappers in
// gemm_rm.cuh, same argument lists as the reference), bias add and bias gradient from bias.cuh.
// The GEMMs run in ctx.precision (FP32, or TF32/BF16 tensor cores: docs/precision.md); the bias
// kernels are FP32 in every mode.
#include "engine/core/error.h"
#include "kernels/bias.cuh"
#include "kernels/cuda_ops.h"
#include "kernels/gemm_rm.cuh"

namespace gd::cuda {

using detail::gemm_rm;

// x (N,K), w (M,K), b (M) or nullptr -> y (N,M) = x w^T (+ b). OVERWRITES y.
void dense_forward(Context& ctx, const DenseShape& s, const float* x, const float* w,
                   const float* b, float* y) {
  s.validate();
  GD_CHECK(x && w && y, "cuda::dense_forward: null x, w or y");
  detail::check_cublas_bound(ctx);
  // y (N,M) = x (N,K) * w^T (K,M)
  gemm_rm(ctx, false, true, s.n, s.m, s.k, x, s.k, w, s.k, 0.0f, y, s.m);
  if (b) detail::add_channel_bias(ctx.stream, s.n, s.m, 1, b, y);
}

// x (N,K), w (M,K), dy (N,M) -> dx (N,K) = dy w       OVERWRITES; skipped when dx == nullptr
//                               dw (M,K) = dy^T x     OVERWRITES
//                               db (M)   = sum_n dy   OVERWRITES; skipped when db == nullptr
void dense_backward(Context& ctx, const DenseShape& s, const float* x, const float* w,
                    const float* dy, float* dx, float* dw, float* db) {
  s.validate();
  GD_CHECK(x && w && dy && dw, "cuda::dense_backward: null x, w, dy or dw");
  detail::check_cublas_bound(ctx);
  // dw (M,K) = dy^T (M,N) * x (N,K)
  gemm_rm(ctx, true, false, s.m, s.k, s.n, dy, s.m, x, s.k, 0.0f, dw, s.k);
  // dx (N,K) = dy (N,M) * w (M,K)
  if (dx) gemm_rm(ctx, false, false, s.n, s.k, s.m, dy, s.m, w, s.k, 0.0f, dx, s.k);
  if (db) detail::channel_bias_grad(ctx.stream, s.n, s.m, 1, dy, db);
}

}  // namespace gd::cuda
