// CUDA reductions and fills over flat float arrays (contract: kernels/cuda_ops.h and the matching
// Backend virtuals): sum_squares (returned to the host, synchronises), scale, fill.
// sum_squares is deterministic: a fixed grid (it depends on n only) writes one double partial per
// block, and a single block adds the partials in a fixed tree order, so the same input gives the same
// bits on every call (gradient clipping and the NaN check stay reproducible). Squares are formed and
// accumulated in double, as in the CPU backend.
#include <algorithm>
#include <cstdint>

#include "engine/core/error.h"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_ops.h"
#include "kernels/elementwise_grid.cuh"

namespace gd::cuda {
namespace {
using namespace ew;

// Partials at most this many (the second pass is one block of kBlock threads looping over them).
constexpr int64_t kMaxPartials = 1024;

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

// partials (count) -> out (1) = their sum. One block.
__global__ void sum_partials_kernel(int64_t count, const double* partials /* (count) */, double* out /* (1) */) {
  __shared__ double shared[kBlock];
  double acc = 0.0;
  for (int64_t i = threadIdx.x; i < count; i += kBlock) acc += partials[i];
  const double total = block_sum(acc, shared);
  if (threadIdx.x == 0) *out = total;
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
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(grid_blocks(n), kMaxPartials));
  // partials[0..blocks) and the result in one stream-ordered scratch allocation (pooled by the
  // driver, so this costs no device-wide synchronisation).
  double* scratch = nullptr;
  GD_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&scratch), (blocks + 1) * sizeof(double), ctx.stream));
  double result = 0.0;
  cudaError_t err = cudaSuccess;
  sum_squares_partial_kernel<<<blocks, kBlock, 0, ctx.stream>>>(n, x, scratch);
  err = cudaGetLastError();
  if (err == cudaSuccess) {
    sum_partials_kernel<<<1, kBlock, 0, ctx.stream>>>(blocks, scratch, scratch + blocks);
    err = cudaGetLastError();
  }
  if (err == cudaSuccess)
    err = cudaMemcpyAsync(&result, scratch + blocks, sizeof(double), cudaMemcpyDeviceToHost, ctx.stream);
  // Free (stream-ordered) and wait even on failure, so the scratch never leaks; report the first error.
  const cudaError_t free_err = cudaFreeAsync(scratch, ctx.stream);
  const cudaError_t sync_err = cudaStreamSynchronize(ctx.stream);
  GD_CUDA_CHECK(err);
  GD_CUDA_CHECK(free_err);
  GD_CUDA_CHECK(sync_err);
  return result;
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
