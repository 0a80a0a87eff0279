// CPU reference (and production CPU path) for max and average pooling, NCHW. One OpenMP task per
// (n, c) plane: planes are independent, so backward scatters need no atomics.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>

#include "engine/core/error.h"
#include "engine/ops/pool2d.h"

namespace gd {

namespace {

std::string pool_shape_str(const Pool2dShape& s) {
  std::ostringstream os;
  os << "x (" << s.n << "," << s.c << "," << s.h << "," << s.w << ") k=" << s.k
     << " stride=" << s.stride << " pad=" << s.pad;
  return os.str();
}

// The clamped input range [lo, hi) covered by output index o along an axis of length len.
struct Span {
  int64_t lo, hi;
};
inline Span window(int64_t o, int64_t stride, int64_t pad, int64_t k, int64_t len) {
  const int64_t start = o * stride - pad;
  return {std::max<int64_t>(start, 0), std::min<int64_t>(start + k, len)};
}

// Below this many input elements a parallel region costs more than the pooling itself.
constexpr int64_t kParallelMin = int64_t{1} << 14;

}  // namespace

void Pool2dShape::validate() const {
  GD_CHECK_SHAPE(n >= 1 && c >= 1 && h >= 1 && w >= 1,
                 "pool2d: every extent must be >= 1: " << pool_shape_str(*this));
  GD_CHECK_SHAPE(k >= 1 && stride >= 1, "pool2d: k and stride must be >= 1: " << pool_shape_str(*this));
  GD_CHECK_SHAPE(pad >= 0 && pad <= k / 2,
                 "pool2d: pad must be in [0, k/2] so no window is all padding: " << pool_shape_str(*this));
  GD_CHECK_SHAPE(h + 2 * pad >= k && w + 2 * pad >= k,
                 "pool2d: window larger than the padded input: " << pool_shape_str(*this));
  // argmax stores a flat in-plane index as int32.
  GD_CHECK_SHAPE(h * w <= std::numeric_limits<int32_t>::max(),
                 "pool2d: plane too large for int32 argmax: " << pool_shape_str(*this));
}

// One plane of the common k=2, stride=2, pad=0 case: every window is in bounds, and the four
// candidates are compared with selects in row-major order so the loop over ow vectorises.
//   xp (H,W) -> yp (OH,OW), ap (OH,OW)
template <typename T>
void maxpool_plane_2x2(int64_t W, int64_t OH, int64_t OW, const T* xp, T* yp, int32_t* ap) {
  for (int64_t oh = 0; oh < OH; ++oh) {
    const T* r0 = xp + 2 * oh * W;
    const T* r1 = r0 + W;
    const int32_t i0 = static_cast<int32_t>(2 * oh * W), i1 = static_cast<int32_t>((2 * oh + 1) * W);
    T* yr = yp + oh * OW;
    int32_t* ar = ap + oh * OW;
#pragma omp simd
    for (int64_t ow = 0; ow < OW; ++ow) {
      const int32_t c = static_cast<int32_t>(2 * ow);
      T best = r0[2 * ow];
      int32_t at = i0 + c;
      const T v01 = r0[2 * ow + 1], v10 = r1[2 * ow], v11 = r1[2 * ow + 1];
      const bool g01 = v01 > best;
      best = g01 ? v01 : best;
      at = g01 ? i0 + c + 1 : at;
      const bool g10 = v10 > best;
      best = g10 ? v10 : best;
      at = g10 ? i1 + c : at;
      const bool g11 = v11 > best;
      best = g11 ? v11 : best;
      at = g11 ? i1 + c + 1 : at;
      yr[ow] = best;
      ar[ow] = at;
    }
  }
}

// x (N,C,H,W) -> y (N,C,OH,OW), argmax (N,C,OH,OW) flat index h*W+w within the input plane.
// Ties go to the first element in row-major window order (strict >). The running max starts from
// the first real element of the window, so padding never wins and argmax is always a real index.
template <typename T>
void maxpool2d_forward_ref(const Pool2dShape& s, const T* x, T* y, int32_t* argmax) {
  s.validate();
  const int64_t H = s.h, W = s.w, OH = s.oh(), OW = s.ow();
  const int64_t planes = s.n * s.c;
  const bool fast_2x2 = s.k == 2 && s.stride == 2 && s.pad == 0;
#pragma omp parallel for schedule(static) if (planes * H * W >= kParallelMin)
  for (int64_t p = 0; p < planes; ++p) {
    const T* xp = x + p * H * W;
    T* yp = y + p * OH * OW;
    int32_t* ap = argmax + p * OH * OW;
    if (fast_2x2) {
      maxpool_plane_2x2(W, OH, OW, xp, yp, ap);
      continue;
    }
    for (int64_t oh = 0; oh < OH; ++oh) {
      const Span hs = window(oh, s.stride, s.pad, s.k, H);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const Span ws = window(ow, s.stride, s.pad, s.k, W);
        int64_t best_i = hs.lo * W + ws.lo;
        T best = xp[best_i];
        for (int64_t ih = hs.lo; ih < hs.hi; ++ih) {
          for (int64_t iw = ws.lo; iw < ws.hi; ++iw) {
            const T v = xp[ih * W + iw];
            if (v > best) {
              best = v;
              best_i = ih * W + iw;
            }
          }
        }
        yp[oh * OW + ow] = best;
        ap[oh * OW + ow] = static_cast<int32_t>(best_i);
      }
    }
  }
}

