#pragma once
// Row-major GEMMs on cuBLAS, with the same argument order as engine/ref/blas_gemm.h, so the CUDA
// layers read like their CPU references:
//   C (M,N) = op(A) op(B) + beta * C, all row-major with leading dimensions lda, ldb, ldc.
// cuBLAS is column-major: a row-major matrix with leading dimension ld is the column-major
// transpose with the same ld. So C^T = op(B)^T op(A)^T is one column-major GEMM with the operands
// swapped, each keeping its own transpose flag, and M and N swapped.
// Every cuBLAS call is checked with GD_CUDA_CHECK (kernels/cuda_check.cuh).
//
// Math precision (ctx.precision, docs/precision.md): FP32 calls cublasSgemm /
// cublasSgemmStridedBatched exactly as before the setting existed (FP32 FMA arithmetic; the
// handle's default math mode uses no TF32). TF32 and BF16 call cublasGemmEx /
// cublasGemmStridedBatchedEx on the same FP32 data (A, B, C all CUDA_R_32F, float alpha/beta) with
// compute type CUBLAS_COMPUTE_32F_FAST_TF32 or CUBLAS_COMPUTE_32F_FAST_16BF: tensor cores read the
// inputs rounded to TF32 or BF16 and accumulate in FP32. cuBLAS documents FAST_16BF as allowing
// BF16 "or TF32" inputs, so a BF16-mode GEMM may run as TF32 (more accurate, within its bound).
#include <cublas_v2.h>

#include <climits>
#include <cstdint>

#include "engine/core/error.h"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_context.h"

namespace gd::cuda::detail {

// cuBLAS takes extents as int: a larger one is a shape the GPU path cannot run in one call.
inline int gemm_dim(int64_t v, const char* what) {
  GD_CHECK_SHAPE(v >= 0 && v <= INT_MAX,
                 "cuBLAS GEMM: " << what << " = " << v << " does not fit in int");
  return static_cast<int>(v);
}

inline cublasOperation_t gemm_op(bool trans) { return trans ? CUBLAS_OP_T : CUBLAS_OP_N; }

// The cuBLAS compute type of a tensor-core mode (TF32 or BF16; FP32 never reaches here).
inline cublasComputeType_t tensor_compute_type(MathPrecision p) {
  return p == MathPrecision::BF16 ? CUBLAS_COMPUTE_32F_FAST_16BF : CUBLAS_COMPUTE_32F_FAST_TF32;
}

// The handle must already run on ctx.stream (the Context's owner binds it once); re-binding here
// would reset a user-set cuBLAS workspace, so it is only checked.
inline void check_cublas_bound(const Context& ctx) {
  GD_CHECK(ctx.cublas != nullptr, "CUDA context has no cuBLAS handle");
  cudaStream_t s = nullptr;
  GD_CUDA_CHECK(cublasGetStream(ctx.cublas, &s));
  GD_CHECK(s == ctx.stream, "the cuBLAS handle is not bound to the context's stream");
}

// C (M,N) = op(A) op(B) + beta*C, row-major; A is (M,K) after op, B is (K,N) after op. alpha = 1.
inline void gemm_rm(Context& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                    int64_t ldc) {
  const float one = 1.0f;
  if (ctx.precision == MathPrecision::FP32) {
    GD_CUDA_CHECK(cublasSgemm(ctx.cublas, gemm_op(trans_b), gemm_op(trans_a), gemm_dim(n, "N"),
                              gemm_dim(m, "M"), gemm_dim(k, "K"), &one, b, gemm_dim(ldb, "ldb"), a,
                              gemm_dim(lda, "lda"), &beta, c, gemm_dim(ldc, "ldc")));
    return;
  }
  GD_CUDA_CHECK(cublasGemmEx(ctx.cublas, gemm_op(trans_b), gemm_op(trans_a), gemm_dim(n, "N"),
                             gemm_dim(m, "M"), gemm_dim(k, "K"), &one, b, CUDA_R_32F,
                             gemm_dim(ldb, "ldb"), a, CUDA_R_32F, gemm_dim(lda, "lda"), &beta, c,
                             CUDA_R_32F, gemm_dim(ldc, "ldc"), tensor_compute_type(ctx.precision),
                             CUBLAS_GEMM_DEFAULT));
}

// `batch` independent row-major GEMMs: C_i = op(A_i) op(B_i) + beta*C_i with X_i = X + i*stride_x.
// A stride of 0 reuses one matrix for every batch entry (e.g. shared weights).
inline void gemm_rm_batched(Context& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n,
                            int64_t k, const float* a, int64_t lda, int64_t stride_a,
                            const float* b, int64_t ldb, int64_t stride_b, float beta, float* c,
                            int64_t ldc, int64_t stride_c, int64_t batch) {
  const float one = 1.0f;
  if (ctx.precision == MathPrecision::FP32) {
    GD_CUDA_CHECK(cublasSgemmStridedBatched(
        ctx.cublas, gemm_op(trans_b), gemm_op(trans_a), gemm_dim(n, "N"), gemm_dim(m, "M"),
        gemm_dim(k, "K"), &one, b, gemm_dim(ldb, "ldb"), static_cast<long long>(stride_b), a,
        gemm_dim(lda, "lda"), static_cast<long long>(stride_a), &beta, c, gemm_dim(ldc, "ldc"),
        static_cast<long long>(stride_c), gemm_dim(batch, "batch")));
    return;
  }
  GD_CUDA_CHECK(cublasGemmStridedBatchedEx(
      ctx.cublas, gemm_op(trans_b), gemm_op(trans_a), gemm_dim(n, "N"), gemm_dim(m, "M"),
      gemm_dim(k, "K"), &one, b, CUDA_R_32F, gemm_dim(ldb, "ldb"),
      static_cast<long long>(stride_b), a, CUDA_R_32F, gemm_dim(lda, "lda"),
      static_cast<long long>(stride_a), &beta, c, CUDA_R_32F, gemm_dim(ldc, "ldc"),
      static_cast<long long>(stride_c), gemm_dim(batch, "batch"),
      tensor_compute_type(ctx.precision), CUBLAS_GEMM_DEFAULT));
}

}  // namespace gd::cuda::detail
