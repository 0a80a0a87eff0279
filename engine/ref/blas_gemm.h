#pragma once
// Row-major GEMM over CBLAS, templated on the element type so each CPU reference is written once
// for float (training) and double (gradient checks):
//   C (m,n) = alpha * op(A) (m,k) * op(B) (k,n) + beta * C
//   A is stored (m,k) with row stride lda, or (k,m) when trans_a; B is (k,n), or (n,k) when
//   trans_b.
// With OpenBLAS's OpenMP build, a call from inside an OpenMP parallel region runs single-threaded,
// so callers may parallelise over independent GEMMs themselves.
#include <cblas.h>

#include <cstdint>
#include <limits>

#include "engine/core/error.h"

namespace gd::ref {

// Readable names for the trans_a / trans_b flags at call sites.
inline constexpr bool kTrans = true;
inline constexpr bool kNoTrans = false;

namespace detail {
// CBLAS takes 32-bit extents (blasint) in the non-ILP64 build; refuse anything larger.
inline blasint blas_extent(int64_t v, const char* what) {
  GD_CHECK_SHAPE(v >= 0 && v <= static_cast<int64_t>(std::numeric_limits<blasint>::max()),
                 "gemm: " << what << "=" << v << " does not fit the BLAS integer type");
  return static_cast<blasint>(v);
}
inline CBLAS_TRANSPOSE blas_trans(bool t) { return t ? CblasTrans : CblasNoTrans; }
}  // namespace detail

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

template <>
inline void gemm<float>(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                        const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                        float* c, int64_t ldc) {
  using detail::blas_extent;
  cblas_sgemm(CblasRowMajor, detail::blas_trans(trans_a), detail::blas_trans(trans_b),
              blas_extent(m, "m"), blas_extent(n, "n"), blas_extent(k, "k"), alpha, a,
              blas_extent(lda, "lda"), b, blas_extent(ldb, "ldb"), beta, c,
              blas_extent(ldc, "ldc"));
}

template <>
inline void gemm<double>(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                         const double* a, int64_t lda, const double* b, int64_t ldb, double beta,
                         double* c, int64_t ldc) {
  using detail::blas_extent;
  cblas_dgemm(CblasRowMajor, detail::blas_trans(trans_a), detail::blas_trans(trans_b),
              blas_extent(m, "m"), blas_extent(n, "n"), blas_extent(k, "k"), alpha, a,
              blas_extent(lda, "lda"), b, blas_extent(ldb, "ldb"), beta, c,
              blas_extent(ldc, "ldc"));
}

}  // namespace gd::ref
