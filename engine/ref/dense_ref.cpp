// CPU reference (and production CPU path) for the dense layer: one CBLAS GEMM per product, which
// OpenBLAS parallelises itself; the bias loops are contiguous and vectorise.
#include <algorithm>
#include <cstdint>

#include "engine/core/error.h"
#include "engine/ops/dense.h"
#include "engine/ref/blas_gemm.h"

namespace gd {

using ref::gemm;
using ref::kNoTrans;
using ref::kTrans;

void DenseShape::validate() const {
  GD_CHECK_SHAPE(n >= 1 && k >= 1 && m >= 1,
                 "dense: every extent must be >= 1, got n=" << n << " k=" << k << " m=" << m);
}

// x (N,K), w (M,K), b (M) or nullptr -> y (N,M) = x w^T (+ b). y is overwritten.
// The bias is one float add after the GEMM (not folded into it as its C operand), so that a fused
// epilogue (b == nullptr here, then bias_activation_forward) rounds exactly as this path does.
template <typename T>
void dense_forward_ref(const DenseShape& s, const T* x, const T* w, const T* b, T* y) {
  s.validate();
  GD_CHECK(x && w && y, "dense_forward_ref: null x, w or y");
  // y (N,M) = x (N,K) * w^T (K,M)
  gemm<T>(kNoTrans, kTrans, s.n, s.m, s.k, T(1), x, s.k, w, s.k, T(0), y, s.m);
  if (!b) return;
  for (int64_t i = 0; i < s.n; ++i) {
    T* row = y + i * s.m;
    for (int64_t j = 0; j < s.m; ++j) row[j] += b[j];
  }
}

// dy (N,M) -> dx (N,K) = dy w      OVERWRITES; skipped when dx == nullptr
//             dw (M,K) = dy^T x    OVERWRITES
//             db (M)   = sum_n dy  OVERWRITES; skipped when db == nullptr
template <typename T>
void dense_backward_ref(const DenseShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw,
                        T* db) {
  s.validate();
  GD_CHECK(x && w && dy && dw, "dense_backward_ref: null x, w, dy or dw");
  // dw (M,K) = dy^T (M,N) * x (N,K)
  gemm<T>(kTrans, kNoTrans, s.m, s.k, s.n, T(1), dy, s.m, x, s.k, T(0), dw, s.k);
  // dx (N,K) = dy (N,M) * w (M,K)
  if (dx) gemm<T>(kNoTrans, kNoTrans, s.n, s.k, s.m, T(1), dy, s.m, w, s.k, T(0), dx, s.k);
  if (db) {
    std::fill(db, db + s.m, T(0));
    for (int64_t i = 0; i < s.n; ++i) {
      const T* row = dy + i * s.m;
      for (int64_t j = 0; j < s.m; ++j) db[j] += row[j];
    }
  }
}

template void dense_forward_ref<float>(const DenseShape&, const float*, const float*, const float*,
                                       float*);
template void dense_forward_ref<double>(const DenseShape&, const double*, const double*,
                                        const double*, double*);
template void dense_backward_ref<float>(const DenseShape&, const float*, const float*, const float*,
                                        float*, float*, float*);
template void dense_backward_ref<double>(const DenseShape&, const double*, const double*,
                                         const double*, double*, double*, double*);

}  // namespace gd
