#pragma once
// Block-wide sums of per-thread double partials, in a fixed order (warp shuffles, then the warp
// results in warp order), so a kernel that uses them is deterministic for a given block size.
// Every thread of the block must call them; every thread receives the total.
#include <cuda_runtime.h>

namespace gd::cuda::detail {

constexpr int kReduceThreads = 256;  // block size of the reduction kernels (a multiple of 32)

__device__ inline double warp_sum_double(double v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  return v;
}

// Sums a and b over the block (blockDim.x a multiple of 32, at most 1024).
__device__ inline void block_sum_double2(double& a, double& b) {
  __shared__ double sa[32], sb[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  a = warp_sum_double(a);
  b = warp_sum_double(b);
  if (lane == 0) {
    sa[warp] = a;
    sb[warp] = b;
  }
  __syncthreads();
  if (warp == 0) {
    a = lane < warps ? sa[lane] : 0.0;
    b = lane < warps ? sb[lane] : 0.0;
    a = warp_sum_double(a);
    b = warp_sum_double(b);
    if (lane == 0) {
      sa[0] = a;
      sb[0] = b;
    }
  }
  __syncthreads();
  a = sa[0];
  b = sb[0];
  __syncthreads();  // the shared slots may be reused by a following call
}

}  // namespace gd::cuda::detail
