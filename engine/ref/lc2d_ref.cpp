// CPU reference (and production CPU path) for the locally connected 2-d layer, NCHW. Per output
// position p (P = OH*OW of them) one GEMM over the batch:
//   forward : Yp (N,F) = Xp (N,R) * Wp^T (R,F),   Xp = the patches of x at p, Wp = w[p] (F,R)
//   backward: dWp (F,R) = dYp^T (F,N) * Xp (N,R),  dXp (N,R) = dYp (N,F) * Wp (F,R)
// Positions run in an OpenMP loop (OpenBLAS is single-threaded inside it). Each position owns its
// own slice of the workspace, so nothing depends on the thread count. The overlapping dXp patches
// are summed into dx by a second pass over (n, c) input planes: each plane belongs to one
// iteration and its contributions are added in a fixed position order, so there are no races, no
// atomics and the result is deterministic.
//
// Workspace layout (Layout below; lc2d_workspace_elems is the single source of truth):
//   P blocks of N*R (+pad)   patches Xp (backward: overwritten by dXp once dWp is done)
//   P blocks of N*F (+pad)   Yp (forward) or dYp (backward)
// Position-major, so each GEMM operand is contiguous. Blocks are padded by 16 elements because
// the passes between these blocks and NCHW tensors step from block to block, and an unpadded N*F
// (2048 floats for lcnn layer 1) is a multiple of 4 KiB: every step would hit the same cache set.
#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <type_traits>

#include "engine/core/error.h"
#include "engine/ops/lc2d.h"
#include "engine/ref/blas_gemm.h"

namespace gd {

using ref::gemm;
using ref::kNoTrans;
using ref::kTrans;

namespace {

struct Layout {
  int64_t patch_stride, out_stride;  // elements between consecutive positions' blocks
  int64_t elems;                     // total workspace elements
  explicit Layout(const Lc2dShape& s) {
    constexpr int64_t kPad = 16;
    patch_stride = s.n * s.receptive() + kPad;
    out_stride = s.n * s.f + kPad;
    elems = s.positions() * (patch_stride + out_stride);
  }
};

std::string lc_shape_str(const Lc2dShape& s) {
  std::ostringstream os;
  os << "x (" << s.n << "," << s.c << "," << s.h << "," << s.w << ") f=" << s.f << " k=" << s.kh
     << "x" << s.kw << " stride=" << s.stride << " pad=" << s.pad;
  return os.str();
}

// Kernel columns [lo, hi) of a patch starting at input column x0 that fall inside [0, len).
struct Range {
  int64_t lo, hi;
};
Range inside(int64_t x0, int64_t k, int64_t len) {
  const int64_t lo = std::clamp<int64_t>(-x0, 0, k);
  return {lo, std::clamp<int64_t>(len - x0, lo, k)};
}

// The patch copies below move rows of KW elements. For the common widths the width is a template
// constant (Kw = 3 or 5), so rows that lie fully inside the image compile to unrolled copies;
// Kw = 0 reads s.kw at run time. dispatch_kw picks the instantiation.
template <typename F>
void dispatch_kw(int64_t kw, F&& f) {
  if (kw == 3) return f(std::integral_constant<int64_t, 3>{});
  if (kw == 5) return f(std::integral_constant<int64_t, 5>{});
  f(std::integral_constant<int64_t, 0>{});
}

// x (N,C,H,W) -> xp (N,R): the patch of every sample at output position (oy, ox), zero outside x.
template <int64_t Kw, typename T>
void gather_patches_kw(const Lc2dShape& s, const T* x, int64_t oy, int64_t ox, T* xp) {
  const int64_t kw = Kw ? Kw : s.kw, r_len = s.receptive();
  const int64_t y0 = oy * s.stride - s.pad, x0 = ox * s.stride - s.pad;
  const Range cols = inside(x0, kw, s.w);
  const bool full = cols.lo == 0 && cols.hi == kw;
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t c = 0; c < s.c; ++c) {
      const T* plane = x + (n * s.c + c) * s.h * s.w;
      for (int64_t i = 0; i < s.kh; ++i) {
        T* out = xp + n * r_len + (c * s.kh + i) * kw;
        const int64_t iy = y0 + i;
        if (iy < 0 || iy >= s.h) {
          std::fill(out, out + kw, T(0));
        } else if (full) {
          const T* in = plane + iy * s.w + x0;
          for (int64_t j = 0; j < kw; ++j) out[j] = in[j];
        } else {
          const T* in = plane + iy * s.w;  // in[x0 + j] is x[n, c, iy, x0 + j]
          std::fill(out, out + cols.lo, T(0));
          for (int64_t j = cols.lo; j < cols.hi; ++j) out[j] = in[x0 + j];
          std::fill(out + cols.hi, out + kw, T(0));
        }
      }
    }
  }
}
template <typename T>
void gather_patches(const Lc2dShape& s, const T* x, int64_t oy, int64_t ox, T* xp) {
  dispatch_kw(s.kw, [&](auto kw) { gather_patches_kw<decltype(kw)::value>(s, x, oy, ox, xp); });
}

