#pragma once
// Launch geometry for the element-wise, loss, optimiser and input kernels (activation, dropout,
// softmax_xent, optim_update, input, reduce): a 1-D grid of kBlock-thread blocks whose kernels walk
// their range with a 64-bit grid-stride loop, so any n (including n >= 2^31) is covered by a grid of
// bounded size.
#include <cstdint>

namespace gd::cuda::ew {

constexpr int kBlock = 256;
// Enough blocks to fill an H100 many times over; beyond this each thread loops.
constexpr int64_t kMaxBlocks = int64_t{1} << 15;

// Blocks for `work` independent items handled `per_thread` at a time (>= 1 block, so a launch with
// nothing to do is still a valid launch; callers normally return early when work == 0).
inline unsigned grid_blocks(int64_t work, int64_t per_thread = 1) {
  const int64_t threads = (work + per_thread - 1) / per_thread;
  int64_t blocks = (threads + kBlock - 1) / kBlock;
  if (blocks < 1) blocks = 1;
  if (blocks > kMaxBlocks) blocks = kMaxBlocks;
  return static_cast<unsigned>(blocks);
}

#ifdef __CUDACC__
// First index and stride of the calling thread in a 64-bit grid-stride loop.
__device__ inline int64_t grid_first() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ inline int64_t grid_stride() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }
#endif

}  // namespace gd::cuda::ew
