// CUDA epoch shuffle (contract: engine/ops/shuffle.h; reference: engine/ref/shuffle_ref.cpp): one
// kernel writes every index's 64-bit key and the identity values, then CUB's radix sort of the pairs
// writes the order. CUB's radix sort is stable, so equal keys keep ascending index order, as the
// contract asks. All scratch lives in the caller's workspace (shuffle_workspace_bytes(n)), so the
// shuffle allocates nothing.
#include <cub/device/device_radix_sort.cuh>

#include <cstdint>

#include "engine/core/error.h"
#include "engine/ops/shuffle.h"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_ops.h"
#include "kernels/elementwise_grid.cuh"

namespace gd::cuda {
namespace {
using namespace ew;

constexpr size_t kAlign = 256;
size_t aligned(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

// keys (n) and values (n) OVERWRITTEN: keys[i] = shuffle_key(seed, epoch, i), values[i] = i.
__global__ void shuffle_keys_kernel(uint64_t seed, uint64_t epoch, int64_t n, uint64_t* keys /* (n) */,
                                    int32_t* values /* (n) */) {
  for (int64_t i = grid_first(); i < n; i += grid_stride()) {
    keys[i] = shuffle_key(seed, epoch, static_cast<uint32_t>(i));
    values[i] = static_cast<int32_t>(i);
  }
}

// The workspace: keys in, keys out, values in, then CUB's temporary storage.
struct Layout {
  size_t keys_in = 0, keys_out = 0, values_in = 0, cub = 0, cub_bytes = 0, total = 0;
};

Layout layout(int64_t n) {
  Layout l;
  const size_t key_bytes = aligned(static_cast<size_t>(n) * sizeof(uint64_t));
  const size_t value_bytes = aligned(static_cast<size_t>(n) * sizeof(int32_t));
  l.keys_in = 0;
  l.keys_out = key_bytes;
  l.values_in = 2 * key_bytes;
  l.cub = 2 * key_bytes + value_bytes;
  // A size query: no device work, no synchronisation.
  GD_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, l.cub_bytes, static_cast<const uint64_t*>(nullptr),
                                                static_cast<uint64_t*>(nullptr), static_cast<const int32_t*>(nullptr),
                                                static_cast<int32_t*>(nullptr), static_cast<int>(n)));
  l.total = l.cub + aligned(l.cub_bytes);
  return l;
}

}  // namespace

size_t shuffle_workspace_bytes(int64_t n) {
  GD_CHECK_SHAPE(n >= 0 && n < (int64_t{1} << 31), "shuffle (cuda): n = " << n << " outside [0, 2^31)");
  return n == 0 ? 0 : layout(n).total;
}

void shuffle(Context& ctx, int64_t n, uint64_t seed, uint64_t epoch, int32_t* order, void* workspace,
             size_t workspace_bytes) {
  GD_CHECK_SHAPE(n >= 0 && n < (int64_t{1} << 31), "shuffle (cuda): n = " << n << " outside [0, 2^31)");
  if (n == 0) return;
  const Layout l = layout(n);
  GD_CHECK(order != nullptr && workspace != nullptr, "shuffle (cuda): null buffer for n = " << n);
  GD_CHECK(workspace_bytes >= l.total,
           "shuffle (cuda): workspace of " << workspace_bytes << " bytes, " << l.total << " needed for n = " << n);
  char* base = static_cast<char*>(workspace);
  auto* keys_in = reinterpret_cast<uint64_t*>(base + l.keys_in);
  auto* keys_out = reinterpret_cast<uint64_t*>(base + l.keys_out);
  auto* values_in = reinterpret_cast<int32_t*>(base + l.values_in);
  shuffle_keys_kernel<<<grid_blocks(n), kBlock, 0, ctx.stream>>>(seed, epoch, n, keys_in, values_in);
  GD_CUDA_LAUNCH("shuffle_keys_kernel");
  size_t cub_bytes = l.cub_bytes;
  GD_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(base + l.cub, cub_bytes, keys_in, keys_out, values_in, order,
                                                static_cast<int>(n), 0, 64, ctx.stream));
}

}  // namespace gd::cuda
