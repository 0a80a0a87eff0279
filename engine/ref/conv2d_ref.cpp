// CPU reference (and production CPU path) for 2-d convolution, NCHW: im2col + one CBLAS GEMM per
// sample. The batch is split into `slots` contiguous chunks run by an OpenMP loop; each slot owns a
// slice of the workspace (its im2col columns and its partial dw), and OpenBLAS runs single-threaded
// inside the parallel region. Slot s always gets the same samples, and the per-slot dw partials are
// summed in slot order, so results are deterministic for a given slot count.
//
// Workspace layout (conv2d_workspace_elems is the single source of truth):
//   [slots][C*KH*KW, OH*OW]   im2col columns (reused for the dx columns in backward)
//   [slots][F, C*KH*KW]       per-slot dw partial sums (backward only)
// slots = min(N, T0) where T0 is omp_get_max_threads() at the first use in the process, captured
// once: a later change of the OpenMP thread count can then never make a workspace sized earlier
// too small (it only changes how many threads share the fixed slots), and results stay
// reproducible within the process.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>

#include "engine/core/error.h"
#include "engine/ops/conv2d.h"
#include "engine/ref/blas_gemm.h"

namespace gd {

using ref::gemm;
using ref::kNoTrans;
using ref::kTrans;

namespace {

std::string conv_shape_str(const Conv2dShape& s) {
  std::ostringstream os;
  os << "x (" << s.n << "," << s.c << "," << s.h << "," << s.w << ") f=" << s.f << " k=" << s.kh
     << "x" << s.kw << " stride=" << s.stride << " pad=" << s.pad;
  return os.str();
}

int64_t conv_slots(const Conv2dShape& s) {
  static const int64_t max_slots = std::max(1, omp_get_max_threads());
  return std::min<int64_t>(s.n, max_slots);
}
int64_t col_rows(const Conv2dShape& s) { return s.c * s.kh * s.kw; }
int64_t col_elems(const Conv2dShape& s) { return col_rows(s) * s.oh() * s.ow(); }
// 1x1 kernel, stride 1, no padding: the columns are the input itself.
bool cols_are_input(const Conv2dShape& s) {
  return s.kh == 1 && s.kw == 1 && s.stride == 1 && s.pad == 0;
}

// Output columns [lo, hi) whose input column ox*stride - pad + j lies inside [0, len).
struct Range {
  int64_t lo, hi;
};
Range valid_outputs(int64_t j, int64_t stride, int64_t pad, int64_t len, int64_t out_len) {
  const int64_t first = pad - j;  // smallest o with o*stride >= pad - j
  int64_t lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  int64_t hi = (len - 1 + pad - j) < 0 ? 0 : (len - 1 + pad - j) / stride + 1;
  lo = std::min(lo, out_len);
  hi = std::clamp(hi, lo, out_len);
  return {lo, hi};
}

// x (C,H,W) of one sample -> cols (C*KH*KW, OH*OW), row r = (c*KH + i)*KW + j. Zero outside x.
template <typename T>
void im2col(const Conv2dShape& s, const T* x, T* cols) {
  const int64_t oh = s.oh(), ow = s.ow();
  for (int64_t c = 0; c < s.c; ++c) {
    for (int64_t i = 0; i < s.kh; ++i) {
      for (int64_t j = 0; j < s.kw; ++j) {
        T* row = cols + ((c * s.kh + i) * s.kw + j) * oh * ow;
        const Range r = valid_outputs(j, s.stride, s.pad, s.w, ow);
        for (int64_t oy = 0; oy < oh; ++oy) {
          T* out = row + oy * ow;
          const int64_t iy = oy * s.stride - s.pad + i;
          if (iy < 0 || iy >= s.h) {
            std::fill(out, out + ow, T(0));
            continue;
          }
          const T* in = x + (c * s.h + iy) * s.w;  // input row iy; ix = ox*stride - pad + j
          const int64_t shift = j - s.pad;
          std::fill(out, out + r.lo, T(0));
          if (s.stride == 1) {  // contiguous: vectorises
            for (int64_t ox = r.lo; ox < r.hi; ++ox) out[ox] = in[ox + shift];
          } else {
            for (int64_t ox = r.lo; ox < r.hi; ++ox) out[ox] = in[ox * s.stride + shift];
          }
          std::fill(out + r.hi, out + ow, T(0));
        }
      }
    }
  }
}

// cols (C*KH*KW, OH*OW) -> dx (C,H,W) of one sample: OVERWRITES dx with the sum of every column
// entry that im2col read from each input pixel.
template <typename T>
void col2im(const Conv2dShape& s, const T* cols, T* dx) {
  const int64_t oh = s.oh(), ow = s.ow();
  std::fill(dx, dx + s.c * s.h * s.w, T(0));
  for (int64_t c = 0; c < s.c; ++c) {
    for (int64_t i = 0; i < s.kh; ++i) {
      for (int64_t j = 0; j < s.kw; ++j) {
        const T* row = cols + ((c * s.kh + i) * s.kw + j) * oh * ow;
        const Range r = valid_outputs(j, s.stride, s.pad, s.w, ow);
        for (int64_t oy = 0; oy < oh; ++oy) {
          const int64_t iy = oy * s.stride - s.pad + i;
          if (iy < 0 || iy >= s.h) continue;
          const T* in = row + oy * ow;
          T* out = dx + (c * s.h + iy) * s.w;
          const int64_t shift = j - s.pad;
          if (s.stride == 1) {  // contiguous: vectorises
            for (int64_t ox = r.lo; ox < r.hi; ++ox) out[ox + shift] += in[ox];
          } else {
            for (int64_t ox = r.lo; ox < r.hi; ++ox) out[ox * s.stride + shift] += in[ox];
          }
        }
      }
    }
  }
}

// Below this many multiply-adds a call runs on the calling thread: waking the OpenMP team would
// cost more than the work (gradient checks make thousands of tiny calls).
constexpr double kParallelMinMacs = 1 << 18;
bool worth_parallel(const Conv2dShape& s) {
  return double(s.n) * s.f * s.oh() * s.ow() * s.c * s.kh * s.kw >= kParallelMinMacs;
}

}  // namespace

void Conv2dShape::validate() const {
  GD_CHECK_SHAPE(n >= 1 && c >= 1 && h >= 1 && w >= 1 && f >= 1,
                 "conv2d: every extent must be >= 1: " << conv_shape_str(*this));
  GD_CHECK_SHAPE(kh >= 1 && kw >= 1 && stride >= 1 && pad >= 0,
                 "conv2d: kernel and stride must be >= 1 and pad >= 0: " << conv_shape_str(*this));
  GD_CHECK_SHAPE(h + 2 * pad >= kh && w + 2 * pad >= kw,
                 "conv2d: kernel larger than the padded input: " << conv_shape_str(*this));
}

size_t conv2d_workspace_elems(const Conv2dShape& s) {
  s.validate();
  return static_cast<size_t>(conv_slots(s) * (col_elems(s) + s.f * col_rows(s)));
}

// x (N,C,H,W), w (F,C,KH,KW), b (F) or nullptr -> y (N,F,OH,OW), overwritten. Per sample:
//   y[n] (F, OH*OW) = w (F, C*KH*KW) * cols (C*KH*KW, OH*OW)   (+ b, one float add afterwards, so
//   that a fused epilogue, b == nullptr here then bias_activation_forward, rounds exactly the same)
template <typename T>
void conv2d_forward_ref(const Conv2dShape& s, const T* x, const T* w, const T* b, T* y,
                        T* workspace) {
  s.validate();
  GD_CHECK(x && w && y && workspace, "conv2d_forward_ref: null x, w, y or workspace");
  const int64_t slots = conv_slots(s), ohw = s.oh() * s.ow(), rows = col_rows(s);
  const bool par = worth_parallel(s);
  const int64_t x_elems = s.c * s.h * s.w;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t slot = 0; slot < slots; ++slot) {
    T* cols = workspace + slot * col_elems(s);
    for (int64_t n = slot * s.n / slots; n < (slot + 1) * s.n / slots; ++n) {
      const T* xn = x + n * x_elems;
      T* yn = y + n * s.f * ohw;
      if (!cols_are_input(s)) im2col(s, xn, cols);
      gemm<T>(kNoTrans, kNoTrans, s.f, ohw, rows, T(1), w, rows, cols_are_input(s) ? xn : cols, ohw,
              T(0), yn, ohw);
      if (!b) continue;
      for (int64_t f = 0; f < s.f; ++f) {
        T* row = yn + f * ohw;
        const T bf = b[f];
        for (int64_t p = 0; p < ohw; ++p) row[p] += bf;
      }
    }
  }
}

