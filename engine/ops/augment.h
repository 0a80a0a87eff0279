#pragma once
// On-the-fly affine augmentation (shift, rotation, scale, shear) with bilinear resampling.
//   x (N,C,H,W) -> y (N,C,H,W)   (OVERWRITES y; y must not overlap x). No backward: it is applied
//   to network inputs only.
//
// Sample i's transform depends on (seed, stream, step, sample_ids[i]) and nothing else (not on
// its position in the batch): its random numbers are
//   u_k = philox_uniform(seed, stream, step, uint32(sample_id) * 8 + k),  k = 0..4
// (k = 5..7 reserved), each mapped to a symmetric draw r_k = 2 u_k - 1 in [-1, 1):
//   shift_x = r_0 * max_shift, shift_y = r_1 * max_shift          (pixels)
//   angle   = r_2 * max_rotate_deg * pi / 180                      (radians)
//   scale   = 1 + r_3 * max_scale
//   shear   = r_4 * max_shear                                      (x += shear * y)
// Forward map about the image centre c = ((W-1)/2, (H-1)/2), with A = Rot(angle) * scale * Shear:
//   out = A (in - c) + c + shift.
// Each output pixel is computed by the inverse map in = A^-1 (out - c - shift) + c and bilinear
// interpolation of the four neighbours of `in`; neighbours outside the image read `fill` (0 by
// default: the dark background when applied to raw or [0,1]-scaled pixels; pass -mean/std when
// applying after normalisation). With all ranges zero the map is exactly the identity and y == x
// bit for bit; an integer shift moves pixels exactly. The output is a convex combination of input
// values and `fill`.
//
// The per-sample helpers below are GD_HOST_DEVICE so the CUDA kernel evaluates the same formulas
// (sinf/cosf and FMA contraction may differ in the last ulp between host and device, so compare the
// two with a small tolerance).
#include <math.h>

#include <cstdint>

#include "engine/core/host_device.h"
#include "engine/core/philox.h"
#include "engine/ops/live_step.h"

namespace gd {

struct AugmentParams {
  float max_shift = 2.0f;       // pixels
  float max_rotate_deg = 10.f;  // degrees
  float max_scale = 0.1f;       // scale in [1-s, 1+s]; s in [0, 1)
  float max_shear = 0.0f;       // shear factor in [-s, s]
  uint64_t seed = 0;
  uint32_t stream = 0;
  uint64_t step = 0;
  const LiveStep* live = nullptr;  // backend memory; when set, its step is used instead of `step`
  float fill = 0.0f;            // value read outside the image
  // Throws ConfigError when a range is negative or not finite, or max_scale >= 1.
  void validate() const;
};

// One sample's transform (the identity by default).
struct AugmentTransform {
  float shift_x = 0.f, shift_y = 0.f;  // pixels
  float angle = 0.f;                   // radians
  float scale = 1.f;
  float shear = 0.f;
};

// The inverse map in = M (out - c - shift) + c as plain coefficients.
struct AugmentInverse {
  float m00, m01, m10, m11;
  float cx, cy;  // image centre
  float tx, ty;  // shift
};

GD_HOST_DEVICE inline float augment_symmetric(const AugmentParams& p, int32_t sample_id, uint32_t k) {
  const uint64_t element = static_cast<uint64_t>(static_cast<uint32_t>(sample_id)) * 8u + k;
  return 2.f * philox_uniform(p.seed, p.stream, resolve_step(p.live, p.step), element) - 1.f;
}

GD_HOST_DEVICE inline AugmentTransform augment_draw(const AugmentParams& p, int32_t sample_id) {
  AugmentTransform t;
  t.shift_x = augment_symmetric(p, sample_id, 0) * p.max_shift;
  t.shift_y = augment_symmetric(p, sample_id, 1) * p.max_shift;
  t.angle = augment_symmetric(p, sample_id, 2) * p.max_rotate_deg * 0.017453292519943295f;
  t.scale = 1.f + augment_symmetric(p, sample_id, 3) * p.max_scale;
  t.shear = augment_symmetric(p, sample_id, 4) * p.max_shear;
  return t;
}

// A^-1 = Shear^-1 * Rot(-angle) / scale
//      = (1/scale) [[cos + shear*sin, sin - shear*cos], [-sin, cos]].
GD_HOST_DEVICE inline AugmentInverse augment_inverse(const AugmentTransform& t, int64_t h, int64_t w) {
  const float c = cosf(t.angle), s = sinf(t.angle), inv = 1.f / t.scale;
  AugmentInverse m;
  m.m00 = (c + t.shear * s) * inv;
  m.m01 = (s - t.shear * c) * inv;
  m.m10 = -s * inv;
  m.m11 = c * inv;
  m.cx = 0.5f * static_cast<float>(w - 1);
  m.cy = 0.5f * static_cast<float>(h - 1);
  m.tx = t.shift_x;
  m.ty = t.shift_y;
  return m;
}

// Output pixel (oy, ox) of one (H,W) plane: bilinear read of `plane` at the inverse-mapped point.
template <typename T>
GD_HOST_DEVICE inline T augment_pixel(const AugmentInverse& m, const T* plane, int64_t h, int64_t w,
                                      int64_t oy, int64_t ox, T fill) {
  const float u = static_cast<float>(ox) - m.cx - m.tx;
  const float v = static_cast<float>(oy) - m.cy - m.ty;
  const float sx = m.m00 * u + m.m01 * v + m.cx;
  const float sy = m.m10 * u + m.m11 * v + m.cy;
  const float fx = floorf(sx), fy = floorf(sy);
  // Far outside (or NaN): every neighbour is fill. Also keeps the int conversion in range.
  if (!(fx >= -2.f && fx <= static_cast<float>(w) && fy >= -2.f && fy <= static_cast<float>(h))) return fill;
  const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
  const T ax = static_cast<T>(sx - fx), ay = static_cast<T>(sy - fy);
  const bool x0_in = x0 >= 0 && x0 < w, x1_in = x0 + 1 >= 0 && x0 + 1 < w;
  const bool y0_in = y0 >= 0 && y0 < h, y1_in = y0 + 1 >= 0 && y0 + 1 < h;
  const T p00 = (y0_in && x0_in) ? plane[y0 * w + x0] : fill;
  const T p01 = (y0_in && x1_in) ? plane[y0 * w + x0 + 1] : fill;
  const T p10 = (y1_in && x0_in) ? plane[(y0 + 1) * w + x0] : fill;
  const T p11 = (y1_in && x1_in) ? plane[(y0 + 1) * w + x0 + 1] : fill;
  const T one = static_cast<T>(1);
  return (one - ay) * ((one - ax) * p00 + ax * p01) + ay * ((one - ax) * p10 + ax * p11);
}

// Random transforms as documented above. sample_ids (N) may be null: ids 0..N-1 are used.
template <typename T>
void augment_affine_ref(const AugmentParams& p, int64_t n, int64_t c, int64_t h, int64_t w,
                        const T* x /* (N,C,H,W) */, T* y /* (N,C,H,W), OVERWRITES */,
                        const int32_t* sample_ids /* (N) */);

// Given transforms, one per sample (all channels of a sample share it).
template <typename T>
void augment_transform_ref(const AugmentTransform* t /* (N) */, T fill, int64_t n, int64_t c,
                           int64_t h, int64_t w, const T* x /* (N,C,H,W) */,
                           T* y /* (N,C,H,W), OVERWRITES */);

}  // namespace gd
