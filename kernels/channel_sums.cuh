#pragma once
// Per-channel sums over tensors viewed as (outer, channels, inner) (see kernels/bias.cuh), shared by
// the bias gradient (bias.cu: the term is dy itself) and the fused bias + activation backward
// (bias_activation.cu: the term is dy * act'(y), also written out). Sums accumulate in double in a
// fixed order, so the results are deterministic and a sum does not depend on which caller made it:
//   inner == 1: block (32, kColumnRows): threadIdx.x picks a column of a 32-column tile (coalesced
//               along a row), threadIdx.y a stripe of rows (r = threadIdx.y, + kColumnRows, ...); the
//               stripes' partials are added in stripe order. Grid-stride over column tiles.
//   inner > 1:  one block of kReduceThreads per channel (grid-stride over channels); its threads walk
//               the channel's outer*inner values, then a fixed-order block sum.
// Term: a type with `__device__ static float at(const float* y, const float* dy, int64_t e)`, the
// value of element e. With kWrite, each term is also stored to out[e] (out may alias dy).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/block_sum.cuh"
#include "kernels/cuda_check.cuh"

namespace gd::cuda::detail {

constexpr int kColumnRows = 8;

// inner == 1: y, dy, out (outer, channels); db (channels) OVERWRITTEN with the column sums.
template <typename Term, bool kWrite>
__global__ void column_sums_kernel(int64_t outer, int64_t channels, const float* y /* (outer, channels) or null */,
                                   const float* dy /* (outer, channels) */, float* out /* (outer, channels) or null */,
                                   float* __restrict__ db /* (channels) */) {
  __shared__ double part[kColumnRows][32];
  const int64_t tiles = (channels + 31) / 32;
  for (int64_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
    const int64_t col = tile * 32 + threadIdx.x;
    double acc = 0.0;
    if (col < channels) {
      for (int64_t r = threadIdx.y; r < outer; r += kColumnRows) {
        const int64_t e = r * channels + col;
        const float v = Term::at(y, dy, e);
        if (kWrite) out[e] = v;
        acc += v;
      }
    }
    part[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && col < channels) {
      double sum = 0.0;
      for (int r = 0; r < kColumnRows; ++r) sum += part[r][threadIdx.x];
      db[col] = static_cast<float>(sum);
    }
    __syncthreads();  // part is rewritten by the next tile
  }
}

// inner > 1: y, dy, out (outer, channels, inner); db (channels) OVERWRITTEN with the channel sums.
template <typename Term, bool kWrite>
__global__ void channel_sums_kernel(int64_t outer, int64_t channels, int64_t inner,
                                    const float* y /* (outer, channels, inner) or null */,
                                    const float* dy /* (outer, channels, inner) */,
                                    float* out /* (outer, channels, inner) or null */,
                                    float* __restrict__ db /* (channels) */) {
  const int64_t count = outer * inner;
  for (int64_t c = blockIdx.x; c < channels; c += gridDim.x) {
    double acc = 0.0, unused = 0.0;
    for (int64_t e = threadIdx.x; e < count; e += blockDim.x) {
      const int64_t o = e / inner, i = e - o * inner;
      const int64_t idx = (o * channels + c) * inner + i;
      const float v = Term::at(y, dy, idx);
      if (kWrite) out[idx] = v;
      acc += v;
    }
    block_sum_double2(acc, unused);
    if (threadIdx.x == 0) db[c] = static_cast<float>(acc);
  }
}

// Launches the kernel for the shape on `stream` and checks the launch.
template <typename Term, bool kWrite>
void launch_channel_sums(cudaStream_t stream, int64_t outer, int64_t channels, int64_t inner, const float* y,
                         const float* dy, float* out, float* db) {
  if (inner == 1) {
    const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((channels + 31) / 32, 65535));
    column_sums_kernel<Term, kWrite><<<blocks, dim3(32, kColumnRows), 0, stream>>>(outer, channels, y, dy, out, db);
    GD_CUDA_LAUNCH("column_sums_kernel");
  } else {
    const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(channels, int64_t{1} << 20));
    channel_sums_kernel<Term, kWrite><<<blocks, kReduceThreads, 0, stream>>>(outer, channels, inner, y, dy, out, db);
    GD_CUDA_LAUNCH("channel_sums_kernel");
  }
}

}  // namespace gd::cuda::detail
