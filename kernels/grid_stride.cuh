#pragma once
// Launch geometry for grid-stride loops: every element kernel loops
//   for (int64_t i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += blockDim.x * gridDim.x)
// with 64-bit indices, so any size runs correctly with a bounded grid.
#include <algorithm>
#include <cstdint>

namespace gd::cuda::detail {

constexpr int kElementThreads = 256;

// Enough blocks to give each thread about one element, capped (the loop covers the rest); at least
// one block so a launch is always valid.
inline unsigned grid_stride_blocks(int64_t total, int threads = kElementThreads) {
  constexpr int64_t kMaxBlocks = int64_t{1} << 20;
  const int64_t blocks = (std::max<int64_t>(total, 1) + threads - 1) / threads;
  return static_cast<unsigned>(std::min(blocks, kMaxBlocks));
}

}  // namespace gd::cuda::detail
