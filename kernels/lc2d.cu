// Locally connected 2-d layer on the GPU (contract in engine/ops/lc2d.h). Like the CPU reference,
// one GEMM over the batch per output position p (P = OH*OW, R = C*KH*KW), here all P of them in one
// strided-batched cuBLAS call:
//   forward : Yp (N,F) = Xp (N,R) * Wp^T (R,F)
//   backward: dWp (F,R) = dYp^T (F,N) * Xp (N,R),   dXp (N,R) = dYp (N,F) * Wp (F,R)
// Around the GEMMs: a gather of the patches Xp, tiled transposes between the position-major GEMM
// layout (P, N*F) and NCHW (N*F, P) (the forward one adds the bias), and for dx a gather in which
// the thread owning one input pixel sums the dXp entries that read it, in ascending position order
// (window_gather.cuh): no atomics, deterministic. db is a column sum over n (bias.cuh).
// The GEMMs run in ctx.precision (gemm_rm.cuh, docs/precision.md); gathers, transposes and bias
// stay FP32.
//
// Workspace layout (lc2d_workspace_bytes is the single source of truth), in floats:
//   [0, patch_elems)                    patches (P, N, R): Xp, then dXp in backward
//   [outs_offset, outs_offset + P*N*F)  Yp (forward) or dYp (backward), (P, N, F)
// outs_offset is rounded up to 64 floats (256 bytes) to keep the second GEMM operand aligned.
#include <algorithm>
#include <cstdint>

#include "engine/core/error.h"
#include "kernels/bias.cuh"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_ops.h"
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

struct LcGeom {
  int64_t n, c, h, w, f, kh, kw, stride, pad, oh, ow, p, r;
};
LcGeom geom(const Lc2dShape& s) {
  return {s.n,      s.c,   s.h,    s.w,    s.f,           s.kh,         s.kw,
          s.stride, s.pad, s.oh(), s.ow(), s.positions(), s.receptive()};
}

struct Layout {
  int64_t patch_elems, outs_offset, outs_elems, total;
  explicit Layout(const Lc2dShape& s) {
    patch_elems = s.positions() * s.n * s.receptive();
    outs_offset = (patch_elems + 63) / 64 * 64;
    outs_elems = s.positions() * s.n * s.f;
    total = outs_offset + outs_elems;
  }
};

// x (N,C,H,W) -> patches (P,N,R): patches[p][n][r] = x[n, c, oy*stride-pad+i, ox*stride-pad+j],
// r = (c*KH + i)*KW + j, p = oy*OW + ox; zero outside the image.
__global__ void lc_gather_patches_kernel(LcGeom g, const float* __restrict__ x,
                                         float* __restrict__ patches) {
  const int64_t total = g.p * g.n * g.r, kk = g.kh * g.kw;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(blockDim.x) * gridDim.x) {
    const int64_t r = e % g.r, t = e / g.r, n = t % g.n, p = t / g.n;
    const int64_t oy = p / g.ow, ox = p - oy * g.ow;
    const int64_t c = r / kk, rem = r - c * kk, i = rem / g.kw, j = rem - i * g.kw;
    const int64_t iy = oy * g.stride - g.pad + i, ix = ox * g.stride - g.pad + j;
    const bool inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
    patches[e] = inside ? x[((n * g.c + c) * g.h + iy) * g.w + ix] : 0.0f;
  }
}

// Tiled transpose in (rows, cols) -> out (cols, rows). With kBias (forward: in = Yp as (P, N*F),
// out = y as (N*F, P)), out[col][row] also gets bias b[(col % f)*rows + row], b (F, P).
constexpr int kTile = 32, kTileRows = 8;
template <bool kBias>
__global__ void lc_transpose_kernel(int64_t rows, int64_t cols, const float* __restrict__ in,
                                    const float* __restrict__ bias, int64_t f,
                                    float* __restrict__ out) {
  // +1 column: the transposed (column) reads hit distinct shared-memory banks.
  __shared__ float tile[kTile][kTile + 1];
  const int64_t tiles_r = (rows + kTile - 1) / kTile, tiles_c = (cols + kTile - 1) / kTile;
  for (int64_t tr = blockIdx.y; tr < tiles_r; tr += gridDim.y) {
    for (int64_t tc = blockIdx.x; tc < tiles_c; tc += gridDim.x) {
      const int64_t r0 = tr * kTile, c0 = tc * kTile;
      for (int k = threadIdx.y; k < kTile; k += kTileRows) {
        const int64_t r = r0 + k, c = c0 + threadIdx.x;
        if (r < rows && c < cols) tile[k][threadIdx.x] = in[r * cols + c];
      }
      __syncthreads();
      for (int k = threadIdx.y; k < kTile; k += kTileRows) {
        const int64_t c = c0 + k, r = r0 + threadIdx.x;
        if (r < rows && c < cols) {
          float v = tile[threadIdx.x][k];
          if (kBias) v += bias[(c % f) * rows + r];
          out[c * rows + r] = v;
        }
      }
      __syncthreads();
    }
  }
}

template <bool kBias>
void launch_transpose(cudaStream_t stream, int64_t rows, int64_t cols, const float* in,
                      const float* bias, int64_t f, float* out) {
  const int64_t tiles_r = (rows + kTile - 1) / kTile, tiles_c = (cols + kTile - 1) / kTile;
  const dim3 grid(static_cast<unsigned>(std::min<int64_t>(tiles_c, 65535)),
                  static_cast<unsigned>(std::min<int64_t>(tiles_r, 65535)));
  lc_transpose_kernel<kBias>
      <<<grid, dim3(kTile, kTileRows), 0, stream>>>(rows, cols, in, bias, f, out);
  GD_CUDA_LAUNCH("lc_transpose_kernel");
}