// dxp: P blocks (stride L.patch_stride) of dXp (N,R) -> dx (N,C,H,W), OVERWRITTEN. One (n, c)
// input plane per iteration, contributions added in position order: race-free and deterministic.
template <int64_t Kw, typename T>
void sum_patch_grads_kw(const Lc2dShape& s, const Layout& L, const T* dxp, T* dx, bool par) {
  const int64_t kw = Kw ? Kw : s.kw, P = s.positions(), R = s.receptive(), ow = s.ow();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t nc = 0; nc < s.n * s.c; ++nc) {
    const int64_t n = nc / s.c, c = nc % s.c;
    T* plane = dx + nc * s.h * s.w;
    std::fill(plane, plane + s.h * s.w, T(0));
    for (int64_t p = 0; p < P; ++p) {
      const int64_t y0 = (p / ow) * s.stride - s.pad, x0 = (p % ow) * s.stride - s.pad;
      const Range cols = inside(x0, kw, s.w);
      const bool full = cols.lo == 0 && cols.hi == kw;
      const T* src = dxp + p * L.patch_stride + n * R + c * s.kh * kw;
      for (int64_t i = 0; i < s.kh; ++i) {
        const int64_t iy = y0 + i;
        if (iy < 0 || iy >= s.h) continue;
        const T* in = src + i * kw;
        if (full) {
          T* out = plane + iy * s.w + x0;
          for (int64_t j = 0; j < kw; ++j) out[j] += in[j];
        } else {
          T* out = plane + iy * s.w;  // out[x0 + j] is dx[n, c, iy, x0 + j]
          for (int64_t j = cols.lo; j < cols.hi; ++j) out[x0 + j] += in[j];
        }
      }
    }
  }
}
template <typename T>
void sum_patch_grads(const Lc2dShape& s, const Layout& L, const T* dxp, T* dx, bool par) {
  dispatch_kw(s.kw, [&](auto kw) { sum_patch_grads_kw<decltype(kw)::value>(s, L, dxp, dx, par); });
}

// Below this many multiply-adds a call runs on the calling thread: waking the OpenMP team would
// cost more than the work (gradient checks make thousands of tiny calls).
constexpr double kParallelMinMacs = 1 << 18;
bool worth_parallel(const Lc2dShape& s) {
  return double(s.n) * s.f * s.positions() * s.receptive() >= kParallelMinMacs;
}

}  // namespace

void Lc2dShape::validate() const {
  GD_CHECK_SHAPE(n >= 1 && c >= 1 && h >= 1 && w >= 1 && f >= 1,
                 "lc2d: every extent must be >= 1: " << lc_shape_str(*this));
  GD_CHECK_SHAPE(kh >= 1 && kw >= 1 && stride >= 1 && pad >= 0,
                 "lc2d: kernel and stride must be >= 1 and pad >= 0: " << lc_shape_str(*this));
  GD_CHECK_SHAPE(h + 2 * pad >= kh && w + 2 * pad >= kw,
                 "lc2d: kernel larger than the padded input: " << lc_shape_str(*this));
}

size_t lc2d_workspace_elems(const Lc2dShape& s) {
  s.validate();
  return static_cast<size_t>(Layout(s).elems);
}