// dy (N,C,OH,OW), argmax (N,C,OH,OW) -> dx (N,C,H,W). OVERWRITES dx; where windows overlap the
// contributions sum. Throws ShapeError if an argmax entry lies outside its plane.
template <typename T>
void maxpool2d_backward_ref(const Pool2dShape& s, const T* dy, const int32_t* argmax, T* dx) {
  s.validate();
  const int64_t HW = s.h * s.w, OHW = s.oh() * s.ow();
  const int64_t planes = s.n * s.c;
  int64_t bad = -1;  // flat output index of an out-of-range argmax (exceptions cannot leave omp)
#pragma omp parallel for schedule(static) reduction(max : bad) if (planes * HW >= kParallelMin)
  for (int64_t p = 0; p < planes; ++p) {
    T* dxp = dx + p * HW;
    const T* dyp = dy + p * OHW;
    const int32_t* ap = argmax + p * OHW;
    std::fill(dxp, dxp + HW, T(0));
    for (int64_t o = 0; o < OHW; ++o) {
      const int32_t i = ap[o];
      if (i < 0 || i >= HW) {
        bad = std::max(bad, p * OHW + o);
        continue;
      }
      dxp[i] += dyp[o];
    }
  }
  GD_CHECK_SHAPE(bad < 0, "maxpool2d backward: argmax[" << bad << "] = " << argmax[bad]
                                                         << " is outside the input plane of "
                                                         << HW << " elements for "
                                                         << pool_shape_str(s));
}

// x (N,C,H,W) -> y (N,C,OH,OW): sum over the in-bounds part of the window divided by k*k
// (padding counts as zeros, count_include_pad=True).
template <typename T>
void avgpool2d_forward_ref(const Pool2dShape& s, const T* x, T* y) {
  s.validate();
  const int64_t H = s.h, W = s.w, OH = s.oh(), OW = s.ow();
  const int64_t planes = s.n * s.c;
  const T inv_area = T(1) / static_cast<T>(s.k * s.k);
#pragma omp parallel for schedule(static) if (planes * H * W >= kParallelMin)
  for (int64_t p = 0; p < planes; ++p) {
    const T* xp = x + p * H * W;
    T* yp = y + p * OH * OW;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const Span hs = window(oh, s.stride, s.pad, s.k, H);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const Span ws = window(ow, s.stride, s.pad, s.k, W);
        T sum = 0;
        for (int64_t ih = hs.lo; ih < hs.hi; ++ih)
          for (int64_t iw = ws.lo; iw < ws.hi; ++iw) sum += xp[ih * W + iw];
        yp[oh * OW + ow] = sum * inv_area;
      }
    }
  }
}

// dy (N,C,OH,OW) -> dx (N,C,H,W): each in-bounds input of a window receives dy/(k*k).
// OVERWRITES dx; overlapping windows sum.
template <typename T>
void avgpool2d_backward_ref(const Pool2dShape& s, const T* dy, T* dx) {
  s.validate();
  const int64_t H = s.h, W = s.w, OH = s.oh(), OW = s.ow();
  const int64_t planes = s.n * s.c;
  const T inv_area = T(1) / static_cast<T>(s.k * s.k);
#pragma omp parallel for schedule(static) if (planes * H * W >= kParallelMin)
  for (int64_t p = 0; p < planes; ++p) {
    T* dxp = dx + p * H * W;
    const T* dyp = dy + p * OH * OW;
    std::fill(dxp, dxp + H * W, T(0));
    for (int64_t oh = 0; oh < OH; ++oh) {
      const Span hs = window(oh, s.stride, s.pad, s.k, H);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const Span ws = window(ow, s.stride, s.pad, s.k, W);
        const T g = dyp[oh * OW + ow] * inv_area;
        for (int64_t ih = hs.lo; ih < hs.hi; ++ih)
          for (int64_t iw = ws.lo; iw < ws.hi; ++iw) dxp[ih * W + iw] += g;
      }
    }
  }
}

#define GD_INSTANTIATE_POOL2D(T)                                                                \
  template void maxpool2d_forward_ref<T>(const Pool2dShape&, const T*, T*, int32_t*);           \
  template void maxpool2d_backward_ref<T>(const Pool2dShape&, const T*, const int32_t*, T*);    \
  template void avgpool2d_forward_ref<T>(const Pool2dShape&, const T*, T*);                     \
  template void avgpool2d_backward_ref<T>(const Pool2dShape&, const T*, T*);
GD_INSTANTIATE_POOL2D(float)
GD_INSTANTIATE_POOL2D(double)
#undef GD_INSTANTIATE_POOL2D

}  // namespace gd
