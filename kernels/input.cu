// CUDA input pipeline (contracts: engine/backend/backend.h input section, engine/ops/augment.h;
// references: CpuBackend::gather_images_u8/gather_labels_u8/normalize, augment_affine_ref).
//  - gather_images_u8: one block per batch row (grid-stride over rows), threads over the row's pixels;
//    dst = pixel * a + b with a = 1/(255 std), b = -mean/std computed on the host in float, exactly as
//    the CPU backend computes them.
//  - augment_affine: one block per sample; thread 0 draws the sample's transform with the shared
//    GD_HOST_DEVICE helpers of engine/ops/augment.h into shared memory, then the block resamples the
//    sample's C planes with augment_pixel. (Device sinf/cosf may differ from the host's in the last
//    ulp, so the result matches the reference to a small tolerance, not bit for bit.)
#include <algorithm>
#include <cstdint>

#include "engine/core/error.h"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_ops.h"
#include "kernels/elementwise_grid.cuh"

namespace gd::cuda {
namespace {
using namespace ew;

unsigned row_grid(int64_t rows) { return static_cast<unsigned>(std::min<int64_t>(std::max<int64_t>(rows, 1), kMaxBlocks)); }

// images (num_images, row) uint8, idx (n) -> dst (n, row) OVERWRITTEN.
__global__ void gather_images_kernel(int64_t n, int64_t row, const uint8_t* images /* (num_images, row) */,
                                     const int32_t* idx /* (n) */, float a, float b, float* dst /* (n, row) */) {
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x) {
    const uint8_t* src = images + static_cast<int64_t>(idx[i]) * row;
    float* out = dst + i * row;
    for (int64_t j = threadIdx.x; j < row; j += blockDim.x) out[j] = static_cast<float>(src[j]) * a + b;
  }
}

// labels (num_images) uint8, idx (n) -> dst (n) OVERWRITTEN.
__global__ void gather_labels_kernel(int64_t n, const uint8_t* labels /* (num_images) */,
                                     const int32_t* idx /* (n) */, int32_t* dst /* (n) */) {
  for (int64_t i = grid_first(); i < n; i += grid_stride()) dst[i] = labels[idx[i]];
}

// x (n) = (x - mean) * inv, in place.
__global__ void normalize_kernel(int64_t n, float mean, float inv, float* x /* (n) */) {
  for (int64_t i = grid_first(); i < n; i += grid_stride()) x[i] = (x[i] - mean) * inv;
}

// x (N,C,H,W), sample_ids (N) or null (ids 0..N-1) -> y (N,C,H,W) OVERWRITTEN. y must not overlap x.
__global__ void augment_affine_kernel(AugmentParams p, int64_t n, int64_t c, int64_t h, int64_t w,
                                      const float* __restrict__ x /* (N,C,H,W) */,
                                      float* __restrict__ y /* (N,C,H,W) */,
                                      const int32_t* sample_ids /* (N) or null */) {
  __shared__ AugmentInverse inv;
  const int64_t plane = h * w, per_sample = c * plane;
  for (int64_t s = blockIdx.x; s < n; s += gridDim.x) {
    if (threadIdx.x == 0) {
      const int32_t id = sample_ids ? sample_ids[s] : static_cast<int32_t>(s);
      inv = augment_inverse(augment_draw(p, id), h, w);
    }
    __syncthreads();
    const AugmentInverse m = inv;
    const float* src = x + s * per_sample;
    float* dst = y + s * per_sample;
    for (int64_t k = threadIdx.x; k < per_sample; k += blockDim.x) {
      const int64_t ch = k / plane, rem = k - ch * plane;
      const int64_t oy = rem / w, ox = rem - oy * w;
      dst[k] = augment_pixel(m, src + ch * plane, h, w, oy, ox, p.fill);
    }
    __syncthreads();  // every thread has read `inv` before thread 0 overwrites it for the next sample
  }
}

}  // namespace

void gather_images_u8(Context& ctx, int64_t n, int64_t row, const uint8_t* images, const int32_t* idx,
                      float mean, float std, float* dst) {
  GD_CHECK_SHAPE(n >= 0 && row >= 0, "gather_images_u8 (cuda): need n >= 0 and row >= 0, got n = " << n
                                                                                                  << ", row = " << row);
  if (n == 0 || row == 0) return;
  GD_CHECK(images != nullptr && idx != nullptr && dst != nullptr,
           "gather_images_u8 (cuda): null buffer for n = " << n << ", row = " << row);
  const float a = 1.0f / (255.0f * std), b = -mean / std;  // as CpuBackend::gather_images_u8
  gather_images_kernel<<<row_grid(n), kBlock, 0, ctx.stream>>>(n, row, images, idx, a, b, dst);
  GD_CUDA_LAUNCH("gather_images_kernel");
}

void gather_labels_u8(Context& ctx, int64_t n, const uint8_t* labels, const int32_t* idx, int32_t* dst) {
  GD_CHECK_SHAPE(n >= 0, "gather_labels_u8 (cuda): negative count " << n);
  if (n == 0) return;
  GD_CHECK(labels != nullptr && idx != nullptr && dst != nullptr, "gather_labels_u8 (cuda): null buffer for n = " << n);
  gather_labels_kernel<<<grid_blocks(n), kBlock, 0, ctx.stream>>>(n, labels, idx, dst);
  GD_CUDA_LAUNCH("gather_labels_kernel");
}

void normalize(Context& ctx, int64_t n, float mean, float std, float* x) {
  GD_CHECK_SHAPE(n >= 0, "normalize (cuda): negative count " << n);
  if (n == 0) return;
  GD_CHECK(x != nullptr, "normalize (cuda): null buffer for n = " << n);
  const float inv = 1.0f / std;  // as CpuBackend::normalize
  normalize_kernel<<<grid_blocks(n), kBlock, 0, ctx.stream>>>(n, mean, inv, x);
  GD_CUDA_LAUNCH("normalize_kernel");
}

void augment_affine(Context& ctx, const AugmentParams& p, int64_t n, int64_t c, int64_t h, int64_t w,
                    const float* x, float* y, const int32_t* sample_ids) {
  p.validate();
  GD_CHECK_SHAPE(n >= 0 && c > 0 && h > 0 && w > 0, "augment (cuda): need n >= 0 and positive c, h, w; got ("
                                                        << n << "," << c << "," << h << "," << w << ")");
  const int64_t count = n * c * h * w;
  if (count == 0) return;
  GD_CHECK_SHAPE(x != nullptr && y != nullptr, "augment (cuda): null buffer");
  GD_CHECK_SHAPE(y + count <= x || x + count <= y,
                 "augment (cuda): output must not overlap the input (the op reads neighbours of every pixel)");
  augment_affine_kernel<<<row_grid(n), kBlock, 0, ctx.stream>>>(p, n, c, h, w, x, y, sample_ids);
  GD_CUDA_LAUNCH("augment_affine_kernel");
}

}  // namespace gd::cuda