// x (N,C,H,W), w (P,F,R), b (F,OH,OW) or nullptr -> y (N,F,OH,OW), overwritten.
template <typename T>
void lc2d_forward_ref(const Lc2dShape& s, const T* x, const T* w, const T* b, T* y, T* workspace) {
  s.validate();
  GD_CHECK(x && w && y && workspace, "lc2d_forward_ref: null x, w, y or workspace");
  const int64_t P = s.positions(), R = s.receptive(), ow = s.ow();
  const bool par = worth_parallel(s);
  const Layout L(s);
  T* patches = workspace;                    // P blocks of Xp (N,R)
  T* outs = workspace + P * L.patch_stride;  // P blocks of Yp (N,F)
#pragma omp parallel for schedule(static) if (par)
  for (int64_t p = 0; p < P; ++p) {
    T* xp = patches + p * L.patch_stride;
    gather_patches(s, x, p / ow, p % ow, xp);
    // Yp (N,F) = Xp (N,R) * w[p]^T (R,F)
    gemm<T>(kNoTrans, kTrans, s.n, s.f, R, T(1), xp, R, w + p * s.f * R, R, T(0),
            outs + p * L.out_stride, s.f);
  }
  // y[n,f,p] = Yp[n,f] (+ b[f,p]): contiguous writes along p.
#pragma omp parallel for schedule(static) if (par)
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t f = 0; f < s.f; ++f) {
      T* yrow = y + (n * s.f + f) * P;
      const T* src = outs + n * s.f + f;
      if (b) {
        const T* brow = b + f * P;
        for (int64_t p = 0; p < P; ++p) yrow[p] = src[p * L.out_stride] + brow[p];
      } else {
        for (int64_t p = 0; p < P; ++p) yrow[p] = src[p * L.out_stride];
      }
    }
  }
}

// dy (N,F,OH,OW) -> dw (P,F,R)   = dYp^T Xp per position                 OVERWRITES
//                   dx (N,C,H,W) = sum over positions of the dYp Wp patches  OVERWRITES, if dx
//                   db (F,OH,OW) = sum_n dy                                  OVERWRITES, if db
// (dx and db are skipped when null.)
template <typename T>
void lc2d_backward_ref(const Lc2dShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db,
                       T* workspace) {
  s.validate();
  GD_CHECK(x && w && dy && dw && workspace, "lc2d_backward_ref: null x, w, dy, dw or workspace");
  const int64_t P = s.positions(), R = s.receptive(), ow = s.ow(), FP = s.f * P;
  const bool par = worth_parallel(s);
  const Layout L(s);
  T* patches = workspace;                     // P blocks of Xp (N,R), then of dXp (N,R)
  T* grads = workspace + P * L.patch_stride;  // P blocks of dYp (N,F)
  // dYp[n,f] = dy[n,f,p]: contiguous reads along p.
#pragma omp parallel for schedule(static) if (par)
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t f = 0; f < s.f; ++f) {
      const T* src = dy + (n * s.f + f) * P;
      T* dst = grads + n * s.f + f;
      for (int64_t p = 0; p < P; ++p) dst[p * L.out_stride] = src[p];
    }
  }
  if (db) {
    std::fill(db, db + FP, T(0));
    for (int64_t n = 0; n < s.n; ++n) {
      const T* row = dy + n * FP;
      for (int64_t e = 0; e < FP; ++e) db[e] += row[e];
    }
  }
#pragma omp parallel for schedule(static) if (par)
  for (int64_t p = 0; p < P; ++p) {
    T* xp = patches + p * L.patch_stride;
    const T* gp = grads + p * L.out_stride;
    gather_patches(s, x, p / ow, p % ow, xp);
    // dWp (F,R) = dYp^T (F,N) * Xp (N,R)
    gemm<T>(kTrans, kNoTrans, s.f, R, s.n, T(1), gp, s.f, xp, R, T(0), dw + p * s.f * R, R);
    // dXp (N,R) = dYp (N,F) * Wp (F,R), written over the patches it no longer needs.
    if (dx) {
      gemm<T>(kNoTrans, kNoTrans, s.n, R, s.f, T(1), gp, s.f, w + p * s.f * R, R, T(0), xp, R);
    }
  }
  if (dx) sum_patch_grads(s, L, patches, dx, par);
}

template void lc2d_forward_ref<float>(const Lc2dShape&, const float*, const float*, const float*,
                                      float*, float*);
template void lc2d_forward_ref<double>(const Lc2dShape&, const double*, const double*,
                                       const double*, double*, double*);
template void lc2d_backward_ref<float>(const Lc2dShape&, const float*, const float*, const float*,
                                       float*, float*, float*, float*);
template void lc2d_backward_ref<double>(const Lc2dShape&, const double*, const double*,
                                        const double*, double*, double*, double*, double*);

}  // namespace gd
