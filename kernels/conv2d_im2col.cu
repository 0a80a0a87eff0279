// 2-d convolution as im2col + cuBLAS: the implementation without cuDNN and the fallback for shapes
// cuDNN offers no admissible algorithm for (see conv2d_info.h). Same scheme as engine/ref/conv2d_ref.cpp, with the
// batch processed in chunks of `chunk` samples whose columns fit a bounded workspace
// (R = C*KH*KW, OHW = OH*OW):
//   cols (chunk, R, OHW) = im2col(x[n0 .. n0+chunk))
//   forward : y[n] (F,OHW) = w (F,R) * cols[n] (R,OHW)         one strided-batched GEMM, w shared
//   backward: part[n] (F,R) = dy[n] (F,OHW) * cols[n]^T (OHW,R)   then dw = sum of the partials
//             cols[n] (R,OHW) = w^T (R,F) * dy[n] (F,OHW)        then dx = col2im(cols)
// col2im is a gather (the thread owning one input pixel sums the column entries that read it) and
// the dw partials are summed in sample order: no atomics, deterministic. The GEMMs run in
// ctx.precision (gemm_rm.cuh, docs/precision.md); im2col, col2im and the partial sums stay FP32.
//
// Workspace layout: Im2colLayout (kernels/conv2d_plan_policy.h), whose size
// conv2d_im2col_workspace_bytes returns.
#include <algorithm>
#include <cstdint>

#include "engine/core/error.h"
#include "kernels/bias.cuh"
#include "kernels/conv2d_info.h"
#include "kernels/conv2d_plan_policy.h"
#include "kernels/cuda_check.cuh"
#include "kernels/gemm_rm.cuh"
#include "kernels/elementwise_grid.cuh"
#include "kernels/window_gather.cuh"

namespace gd::cuda {

namespace {

using detail::covering_outputs;
using detail::gemm_rm_batched;
using ew::grid_blocks;
using ew::kBlock;
using detail::OutRange;

struct ConvGeom {
  int64_t c, h, w, f, kh, kw, stride, pad, oh, ow, r, ohw;
};
ConvGeom geom(const Conv2dShape& s) {
  return {s.c,
          s.h,
          s.w,
          s.f,
          s.kh,
          s.kw,
          s.stride,
          s.pad,
          s.oh(),
          s.ow(),
          s.c * s.kh * s.kw,
          s.oh() * s.ow()};
}

using Layout = Im2colLayout;

// x (nb,C,H,W) -> cols (nb, R, OHW): cols[n][(c*KH+i)*KW+j][oy*OW+ox] =
// x[n,c,oy*s-pad+i,ox*s-pad+j], zero outside the image.
__global__ void im2col_kernel(ConvGeom g, int64_t nb, const float* __restrict__ x,
                              float* __restrict__ cols) {
  const int64_t total = nb * g.r * g.ohw, kk = g.kh * g.kw;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(blockDim.x) * gridDim.x) {
    const int64_t q = e % g.ohw, t = e / g.ohw, r = t % g.r, n = t / g.r;
    const int64_t oy = q / g.ow, ox = q - oy * g.ow;
    const int64_t c = r / kk, rem = r - c * kk, i = rem / g.kw, j = rem - i * g.kw;
    const int64_t iy = oy * g.stride - g.pad + i, ix = ox * g.stride - g.pad + j;
    const bool inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
    cols[e] = inside ? x[((n * g.c + c) * g.h + iy) * g.w + ix] : 0.0f;
  }
}

// cols (nb, R, OHW) -> dx (nb,C,H,W), OVERWRITTEN: the thread owning dx[n,c,iy,ix] sums every
// column entry im2col read from that pixel, output positions in ascending order.
__global__ void col2im_gather_kernel(ConvGeom g, int64_t nb, const float* __restrict__ cols,
                                     float* __restrict__ dx) {
  const int64_t hw = g.h * g.w, total = nb * g.c * hw;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(blockDim.x) * gridDim.x) {
    const int64_t nc = e / hw, q = e - nc * hw, n = nc / g.c, c = nc - n * g.c;
    const int64_t iy = q / g.w, ix = q - iy * g.w;
    const OutRange ry = covering_outputs(iy, g.kh, g.stride, g.pad, g.oh);
    const OutRange rx = covering_outputs(ix, g.kw, g.stride, g.pad, g.ow);
    const float* cn = cols + n * g.r * g.ohw;
    float acc = 0.0f;
    for (int64_t oy = ry.lo; oy < ry.hi; ++oy) {
      const int64_t i = iy + g.pad - oy * g.stride;
      for (int64_t ox = rx.lo; ox < rx.hi; ++ox) {
        const int64_t j = ix + g.pad - ox * g.stride;
        acc += cn[((c * g.kh + i) * g.kw + j) * g.ohw + oy * g.ow + ox];
      }
    }
    dx[e] = acc;
  }
}

