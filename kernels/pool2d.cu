// Max and average pooling on the GPU, NCHW (contract in engine/ops/pool2d.h). Forward: one thread
// per output, scanning its window exactly as engine/ref/pool2d_ref.cpp does (row-major order,
// strict >, starting from the first in-bounds element, so ties and NaNs resolve identically).
// Backward: one thread per input element gathering from the outputs whose windows cover it
// (window_gather.cuh), in ascending output order like the reference's scatter: no atomics,
// deterministic, overlapping windows sum.
#include <cstdint>

#include "engine/core/error.h"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_ops.h"
#include "kernels/elementwise_grid.cuh"
#include "kernels/window_gather.cuh"

namespace gd::cuda {

namespace {

using detail::covering_outputs;
using ew::grid_blocks;
using ew::kBlock;
using detail::OutRange;

struct PoolGeom {
  int64_t planes, h, w, oh, ow, k, stride, pad;
};

PoolGeom geom(const Pool2dShape& s) {
  return {s.n * s.c, s.h, s.w, s.oh(), s.ow(), s.k, s.stride, s.pad};
}

// Clamped input span [lo, hi) of output index o along an axis of length len.
__device__ inline void window_span(int64_t o, int64_t stride, int64_t pad, int64_t k, int64_t len,
                                   int64_t& lo, int64_t& hi) {
  const int64_t start = o * stride - pad;
  lo = start > 0 ? start : 0;
  hi = start + k < len ? start + k : len;
}

// x (planes,H,W) -> y (planes,OH,OW), argmax (planes,OH,OW) = flat h*W+w index in the input plane.
__global__ void maxpool_forward_kernel(PoolGeom g, const float* __restrict__ x,
                                       float* __restrict__ y, int32_t* __restrict__ argmax) {
  const int64_t ohw = g.oh * g.ow, total = g.planes * ohw;
  for (int64_t o = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; o < total;
       o += int64_t(blockDim.x) * gridDim.x) {
    const int64_t p = o / ohw, q = o - p * ohw, oy = q / g.ow, ox = q - oy * g.ow;
    int64_t ylo, yhi, xlo, xhi;
    window_span(oy, g.stride, g.pad, g.k, g.h, ylo, yhi);
    window_span(ox, g.stride, g.pad, g.k, g.w, xlo, xhi);
    const float* xp = x + p * g.h * g.w;
    int64_t best_i = ylo * g.w + xlo;
    float best = xp[best_i];
    for (int64_t iy = ylo; iy < yhi; ++iy) {
      for (int64_t ix = xlo; ix < xhi; ++ix) {
        const float v = xp[iy * g.w + ix];
        if (v > best) {
          best = v;
          best_i = iy * g.w + ix;
        }
      }
    }
    y[o] = best;
    argmax[o] = static_cast<int32_t>(best_i);
  }
}

// dy (planes,OH,OW), argmax (planes,OH,OW) -> dx (planes,H,W), OVERWRITTEN: each input sums the dy
// of the covering windows whose argmax is that input. Out-of-range argmax entries match no input.
__global__ void maxpool_backward_kernel(PoolGeom g, const float* __restrict__ dy,
                                        const int32_t* __restrict__ argmax,
                                        float* __restrict__ dx) {
  const int64_t hw = g.h * g.w, ohw = g.oh * g.ow, total = g.planes * hw;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t p = i / hw, q = i - p * hw, iy = q / g.w, ix = q - iy * g.w;
    const OutRange ry = covering_outputs(iy, g.k, g.stride, g.pad, g.oh);
    const OutRange rx = covering_outputs(ix, g.k, g.stride, g.pad, g.ow);
    const float* dyp = dy + p * ohw;
    const int32_t* ap = argmax + p * ohw;
    float acc = 0.0f;
    for (int64_t oy = ry.lo; oy < ry.hi; ++oy) {
      for (int64_t ox = rx.lo; ox < rx.hi; ++ox) {
        const int64_t o = oy * g.ow + ox;
        if (ap[o] == q) acc += dyp[o];
      }
    }
    dx[i] = acc;
  }
}

// x (planes,H,W) -> y (planes,OH,OW): in-bounds window sum times 1/(k*k) (count_include_pad).
__global__ void avgpool_forward_kernel(PoolGeom g, float inv_area, const float* __restrict__ x,
                                       float* __restrict__ y) {
  const int64_t ohw = g.oh * g.ow, total = g.planes * ohw;
  for (int64_t o = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; o < total;
       o += int64_t(blockDim.x) * gridDim.x) {
    const int64_t p = o / ohw, q = o - p * ohw, oy = q / g.ow, ox = q - oy * g.ow;
    int64_t ylo, yhi, xlo, xhi;
    window_span(oy, g.stride, g.pad, g.k, g.h, ylo, yhi);
    window_span(ox, g.stride, g.pad, g.k, g.w, xlo, xhi);
    const float* xp = x + p * g.h * g.w;
    float sum = 0.0f;
    for (int64_t iy = ylo; iy < yhi; ++iy)
      for (int64_t ix = xlo; ix < xhi; ++ix) sum += xp[iy * g.w + ix];
    y[o] = sum * inv_area;
  }
}

// dy (planes,OH,OW) -> dx (planes,H,W), OVERWRITTEN: sum of dy/(k*k) over the covering windows.
__global__ void avgpool_backward_kernel(PoolGeom g, float inv_area, const float* __restrict__ dy,
                                        float* __restrict__ dx) {
  const int64_t hw = g.h * g.w, ohw = g.oh * g.ow, total = g.planes * hw;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t p = i / hw, q = i - p * hw, iy = q / g.w, ix = q - iy * g.w;
    const OutRange ry = covering_outputs(iy, g.k, g.stride, g.pad, g.oh);
    const OutRange rx = covering_outputs(ix, g.k, g.stride, g.pad, g.ow);
    const float* dyp = dy + p * ohw;
    float acc = 0.0f;
    for (int64_t oy = ry.lo; oy < ry.hi; ++oy)
      for (int64_t ox = rx.lo; ox < rx.hi; ++ox) acc += dyp[oy * g.ow + ox] * inv_area;
    dx[i] = acc;
  }
}

