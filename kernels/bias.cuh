#pragma once
// Per-channel bias for tensors viewed as (outer, channels, inner), channel index in the middle:
//   dense  y (N,M):        outer = N, channels = M,   inner = 1
//   conv2d y (N,F,OH,OW):  outer = N, channels = F,   inner = OH*OW
//   lc2d   y (N,F,OH,OW):  outer = N, channels = F*P, inner = 1   (bias (F,OH,OW))
// Both launchers enqueue on `stream` and check the launch.
#include <cuda_runtime.h>

#include <cstdint>

namespace gd::cuda::detail {

// y (outer, channels, inner) += b (channels), broadcast over outer and inner.
void add_channel_bias(cudaStream_t stream, int64_t outer, int64_t channels, int64_t inner,
                      const float* b, float* y);

// db (channels) = sum of dy (outer, channels, inner) over outer and inner. OVERWRITES db.
// Accumulates in double in a fixed order: deterministic, no atomics.
void channel_bias_grad(cudaStream_t stream, int64_t outer, int64_t channels, int64_t inner,
                       const float* dy, float* db);

}  // namespace gd::cuda::detail
