#pragma once
// Race-free backward passes of sliding-window ops (convolution col2im, locally connected dx,
// pooling dx) are gathers: the thread that owns one input element visits every output window that
// covers it. Along one axis, output o's window starts at o*stride - pad and spans k inputs, so
// input i is covered by the outputs o in [lo, hi) with
//   o*stride - pad <= i < o*stride - pad + k   and   0 <= o < out_len,
// at kernel offset i + pad - o*stride. Visiting o ascending gives the same summation order as the
// pooling and locally connected CPU references, whose scatters add outputs in ascending order.
#include <cstdint>

namespace gd::cuda::detail {

struct OutRange {
  int64_t lo, hi;  // outputs [lo, hi); empty when lo >= hi
};

__host__ __device__ inline OutRange covering_outputs(int64_t i, int64_t k, int64_t stride,
                                                     int64_t pad, int64_t out_len) {
  const int64_t top = i + pad;         // o*stride <= top
  const int64_t bottom = top - k + 1;  // o*stride >= bottom
  const int64_t lo = bottom <= 0 ? 0 : (bottom + stride - 1) / stride;
  int64_t hi = top / stride + 1;  // top >= 0 since i >= 0, pad >= 0
  if (hi > out_len) hi = out_len;
  return {lo, hi};
}

}  // namespace gd::cuda::detail
