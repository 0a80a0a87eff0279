// CUDA reductions and fills over flat float arrays (contract: kernels/cuda_ops.h and the matching
// Backend virtuals): sum_squares (returned to the host, synchronises), clip_grad_norm (stays on the
// device: no allocation, no synchronisation, so it can be recorded in a CUDA graph), scale, fill.
// sum_squares is deterministic: a fixed grid (it depends on n only) writes one double partial per
// block, and a single block adds the partials in a fixed tree order, so the same input gives the same
// bits on every call (gradient clipping and the NaN check stay reproducible). Squares are formed and
// accumulated in double, as in the CPU backend.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine/core/error.h"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_ops.h"
#include "kernels/elementwise_grid.cuh"

namespace gd::cuda {
namespace {
using namespace ew;

// Partials at most this many (the second pass is one block of kBlock threads looping over them); they,
// the sum and the clip factor live in the backend's preallocated ctx.reduction_scratch.
constexpr int64_t kMaxPartials = kReductionPartials;
static_assert(kMaxPartials + 2 <= kReductionScratchDoubles, "reduction scratch too small");
// The result slots sit after both partial rows (softmax_xent uses the second row).
constexpr int64_t kResultSlot = 2 * kReductionPartials;

// Tree sum of the block's kBlock values in shared memory; thread 0 gets the result. Fixed order.
__device__ double block_sum(double v, double* shared /* (kBlock) */) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int half = kBlock / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) shared[threadIdx.x] += shared[threadIdx.x + half];
    __syncthreads();
  }
  return shared[0];
}

// x (n) -> partials (gridDim.x): partials[b] = sum of x[i]^2 over block b's grid-stride share.
__global__ void sum_squares_partial_kernel(int64_t n, const float* x /* (n) */, double* partials /* (grid) */) {
  __shared__ double shared[kBlock];
  double acc = 0.0;
  for (int64_t i = grid_first(); i < n; i += grid_stride()) {
    const double v = static_cast<double>(x[i]);
    acc += v * v;
  }
  const double total = block_sum(acc, shared);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

// partials (count) -> out (1) = their sum. One block. OVERWRITES *out.
// The sum of partials (count) by one block, in a fixed order; thread 0 gets the result.
__device__ double sum_of_partials(int64_t count, const double* partials /* (count) */, double* shared /* (kBlock) */) {
  double acc = 0.0;
  for (int64_t i = threadIdx.x; i < count; i += kBlock) acc += partials[i];
  return block_sum(acc, shared);
}

__global__ void sum_partials_kernel(int64_t count, const double* partials /* (count) */, double* out /* (1) */) {
  __shared__ double shared[kBlock];
  const double total = sum_of_partials(count, partials, shared);
  if (threadIdx.x == 0) *out = total;
}

// partials (count) -> factor (1): norm = sqrt(sum of partials, same order as sum_partials_kernel);
// factor = float(max_norm / norm) when norm > max_norm, else 1 (also for a non-finite norm). One block.
__global__ void clip_factor_kernel(int64_t count, const double* partials /* (count) */, double max_norm,
                                   float* factor /* (1) */) {
  __shared__ double shared[kBlock];
  const double total = sum_of_partials(count, partials, shared);
  if (threadIdx.x == 0) {
    const double norm = sqrt(total);
    *factor = norm > max_norm ? static_cast<float>(max_norm / norm) : 1.0f;
  }
}

// x (n) *= *factor in place, skipped when the factor is 1 (the same multiply as scale_kernel).
__global__ void scale_by_kernel(int64_t n, const float* factor /* (1) */, float* x /* (n) */) {
  const float alpha = *factor;
  if (alpha == 1.0f) return;
  for (int64_t i = grid_first(); i < n; i += grid_stride()) x[i] *= alpha;
}

unsigned partial_blocks(int64_t n) {
  return static_cast<unsigned>(std::min<int64_t>(grid_blocks(n), kMaxPartials));
}

// x (n) *= alpha, in place.
__global__ void scale_kernel(int64_t n, float alpha, float* x /* (n) */) {
  for (int64_t i = grid_first(); i < n; i += grid_stride()) x[i] *= alpha;
}

// dst (n) = value. OVERWRITES.
__global__ void fill_kernel(int64_t n, float value, float* dst /* (n) */) {
  for (int64_t i = grid_first(); i < n; i += grid_stride()) dst[i] = value;
}

}  // namespace

