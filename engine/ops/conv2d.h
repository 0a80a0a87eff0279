#pragma once
// 2-d convolution (cross-correlation, like PyTorch's Conv2d), NCHW.
//   forward : x (N,C,H,W), w (F,C,KH,KW), b (F)          -> y (N,F,OH,OW)
//             OH = (H + 2*pad - KH) / stride + 1, same for OW
//             b may be nullptr: no bias. The bias is one float add after the convolution, so
//             b == nullptr followed by bias_activation_forward (engine/ops/bias_activation.h) gives
//             the same bits as passing b.
//   backward: dy (N,F,OH,OW) -> dx (N,C,H,W)    (OVERWRITES; skipped when dx == nullptr)
//                               dw (F,C,KH,KW)  (OVERWRITES)
//                               db (F)          (OVERWRITES; skipped when db == nullptr)
// `workspace` holds conv2d_workspace_elems(s) elements of T: per-slot im2col columns plus per-slot
// dw partials, slots = min(N, omp_get_max_threads() read once at first use and then fixed), so a
// workspace sized earlier never overruns. Caller-owned: nothing is allocated in the training loop.
// The backends' conv2d_forward/backward take a Workspace (engine/ops/workspace.h) whose capacity is
// at least the backend's conv2d_workspace_bytes for the largest batch the caller runs; a backend
// whose per-batch plans differ (CUDA) keeps every smaller batch within that capacity.
#include <cstddef>
#include <cstdint>

#include "engine/ops/workspace.h"

namespace gd {

struct Conv2dShape {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input
  int64_t f = 0;                       // output channels
  int64_t kh = 0, kw = 0;              // kernel
  int64_t stride = 1, pad = 0;
  int64_t oh() const { return (h + 2 * pad - kh) / stride + 1; }
  int64_t ow() const { return (w + 2 * pad - kw) / stride + 1; }
  void validate() const;  // throws ShapeError (non-positive extents, kernel larger than padded input)
};

size_t conv2d_workspace_elems(const Conv2dShape& s);

template <typename T>
void conv2d_forward_ref(const Conv2dShape& s, const T* x, const T* w, const T* b, T* y, T* workspace);
template <typename T>
void conv2d_backward_ref(const Conv2dShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw,
                         T* db, T* workspace);

}  // namespace gd