float inverse_area(const Pool2dShape& s) { return 1.0f / static_cast<float>(s.k * s.k); }

}  // namespace

// x (N,C,H,W) -> y (N,C,OH,OW), argmax (N,C,OH,OW). Both OVERWRITTEN.
void maxpool2d_forward(Context& ctx, const Pool2dShape& s, const float* x, float* y,
                       int32_t* argmax) {
  s.validate();
  GD_CHECK(x && y && argmax, "cuda::maxpool2d_forward: null pointer argument");
  const PoolGeom g = geom(s);
  maxpool_forward_kernel<<<grid_blocks(g.planes * g.oh * g.ow), kBlock, 0,
                           ctx.stream>>>(g, x, y, argmax);
  GD_CUDA_LAUNCH("maxpool_forward_kernel");
}

// dy (N,C,OH,OW), argmax (N,C,OH,OW) -> dx (N,C,H,W), OVERWRITTEN (overlapping windows sum).
// Unlike the CPU reference, an out-of-range argmax entry is not reported (that would need a host
// synchronisation); it contributes to no input.
void maxpool2d_backward(Context& ctx, const Pool2dShape& s, const float* dy, const int32_t* argmax,
                        float* dx) {
  s.validate();
  GD_CHECK(dy && argmax && dx, "cuda::maxpool2d_backward: null pointer argument");
  const PoolGeom g = geom(s);
  maxpool_backward_kernel<<<grid_blocks(g.planes * g.h * g.w), kBlock, 0,
                            ctx.stream>>>(g, dy, argmax, dx);
  GD_CUDA_LAUNCH("maxpool_backward_kernel");
}

// x (N,C,H,W) -> y (N,C,OH,OW), OVERWRITTEN.
void avgpool2d_forward(Context& ctx, const Pool2dShape& s, const float* x, float* y) {
  s.validate();
  GD_CHECK(x && y, "cuda::avgpool2d_forward: null pointer argument");
  const PoolGeom g = geom(s);
  avgpool_forward_kernel<<<grid_blocks(g.planes * g.oh * g.ow), kBlock, 0,
                           ctx.stream>>>(g, inverse_area(s), x, y);
  GD_CUDA_LAUNCH("avgpool_forward_kernel");
}

// dy (N,C,OH,OW) -> dx (N,C,H,W), OVERWRITTEN (overlapping windows sum).
void avgpool2d_backward(Context& ctx, const Pool2dShape& s, const float* dy, float* dx) {
  s.validate();
  GD_CHECK(dy && dx, "cuda::avgpool2d_backward: null pointer argument");
  const PoolGeom g = geom(s);
  avgpool_backward_kernel<<<grid_blocks(g.planes * g.h * g.w), kBlock, 0,
                            ctx.stream>>>(g, inverse_area(s), dy, dx);
  GD_CUDA_LAUNCH("avgpool_backward_kernel");
}

}  // namespace gd::cuda
