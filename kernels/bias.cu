// Bias add and bias gradient shared by the dense, conv2d and lc2d CUDA layers (see bias.cuh).
#include <algorithm>

#include "engine/core/error.h"
#include "kernels/bias.cuh"
#include "kernels/block_sum.cuh"
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

// inner == 1: column sums of dy (outer, channels). Block (32, kRows): threadIdx.x picks a column
// of a 32-column tile (coalesced reads along a row), threadIdx.y a stripe of rows; the stripes are
// added in order. Grid-stride over column tiles.
constexpr int kRows = 8;
__global__ void column_sum_kernel(int64_t outer, int64_t channels, const float* __restrict__ dy,
                                  float* __restrict__ db) {
  __shared__ double part[kRows][32];
  const int64_t tiles = (channels + 31) / 32;
  for (int64_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
    const int64_t col = tile * 32 + threadIdx.x;
    double acc = 0.0;
    if (col < channels) {
      for (int64_t r = threadIdx.y; r < outer; r += kRows) acc += dy[r * channels + col];
    }
    part[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && col < channels) {
      double sum = 0.0;
      for (int r = 0; r < kRows; ++r) sum += part[r][threadIdx.x];
      db[col] = static_cast<float>(sum);
    }
    __syncthreads();  // part is rewritten by the next tile
  }
}

// inner > 1: one block per channel (grid-stride over channels), threads over its outer*inner
// values.
__global__ void channel_sum_kernel(int64_t outer, int64_t channels, int64_t inner,
                                   const float* __restrict__ dy, float* __restrict__ db) {
  const int64_t count = outer * inner;
  for (int64_t c = blockIdx.x; c < channels; c += gridDim.x) {
    double acc = 0.0, unused = 0.0;
    for (int64_t e = threadIdx.x; e < count; e += blockDim.x) {
      const int64_t o = e / inner, i = e - o * inner;
      acc += dy[(o * channels + c) * inner + i];
    }
    block_sum_double2(acc, unused);
    if (threadIdx.x == 0) db[c] = static_cast<float>(acc);
  }
}

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
  if (inner == 1) {
    const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((channels + 31) / 32, 65535));
    column_sum_kernel<<<blocks, dim3(32, kRows), 0, stream>>>(outer, channels, dy, db);
    GD_CUDA_LAUNCH("column_sum_kernel");
  } else {
    const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(channels, int64_t{1} << 20));
    channel_sum_kernel<<<blocks, kReduceThreads, 0, stream>>>(outer, channels, inner, dy, db);
    GD_CUDA_LAUNCH("channel_sum_kernel");
  }
}

}  // namespace gd::cuda::detail
