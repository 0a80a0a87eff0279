#pragma once
// Max and average pooling, NCHW, square window k, stride, zero padding pad (padding never wins a
// max; average pooling divides by the full window size k*k, i.e. PyTorch's count_include_pad=True).
//   OH = (H + 2*pad - k) / stride + 1 (floor), same for OW.
//   max forward : x (N,C,H,W) -> y (N,C,OH,OW), argmax (N,C,OH,OW) int32 flat index h*W+w in the
//                 input plane (ties: first in row-major window order).
//   max backward: dy, argmax -> dx (N,C,H,W)   (OVERWRITES dx; overlapping windows sum)
//   avg forward : x -> y;  avg backward: dy -> dx (OVERWRITES)
#include <cstdint>

namespace gd {

struct Pool2dShape {
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t k = 2, stride = 2, pad = 0;
  int64_t oh() const { return (h + 2 * pad - k) / stride + 1; }
  int64_t ow() const { return (w + 2 * pad - k) / stride + 1; }
  void validate() const;  // also requires pad <= k/2 (as PyTorch) so no window is all padding
};

template <typename T>
void maxpool2d_forward_ref(const Pool2dShape& s, const T* x, T* y, int32_t* argmax);
template <typename T>
void maxpool2d_backward_ref(const Pool2dShape& s, const T* dy, const int32_t* argmax, T* dx);
template <typename T>
void avgpool2d_forward_ref(const Pool2dShape& s, const T* x, T* y);
template <typename T>
void avgpool2d_backward_ref(const Pool2dShape& s, const T* dy, T* dx);

}  // namespace gd
