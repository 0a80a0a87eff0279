#pragma once
// Dense (fully connected) layer, PyTorch weight layout.
//   forward : x (N,K), w (M,K), b (M)            -> y (N,M) = x w^T + b   (OVERWRITES y)
//             b may be nullptr: no bias (y = x w^T). The bias is one float add after the product,
//             so b == nullptr followed by bias_activation_forward (engine/ops/bias_activation.h)
//             gives the same bits as passing b.
//   backward: dy (N,M) -> dx (N,K) = dy w        (OVERWRITES; skipped when dx == nullptr)
//                         dw (M,K) = dy^T x      (OVERWRITES)
//                         db (M)   = sum_n dy    (OVERWRITES; skipped when db == nullptr)
// T is float (training) or double (gradient checks). GEMMs go through CBLAS.
#include <cstdint>

namespace gd {

struct DenseShape {
  int64_t n = 0;  // batch
  int64_t k = 0;  // input features
  int64_t m = 0;  // output features
  void validate() const;  // throws ShapeError on non-positive extents
};

template <typename T>
void dense_forward_ref(const DenseShape& s, const T* x, const T* w, const T* b, T* y);
template <typename T>
void dense_backward_ref(const DenseShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db);

}  // namespace gd
