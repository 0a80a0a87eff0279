// CUDA inverted dropout (contract: engine/ops/dropout.h; reference: engine/ref/dropout_ref.cpp).
// Bit-identical to the reference by construction:
//  - the keep test is the reference's integer form (philox word >> 8) >= ceil(p * 2^24), the
//    threshold computed on the host exactly as the reference does;
//  - the scale 1/(1-p) is computed in double on the host and rounded once to float, and a kept value
//    is one IEEE float multiply x * scale (no FMA can be formed), a dropped one +0.
// One thread evaluates one Philox block, i.e. the mask of four consecutive elements.
#include <cmath>
#include <cstdint>

#include "engine/core/error.h"
#include "engine/core/philox.h"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_ops.h"
#include "kernels/elementwise_grid.cuh"

namespace gd::cuda {
namespace {
using namespace ew;

struct MaskParams {
  uint64_t seed;
  uint32_t stream;
  uint64_t step;
  const LiveStep* live;  // device memory; when set, its step replaces `step` (read in the kernel)
  uint32_t threshold;  // keep iff (word >> 8) >= threshold
  float scale;         // float(1 / (1 - p)) rounded once from double
};

MaskParams mask_params(const DropoutParams& d) {
  MaskParams m;
  m.seed = d.seed;
  m.stream = d.stream;
  m.step = d.step;
  m.live = d.live;
  m.threshold = static_cast<uint32_t>(std::ceil(static_cast<double>(d.p) * 16777216.0));
  m.scale = static_cast<float>(1.0 / (1.0 - static_cast<double>(d.p)));
  return m;
}

// in (n) -> out (n) OVERWRITTEN: out[e] = in[e] * scale if kept else +0. out may alias in (each
// element is read and then written by the same thread).
__global__ void dropout_mask_kernel(MaskParams m, int64_t n, const float* in /* (n) */,
                                    float* out /* (n) */) {
  const int64_t blocks = (n + 3) / 4;
  const uint64_t step = resolve_step(m.live, m.step);
  for (int64_t b = grid_first(); b < blocks; b += grid_stride()) {
    // Counter exactly as philox_u32 builds it for element 4b + k: (uint32(b), stream, step lo/hi).
    Philox4x32 c;
    c.v[0] = static_cast<uint32_t>(b);
    c.v[1] = m.stream;
    c.v[2] = static_cast<uint32_t>(step);
    c.v[3] = static_cast<uint32_t>(step >> 32);
    const Philox4x32 r = philox4x32_10(c, static_cast<uint32_t>(m.seed), static_cast<uint32_t>(m.seed >> 32));
    const int64_t e0 = 4 * b;
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const int64_t e = e0 + k;
      if (e < n) {
        const bool keep = (r.v[k] >> 8) >= m.threshold;
        out[e] = keep ? __fmul_rn(in[e], m.scale) : 0.0f;
      }
    }
  }
}

void apply_mask(Context& ctx, const DropoutParams& d, int64_t n, const float* in, float* out,
                const char* what) {
  GD_CHECK_T(d.p >= 0.0f && d.p < 1.0f, ConfigError, what << ": p = " << d.p << " is outside [0, 1)");
  GD_CHECK_SHAPE(n >= 0, what << ": negative element count " << n);
  if (n == 0) return;
  GD_CHECK(in != nullptr && out != nullptr, what << ": null buffer for n = " << n);
  if (d.p == 0.0f) {  // every element kept with scale 1: a copy, as in the reference
    if (out != in)
      GD_CUDA_CHECK(cudaMemcpyAsync(out, in, static_cast<size_t>(n) * sizeof(float), cudaMemcpyDeviceToDevice,
                                    ctx.stream));
    return;
  }
  dropout_mask_kernel<<<grid_blocks(n, 4), kBlock, 0, ctx.stream>>>(mask_params(d), n, in, out);
  GD_CUDA_LAUNCH("dropout_mask_kernel");
}

}  // namespace

void dropout_forward(Context& ctx, const DropoutParams& d, int64_t n, const float* x, float* y) {
  apply_mask(ctx, d, n, x, y, "dropout forward (cuda)");
}

void dropout_backward(Context& ctx, const DropoutParams& d, int64_t n, const float* dy, float* dx) {
  apply_mask(ctx, d, n, dy, dx, "dropout backward (cuda)");
}

}  // namespace gd::cuda