double sum_squares(Context& ctx, int64_t n, const float* x) {
  GD_CHECK_SHAPE(n >= 0, "sum_squares (cuda): negative element count " << n);
  if (n == 0) return 0.0;
  GD_CHECK(x != nullptr, "sum_squares (cuda): null buffer for n = " << n);
  GD_CHECK(ctx.reduction_scratch != nullptr, "sum_squares (cuda): the context has no reduction scratch");
  const unsigned blocks = partial_blocks(n);
  double* partials = ctx.reduction_scratch;
  double* total = ctx.reduction_scratch + kResultSlot;
  sum_squares_partial_kernel<<<blocks, kBlock, 0, ctx.stream>>>(n, x, partials);
  GD_CUDA_LAUNCH("sum_squares_partial_kernel");
  sum_partials_kernel<<<1, kBlock, 0, ctx.stream>>>(blocks, partials, total);
  GD_CUDA_LAUNCH("sum_partials_kernel");
  double result = 0.0;
  GD_CUDA_CHECK(cudaMemcpyAsync(&result, total, sizeof(double), cudaMemcpyDeviceToHost, ctx.stream));
  GD_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  return result;
}

void clip_grad_norm(Context& ctx, int64_t n, double max_norm, float* grads) {
  GD_CHECK(std::isfinite(max_norm) && max_norm > 0.0,
           "clip_grad_norm (cuda): max_norm must be finite and > 0, got " << max_norm);
  GD_CHECK_SHAPE(n >= 0, "clip_grad_norm (cuda): negative element count " << n);
  if (n == 0) return;
  GD_CHECK(grads != nullptr, "clip_grad_norm (cuda): null buffer for n = " << n);
  GD_CHECK(ctx.reduction_scratch != nullptr, "clip_grad_norm (cuda): the context has no reduction scratch");
  const unsigned blocks = partial_blocks(n);
  double* partials = ctx.reduction_scratch;
  float* factor = reinterpret_cast<float*>(ctx.reduction_scratch + kResultSlot + 1);
  sum_squares_partial_kernel<<<blocks, kBlock, 0, ctx.stream>>>(n, grads, partials);
  GD_CUDA_LAUNCH("sum_squares_partial_kernel");
  clip_factor_kernel<<<1, kBlock, 0, ctx.stream>>>(blocks, partials, max_norm, factor);
  GD_CUDA_LAUNCH("clip_factor_kernel");
  scale_by_kernel<<<grid_blocks(n), kBlock, 0, ctx.stream>>>(n, factor, grads);
  GD_CUDA_LAUNCH("scale_by_kernel");
}

void scale(Context& ctx, int64_t n, float alpha, float* x) {
  GD_CHECK_SHAPE(n >= 0, "scale (cuda): negative element count " << n);
  if (n == 0) return;
  GD_CHECK(x != nullptr, "scale (cuda): null buffer for n = " << n);
  scale_kernel<<<grid_blocks(n), kBlock, 0, ctx.stream>>>(n, alpha, x);
  GD_CUDA_LAUNCH("scale_kernel");
}

void fill(Context& ctx, float* dst, int64_t n, float value) {
  GD_CHECK_SHAPE(n >= 0, "fill (cuda): negative element count " << n);
  if (n == 0) return;
  GD_CHECK(dst != nullptr, "fill (cuda): null buffer for n = " << n);
  fill_kernel<<<grid_blocks(n), kBlock, 0, ctx.stream>>>(n, value, dst);
  GD_CUDA_LAUNCH("fill_kernel");
}

}  // namespace gd::cuda
