#pragma once
// Row-major GEMM, templated on the element type so each CPU reference is written once for float
// (training) and double (gradient checks):
//   C (m,n) = alpha * op(A) (m,k) * op(B) (k,n) + beta * C
//   A is stored (m,k) with row stride lda, or (k,m) when trans_a; B is (k,n), or (n,k) when
//   trans_b. C has row stride ldc.
// Semantics are CBLAS's: beta == 0 means C is not read (NaN/garbage in C is overwritten); when
// alpha == 0 or k == 0, A and B are not read and C = beta * C. ShapeError when an extent is
// negative or a row stride is shorter than its row (lda, ldb, ldc).
//
// Two implementations behind the same function:
//  * GD_HAVE_CBLAS (OpenBLAS found at configure time): cblas_sgemm / cblas_dgemm. With OpenBLAS's
//    OpenMP build, a call from inside an OpenMP parallel region runs single-threaded, so callers
//    may parallelise over independent GEMMs themselves.
//  * otherwise a built-in cache-blocked kernel (detail::gemm_blocked below): correct, about 3x
//    slower than OpenBLAS (single-threaded, AVX2). It parallelises over row blocks of C with OpenMP when the product
//    is large and the call is not already inside a parallel region (same contract as above).
#ifdef GD_HAVE_CBLAS
#include <cblas.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/core/error.h"

namespace gd::ref {

// Readable names for the trans_a / trans_b flags at call sites.
inline constexpr bool kTrans = true;
inline constexpr bool kNoTrans = false;

namespace detail {

// Shape checks shared by both implementations (they throw; CBLAS itself would only print).
inline void check_gemm_args(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, int64_t lda,
                            int64_t ldb, int64_t ldc) {
  GD_CHECK_SHAPE(m >= 0 && n >= 0 && k >= 0, "gemm: negative extent m=" << m << " n=" << n << " k=" << k);
  const int64_t a_cols = trans_a ? m : k, b_cols = trans_b ? k : n;
  GD_CHECK_SHAPE(lda >= a_cols, "gemm: lda=" << lda << " is shorter than a row of A (" << a_cols
                                             << (trans_a ? ", A stored (k,m) transposed)" : ", A stored (m,k))"));
  GD_CHECK_SHAPE(ldb >= b_cols, "gemm: ldb=" << ldb << " is shorter than a row of B (" << b_cols
                                             << (trans_b ? ", B stored (n,k) transposed)" : ", B stored (k,n))"));
  GD_CHECK_SHAPE(ldc >= n, "gemm: ldc=" << ldc << " is shorter than a row of C (" << n << ")");
}

#ifdef GD_HAVE_CBLAS
// CBLAS takes 32-bit extents (blasint) in the non-ILP64 build; refuse anything larger.
inline blasint blas_extent(int64_t v, const char* what) {
  GD_CHECK_SHAPE(v >= 0 && v <= static_cast<int64_t>(std::numeric_limits<blasint>::max()),
                 "gemm: " << what << "=" << v << " does not fit the BLAS integer type");
  return static_cast<blasint>(v);
}
// CBLAS rejects a row stride below 1 even for an empty matrix; an empty matrix is never read, so
// raising it to 1 changes nothing else.
inline blasint blas_stride(int64_t v, const char* what) { return blas_extent(std::max<int64_t>(v, 1), what); }
inline CBLAS_TRANSPOSE blas_trans(bool t) { return t ? CblasTrans : CblasNoTrans; }

// C = beta * C (zeroed when beta == 0, so NaN in C does not survive), for alpha == 0 or k == 0:
// OpenBLAS's AVX-512 kernels still multiply A and B by a zero alpha for small shapes, so NaN in A
// or B would reach C; CBLAS semantics say they are not read.
template <typename T>
void scale_c_only(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
}
#else
// Built-in GEMM. Rows of C are split into blocks of at most kMc rows, one OpenMP iteration each.
// A block is first scaled by beta (zeroed when beta == 0, so C is never read then); then for each
// kKc-deep, kNc-wide panel, alpha * op(A) (mb,kb) and op(B) (kb,nb) are packed row-major into
// contiguous per-thread buffers (this absorbs both transposes), and the block is updated with
// rank-1 rows whose innermost loop runs over contiguous columns of C and of the packed B, which the
// compiler vectorises. A packed B panel (kKc * kNc elements: 128 KiB in float) stays in L2 while
// the rows of the block reuse it; C's block row (nb elements) stays in L1.
template <typename T>
void gemm_blocked(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                  int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  constexpr int64_t kMc = 32, kKc = 128, kNc = 256;
  if (m == 0 || n == 0) return;
  const bool product = alpha != T(0) && k > 0;  // else A and B are not read: C = beta * C

  // Parallel over row blocks when the product is large enough to pay for a parallel region and
  // the call is not already inside one (callers parallelise over independent GEMMs themselves).
  int64_t mc = kMc;
  [[maybe_unused]] bool par = false;
#ifdef _OPENMP
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const int threads = omp_get_max_threads();
  if (product && threads > 1 && flops >= 4.0e6 && !omp_in_parallel() && m > 1) {
    par = true;
    // Enough blocks for every thread even when m is small (e.g. the filters of a convolution),
    // but at least 4 rows each: every block repacks all of op(B), a cost of 1/mb of its work.
    mc = std::clamp<int64_t>((m + threads - 1) / threads, 4, kMc);
  }
#endif
  const int64_t blocks = (m + mc - 1) / mc;
#pragma omp parallel if (par)
  {
    std::vector<T> ap, bp;
    if (product) {
      ap.resize(static_cast<size_t>(mc * std::min(kKc, k)));
      bp.resize(static_cast<size_t>(std::min(kKc, k) * std::min(kNc, n)));
    }
#pragma omp for schedule(static)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t i0 = blk * mc, mb = std::min(mc, m - i0);
      if (beta != T(1)) {
        for (int64_t i = i0; i < i0 + mb; ++i) {
          T* ci = c + i * ldc;
          if (beta == T(0)) {
            std::fill(ci, ci + n, T(0));
          } else {
            for (int64_t j = 0; j < n; ++j) ci[j] *= beta;
          }
        }
      }
      if (!product) continue;
      for (int64_t p0 = 0; p0 < k; p0 += kKc) {
        const int64_t kb = std::min(kKc, k - p0);
        // ap (mb,kb) = alpha * op(A)[i0:i0+mb, p0:p0+kb]
        for (int64_t i = 0; i < mb; ++i) {
          T* dst = ap.data() + i * kb;
          if (trans_a) {
            for (int64_t p = 0; p < kb; ++p) dst[p] = alpha * a[(p0 + p) * lda + i0 + i];
          } else {
            const T* src = a + (i0 + i) * lda + p0;
            for (int64_t p = 0; p < kb; ++p) dst[p] = alpha * src[p];
          }
        }
        for (int64_t j0 = 0; j0 < n; j0 += kNc) {
          const int64_t nb = std::min(kNc, n - j0);
          // bp (kb,nb) = op(B)[p0:p0+kb, j0:j0+nb]
          for (int64_t p = 0; p < kb; ++p) {
            T* dst = bp.data() + p * nb;
            if (trans_b) {
              for (int64_t j = 0; j < nb; ++j) dst[j] = b[(j0 + j) * ldb + p0 + p];
            } else {
              const T* src = b + (p0 + p) * ldb + j0;
              std::copy(src, src + nb, dst);
            }
          }
          // C[i0:i0+mb, j0:j0+nb] += ap * bp
          for (int64_t i = 0; i < mb; ++i) {
            T* __restrict ci = c + (i0 + i) * ldc + j0;
            const T* ai = ap.data() + i * kb;
            for (int64_t p = 0; p < kb; ++p) {
              const T aip = ai[p];
              const T* __restrict bq = bp.data() + p * nb;
              for (int64_t j = 0; j < nb; ++j) ci[j] += aip * bq[j];
            }
          }
        }
      }
    }
  }
}
#endif  // GD_HAVE_CBLAS

}  // namespace detail

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