// dpatches (P,N,R) -> dx (N,C,H,W), OVERWRITTEN: the thread owning dx[n,c,iy,ix] sums the entries
// of every patch that read that pixel, positions in ascending order.
__global__ void lc_patch_grads_to_dx_kernel(LcGeom g, const float* __restrict__ dpatches,
                                            float* __restrict__ dx) {
  const int64_t hw = g.h * g.w, total = g.n * g.c * hw;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(blockDim.x) * gridDim.x) {
    const int64_t nc = e / hw, q = e - nc * hw, n = nc / g.c, c = nc - n * g.c;
    const int64_t iy = q / g.w, ix = q - iy * g.w;
    const OutRange ry = covering_outputs(iy, g.kh, g.stride, g.pad, g.oh);
    const OutRange rx = covering_outputs(ix, g.kw, g.stride, g.pad, g.ow);
    float acc = 0.0f;
    for (int64_t oy = ry.lo; oy < ry.hi; ++oy) {
      const int64_t i = iy + g.pad - oy * g.stride;
      for (int64_t ox = rx.lo; ox < rx.hi; ++ox) {
        const int64_t j = ix + g.pad - ox * g.stride;
        const int64_t p = oy * g.ow + ox, r = (c * g.kh + i) * g.kw + j;
        acc += dpatches[(p * g.n + n) * g.r + r];
      }
    }
    dx[e] = acc;
  }
}

void gather_patches(Context& ctx, const LcGeom& g, const float* x, float* patches) {
  const unsigned blocks = grid_blocks(g.p * g.n * g.r);
  lc_gather_patches_kernel<<<blocks, kBlock, 0, ctx.stream>>>(g, x, patches);
  GD_CUDA_LAUNCH("lc_gather_patches_kernel");
}

}  // namespace

size_t lc2d_workspace_bytes(const Lc2dShape& s) {
  s.validate();
  return static_cast<size_t>(Layout(s).total) * sizeof(float);
}

// x (N,C,H,W), w (P,F,R), b (F,OH,OW) or nullptr (no bias), workspace (lc2d_workspace_bytes) ->
// y (N,F,OH,OW) OVERWRITTEN.
void lc2d_forward(Context& ctx, const Lc2dShape& s, const float* x, const float* w, const float* b,
                  float* y, void* workspace) {
  s.validate();
  GD_CHECK(x && w && y && workspace, "cuda::lc2d_forward: null x, w, y or workspace");
  detail::check_cublas_bound(ctx);
  const LcGeom g = geom(s);
  const Layout L(s);
  float* patches = static_cast<float*>(workspace);  // (P, N, R)
  float* outs = patches + L.outs_offset;            // (P, N, F)
  gather_patches(ctx, g, x, patches);
  // Yp (N,F) = Xp (N,R) * Wp^T (R,F) for every p.
  gemm_rm_batched(ctx, false, true, g.n, g.f, g.r, patches, g.r, g.n * g.r, w, g.r, g.f * g.r, 0.0f,
                  outs, g.f, g.n * g.f, g.p);
  // y (N*F, P) = outs (P, N*F)^T (+ b)
  if (b) {
    launch_transpose<true>(ctx.stream, g.p, g.n * g.f, outs, b, g.f, y);
  } else {
    launch_transpose<false>(ctx.stream, g.p, g.n * g.f, outs, nullptr, 1, y);
  }
}

// x (N,C,H,W), w (P,F,R), dy (N,F,OH,OW), workspace (lc2d_workspace_bytes) ->
//   dw (P,F,R)   OVERWRITES
//   dx (N,C,H,W) OVERWRITES; skipped when dx == nullptr
//   db (F,OH,OW) OVERWRITES; skipped when db == nullptr
void lc2d_backward(Context& ctx, const Lc2dShape& s, const float* x, const float* w,
                   const float* dy, float* dx, float* dw, float* db, void* workspace) {
  s.validate();
  GD_CHECK(x && w && dy && dw && workspace, "cuda::lc2d_backward: null x, w, dy, dw or workspace");
  detail::check_cublas_bound(ctx);
  const LcGeom g = geom(s);
  const Layout L(s);
  float* patches = static_cast<float*>(workspace);  // (P, N, R): Xp, then dXp
  float* grads = patches + L.outs_offset;           // (P, N, F): dYp
  // grads (P, N*F) = dy (N*F, P)^T
  launch_transpose<false>(ctx.stream, g.n * g.f, g.p, dy, nullptr, 1, grads);
  // db (F*P) = sum over n of dy (N, F*P)
  if (db) detail::channel_bias_grad(ctx.stream, g.n, g.f * g.p, 1, dy, db);
  gather_patches(ctx, g, x, patches);
  // dWp (F,R) = dYp^T (F,N) * Xp (N,R)
  gemm_rm_batched(ctx, true, false, g.f, g.r, g.n, grads, g.f, g.n * g.f, patches, g.r, g.n * g.r,
                  0.0f, dw, g.r, g.f * g.r, g.p);
  if (!dx) return;
  // dXp (N,R) = dYp (N,F) * Wp (F,R), over the patches (stream order: after the dW GEMM read them).
  gemm_rm_batched(ctx, false, false, g.n, g.r, g.f, grads, g.f, g.n * g.f, w, g.r, g.f * g.r, 0.0f,
                  patches, g.r, g.n * g.r, g.p);
  lc_patch_grads_to_dx_kernel<<<grid_blocks(g.n * g.c * g.h * g.w), kBlock, 0,
                                ctx.stream>>>(g, patches, dx);
  GD_CUDA_LAUNCH("lc_patch_grads_to_dx_kernel");
}

}  // namespace gd::cuda
