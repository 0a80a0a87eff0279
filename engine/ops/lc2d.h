#pragma once
// Locally connected 2-d layer: a convolution whose weights and biases are NOT shared across output
// positions. NCHW. P = OH*OW output positions, R = C*KH*KW receptive-field size.
//   forward : x (N,C,H,W), w (P,F,R), b (F,OH,OW)   -> y (N,F,OH,OW)
//             y[n,f,p] = b[f,p] + sum_r w[p,f,r] * patch(x[n], p)[r]
//             patch index r = (c*KH + i)*KW + j, reading x[n,c,oy*stride-pad+i,ox*stride-pad+j]
//             (zero outside the image). b may be nullptr: no bias. The bias is one float add after
//             the sum, so b == nullptr followed by bias_activation_forward
//             (engine/ops/bias_activation.h) gives the same bits as passing b.
//   backward: dy (N,F,OH,OW) -> dx (N,C,H,W)   (OVERWRITES; skipped when dx == nullptr)
//                               dw (P,F,R)     (OVERWRITES)
//                               db (F,OH,OW)   (OVERWRITES; skipped when db == nullptr)
// Per output position this is one GEMM over the batch (N x R times R x F), which is how both the
// CPU reference and the CUDA kernels compute it. `workspace` holds lc2d_workspace_elems(s) of T.
#include <cstddef>
#include <cstdint>

namespace gd {

struct Lc2dShape {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input
  int64_t f = 0;                       // output channels
  int64_t kh = 0, kw = 0;
  int64_t stride = 1, pad = 0;
  int64_t oh() const { return (h + 2 * pad - kh) / stride + 1; }
  int64_t ow() const { return (w + 2 * pad - kw) / stride + 1; }
  int64_t positions() const { return oh() * ow(); }
  int64_t receptive() const { return c * kh * kw; }
  void validate() const;
};

size_t lc2d_workspace_elems(const Lc2dShape& s);

template <typename T>
void lc2d_forward_ref(const Lc2dShape& s, const T* x, const T* w, const T* b, T* y, T* workspace);
template <typename T>
void lc2d_backward_ref(const Lc2dShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db,
                       T* workspace);

}  // namespace gd
