// Bias add and bias gradient shared by the dense, conv2d and lc2d CUDA layers (see bias.cuh).
#include <algorithm>

#include "engine/core/error.h"
#include "kernels/bias.cuh"
#include "kernels/channel_sums.cuh"
#include "kernels/cuda_check.cuh"
#include "kernels/elementwise_grid.cuh"

namespace gd::cuda::detail {

namespace {

// y (outer, channels, inner) += b (channels); total = outer*channels*inner.
__global__ void add_channel_bias_kernel(int64_t total, int64_t channels, int64_t inner,
                                        const float* __restrict__ b, float* __restrict__ y) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(blockDim.x) * gridDim.x) {
    y[i] += b[(i / inner) % channels];
  }
}

// The bias gradient's term is dy itself.
struct DyTerm {
  __device__ static float at(const float* /*y*/, const float* dy, int64_t e) { return dy[e]; }
};

void check_extents(int64_t outer, int64_t channels, int64_t inner) {
  GD_CHECK_SHAPE(outer >= 1 && channels >= 1 && inner >= 1,
                 "channel bias: extents must be >= 1, got outer="
                     << outer << " channels=" << channels << " inner=" << inner);
}

}  // namespace

void add_channel_bias(cudaStream_t stream, int64_t outer, int64_t channels, int64_t inner,
                      const float* b, float* y) {
  check_extents(outer, channels, inner);
  const int64_t total = outer * channels * inner;
  add_channel_bias_kernel<<<ew::grid_blocks(total), ew::kBlock, 0, stream>>>(
      total, channels, inner, b, y);
  GD_CUDA_LAUNCH("add_channel_bias_kernel");
}

void channel_bias_grad(cudaStream_t stream, int64_t outer, int64_t channels, int64_t inner,
                       const float* dy, float* db) {
  check_extents(outer, channels, inner);
  launch_channel_sums<DyTerm, false>(stream, outer, channels, inner, nullptr, dy, nullptr, db);
}

}  // namespace gd::cuda::detail