// dy (N,F,OH,OW) -> dw (F,C,KH,KW) = sum_n dy[n] (F,OH*OW) * cols[n]^T      OVERWRITES
//                   dx (N,C,H,W)   = col2im(w^T (C*KH*KW,F) * dy[n] (F,OH*OW)) OVERWRITES, if dx
//                   db (F)         = sum of dy over n, oy, ox                  OVERWRITES, if db
// (dx and db are skipped when null.)
template <typename T>
void conv2d_backward_ref(const Conv2dShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw,
                         T* db, T* workspace) {
  s.validate();
  GD_CHECK(x && w && dy && dw && workspace, "conv2d_backward_ref: null x, w, dy, dw or workspace");
  const int64_t slots = conv_slots(s), ohw = s.oh() * s.ow(), rows = col_rows(s);
  const bool par = worth_parallel(s);
  const int64_t x_elems = s.c * s.h * s.w, w_elems = s.f * rows;
  T* dw_partial = workspace + slots * col_elems(s);
#pragma omp parallel for schedule(static) if (par)
  for (int64_t slot = 0; slot < slots; ++slot) {
    T* cols = workspace + slot * col_elems(s);
    T* dwp = dw_partial + slot * w_elems;
    const int64_t begin = slot * s.n / slots, end = (slot + 1) * s.n / slots;
    for (int64_t n = begin; n < end; ++n) {
      const T* xn = x + n * x_elems;
      const T* dyn = dy + n * s.f * ohw;
      const T* cn = xn;
      if (!cols_are_input(s)) {
        im2col(s, xn, cols);
        cn = cols;
      }
      // dwp (F, rows) (+)= dy[n] (F, OHW) * cols^T (OHW, rows); the slot's first sample overwrites.
      gemm<T>(kNoTrans, kTrans, s.f, rows, ohw, T(1), dyn, ohw, cn, ohw, n == begin ? T(0) : T(1),
              dwp, rows);
      if (!dx) continue;
      T* dxn = dx + n * x_elems;
      if (cols_are_input(s)) {
        gemm<T>(kTrans, kNoTrans, rows, ohw, s.f, T(1), w, rows, dyn, ohw, T(0), dxn, ohw);
      } else {
        gemm<T>(kTrans, kNoTrans, rows, ohw, s.f, T(1), w, rows, dyn, ohw, T(0), cols, ohw);
        col2im(s, cols, dxn);
      }
    }
  }
  // Sum the slot partials in slot order (deterministic).
#pragma omp parallel for schedule(static) if (par)
  for (int64_t e = 0; e < w_elems; ++e) {
    T acc = dw_partial[e];
    for (int64_t slot = 1; slot < slots; ++slot) acc += dw_partial[slot * w_elems + e];
    dw[e] = acc;
  }
  if (db) {
#pragma omp parallel for schedule(static) if (par)
    for (int64_t f = 0; f < s.f; ++f) {
      T acc = 0;
      for (int64_t n = 0; n < s.n; ++n) {
        const T* row = dy + (n * s.f + f) * ohw;
        T part = 0;
#pragma omp simd reduction(+ : part)
        for (int64_t p = 0; p < ohw; ++p) part += row[p];
        acc += part;
      }
      db[f] = acc;
    }
  }
}

template void conv2d_forward_ref<float>(const Conv2dShape&, const float*, const float*,
                                        const float*, float*, float*);
template void conv2d_forward_ref<double>(const Conv2dShape&, const double*, const double*,
                                         const double*, double*, double*);
template void conv2d_backward_ref<float>(const Conv2dShape&, const float*, const float*,
                                         const float*, float*, float*, float*, float*);
template void conv2d_backward_ref<double>(const Conv2dShape&, const double*, const double*,
                                          const double*, double*, double*, double*, double*);

}  // namespace gd