template <>
inline void gemm<float>(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                        const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                        float* c, int64_t ldc) {
  detail::check_gemm_args(trans_a, trans_b, m, n, k, lda, ldb, ldc);
#ifdef GD_HAVE_CBLAS
  using detail::blas_extent;
  using detail::blas_stride;
  if (alpha == float(0) || k == 0) {
    detail::scale_c_only<float>(m, n, beta, c, ldc);
    return;
  }
  cblas_sgemm(CblasRowMajor, detail::blas_trans(trans_a), detail::blas_trans(trans_b),
              blas_extent(m, "m"), blas_extent(n, "n"), blas_extent(k, "k"), alpha, a,
              blas_stride(lda, "lda"), b, blas_stride(ldb, "ldb"), beta, c,
              blas_stride(ldc, "ldc"));
#else
  detail::gemm_blocked<float>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

template <>
inline void gemm<double>(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                         const double* a, int64_t lda, const double* b, int64_t ldb, double beta,
                         double* c, int64_t ldc) {
  detail::check_gemm_args(trans_a, trans_b, m, n, k, lda, ldb, ldc);
#ifdef GD_HAVE_CBLAS
  using detail::blas_extent;
  using detail::blas_stride;
  if (alpha == double(0) || k == 0) {
    detail::scale_c_only<double>(m, n, beta, c, ldc);
    return;
  }
  cblas_dgemm(CblasRowMajor, detail::blas_trans(trans_a), detail::blas_trans(trans_b),
              blas_extent(m, "m"), blas_extent(n, "n"), blas_extent(k, "k"), alpha, a,
              blas_stride(lda, "lda"), b, blas_stride(ldb, "ldb"), beta, c,
              blas_stride(ldc, "ldc"));
#else
  detail::gemm_blocked<double>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

}  // namespace gd::ref
