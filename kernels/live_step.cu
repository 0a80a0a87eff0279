// CUDA side of the training step's live counters (contract: engine/ops/live_step.h and the
// Backend::select_batch / advance_step virtuals; reference: CpuBackend). Both run as kernels so a
// recorded step (CUDA graph) selects its batch and moves its counters on by itself.
#include <cstdint>

#include "engine/core/error.h"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_ops.h"
#include "kernels/elementwise_grid.cuh"

namespace gd::cuda {
namespace {
using namespace ew;

// order (>= (live->batch + 1) * batch_size, or the dataset's end) -> dst (n) OVERWRITTEN:
// dst[i] = order[live->batch * batch_size + i].
__global__ void select_batch_kernel(const int32_t* order /* (dataset) */, int64_t batch_size,
                                    const LiveStep* live /* (1) */, int64_t n, int32_t* dst /* (n) */) {
  const int32_t* first = order + live->batch * batch_size;
  for (int64_t i = grid_first(); i < n; i += grid_stride()) dst[i] = first[i];
}

// live (1): ++step, ++batch. One thread.
__global__ void advance_step_kernel(LiveStep* live /* (1) */) {
  live->step += 1;
  live->batch += 1;
}

}  // namespace

void select_batch(Context& ctx, const int32_t* order, int64_t batch_size, const LiveStep* live, int64_t n,
                  int32_t* dst) {
  GD_CHECK(n >= 0 && n <= batch_size, "select_batch (cuda): n = " << n << " outside [0, " << batch_size << "]");
  if (n == 0) return;
  GD_CHECK(order != nullptr && live != nullptr && dst != nullptr, "select_batch (cuda): null buffer");
  select_batch_kernel<<<grid_blocks(n), kBlock, 0, ctx.stream>>>(order, batch_size, live, n, dst);
  GD_CUDA_LAUNCH("select_batch_kernel");
}

void advance_step(Context& ctx, LiveStep* live) {
  GD_CHECK(live != nullptr, "advance_step (cuda): null counters");
  advance_step_kernel<<<1, 1, 0, ctx.stream>>>(live);
  GD_CUDA_LAUNCH("advance_step_kernel");
}

}  // namespace gd::cuda