// part (nb, E) -> dw (E): dw = (accumulate ? dw : 0) + sum_j part[j], j ascending.
__global__ void sum_partials_kernel(int64_t elems, int64_t nb, bool accumulate,
                                    const float* __restrict__ part, float* __restrict__ dw) {
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < elems;
       e += int64_t(blockDim.x) * gridDim.x) {
    float acc = accumulate ? dw[e] : 0.0f;
    for (int64_t j = 0; j < nb; ++j) acc += part[j * elems + e];
    dw[e] = acc;
  }
}

void im2col(Context& ctx, const ConvGeom& g, int64_t nb, const float* x, float* cols) {
  const unsigned blocks = grid_blocks(nb * g.r * g.ohw);
  im2col_kernel<<<blocks, kBlock, 0, ctx.stream>>>(g, nb, x, cols);
  GD_CUDA_LAUNCH("im2col_kernel");
}

}  // namespace

size_t conv2d_im2col_workspace_bytes(const Conv2dShape& s, int64_t max_chunk) {
  s.validate();
  return Layout(s, max_chunk).bytes();
}

// x (N,C,H,W), w (F,C,KH,KW), b (F) or nullptr (no bias) -> y (N,F,OH,OW), OVERWRITTEN.
void conv2d_im2col_forward(Context& ctx, const Conv2dShape& s, const float* x, const float* w,
                           const float* b, float* y, void* workspace, int64_t max_chunk) {
  s.validate();
  GD_CHECK(x && w && y && workspace, "cuda::conv2d_im2col_forward: null x, w, y or workspace");
  detail::check_cublas_bound(ctx);
  const ConvGeom g = geom(s);
  const Layout L(s, max_chunk);
  float* cols = static_cast<float*>(workspace);
  const int64_t x_elems = g.c * g.h * g.w;
  for (int64_t n0 = 0; n0 < s.n; n0 += L.chunk) {
    const int64_t nb = std::min(L.chunk, s.n - n0);
    im2col(ctx, g, nb, x + n0 * x_elems, cols);
    // y[n] (F,OHW) = w (F,R) * cols[n] (R,OHW)
    gemm_rm_batched(ctx, false, false, g.f, g.ohw, g.r, w, g.r, 0, cols, g.ohw, g.r * g.ohw, 0.0f,
                    y + n0 * g.f * g.ohw, g.ohw, g.f * g.ohw, nb);
  }
  if (b) detail::add_channel_bias(ctx.stream, s.n, g.f, g.ohw, b, y);
}

// dy (N,F,OH,OW) -> dw (F,C,KH,KW) OVERWRITTEN; dx (N,C,H,W), db (F) OVERWRITTEN unless nullptr.
void conv2d_im2col_backward(Context& ctx, const Conv2dShape& s, const float* x, const float* w,
                            const float* dy, float* dx, float* dw, float* db, void* workspace,
                            int64_t max_chunk) {
  s.validate();
  GD_CHECK(x && w && dy && dw && workspace,
           "cuda::conv2d_im2col_backward: null x, w, dy, dw or workspace");
  detail::check_cublas_bound(ctx);
  const ConvGeom g = geom(s);
  const Layout L(s, max_chunk);
  float* cols = static_cast<float*>(workspace);
  float* part = cols + L.part_offset;
  const int64_t x_elems = g.c * g.h * g.w, y_elems = g.f * g.ohw, w_elems = g.f * g.r;
  for (int64_t n0 = 0; n0 < s.n; n0 += L.chunk) {
    const int64_t nb = std::min(L.chunk, s.n - n0);
    const float* dyc = dy + n0 * y_elems;
    im2col(ctx, g, nb, x + n0 * x_elems, cols);
    // part[n] (F,R) = dy[n] (F,OHW) * cols[n]^T (OHW,R)
    gemm_rm_batched(ctx, false, true, g.f, g.r, g.ohw, dyc, g.ohw, y_elems, cols, g.ohw,
                    g.r * g.ohw, 0.0f, part, g.r, w_elems, nb);
    sum_partials_kernel<<<grid_blocks(w_elems), kBlock, 0, ctx.stream>>>(
        w_elems, nb, n0 > 0, part, dw);
    GD_CUDA_LAUNCH("sum_partials_kernel");
    if (!dx) continue;
    // cols[n] (R,OHW) = w^T (R,F) * dy[n] (F,OHW), over the columns (stream order: after the dw
    // GEMM).
    gemm_rm_batched(ctx, true, false, g.r, g.ohw, g.f, w, g.r, 0, dyc, g.ohw, y_elems, 0.0f, cols,
                    g.ohw, g.r * g.ohw, nb);
    col2im_gather_kernel<<<grid_blocks(nb * x_elems), kBlock, 0, ctx.stream>>>(
        g, nb, cols, dx + n0 * x_elems);
    GD_CUDA_LAUNCH("col2im_gather_kernel");
  }
  if (db) detail::channel_bias_grad(ctx.stream, s.n, g.f, g.ohw, dy, db);
}

}  // namespace gd::cuda
