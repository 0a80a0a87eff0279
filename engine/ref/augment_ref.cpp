#include <cmath>
#include <vector>

#include "engine/core/error.h"
#include "engine/ops/augment.h"

namespace gd {

void AugmentParams::validate() const {
  const auto ok = [](float v) { return std::isfinite(v) && v >= 0.f; };
  GD_CHECK_T(ok(max_shift) && ok(max_rotate_deg) && ok(max_scale) && ok(max_shear), ConfigError,
             "augmentation ranges must be finite and >= 0, got max_shift=" << max_shift
                 << " max_rotate_deg=" << max_rotate_deg << " max_scale=" << max_scale
                 << " max_shear=" << max_shear);
  GD_CHECK_T(max_scale < 1.f, ConfigError, "augmentation max_scale must be < 1 (scale 1-s must stay positive), got " << max_scale);
  GD_CHECK_T(std::isfinite(fill), ConfigError, "augmentation fill must be finite, got " << fill);
}

namespace {

template <typename T>
void check_buffers(int64_t n, int64_t c, int64_t h, int64_t w, const T* x, T* y) {
  GD_CHECK_SHAPE(n >= 0 && c > 0 && h > 0 && w > 0,
                 "augment: need n >= 0 and positive c, h, w; got (" << n << "," << c << "," << h << "," << w << ")");
  const int64_t count = n * c * h * w;
  GD_CHECK_SHAPE(count == 0 || (x != nullptr && y != nullptr), "augment: null buffer");
  GD_CHECK_SHAPE(count == 0 || y + count <= x || x + count <= y,
                 "augment: output must not overlap the input (the op reads neighbours of every pixel)");
}

}  // namespace

template <typename T>
void augment_transform_ref(const AugmentTransform* t, T fill, int64_t n, int64_t c, int64_t h,
                           int64_t w, const T* x, T* y) {
  check_buffers(n, c, h, w, x, y);
  const int64_t planes = n * c;
  const int64_t plane = h * w;
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const AugmentInverse m = augment_inverse(t[p / c], h, w);
    const T* src = x + p * plane;
    T* dst = y + p * plane;
    for (int64_t oy = 0; oy < h; ++oy) {
      for (int64_t ox = 0; ox < w; ++ox) dst[oy * w + ox] = augment_pixel(m, src, h, w, oy, ox, fill);
    }
  }
}

template <typename T>
void augment_affine_ref(const AugmentParams& p, int64_t n, int64_t c, int64_t h, int64_t w, const T* x,
                        T* y, const int32_t* sample_ids) {
  p.validate();
  check_buffers(n, c, h, w, x, y);
  std::vector<AugmentTransform> t(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) t[i] = augment_draw(p, sample_ids ? sample_ids[i] : static_cast<int32_t>(i));
  augment_transform_ref(t.data(), static_cast<T>(p.fill), n, c, h, w, x, y);
}

template void augment_transform_ref<float>(const AugmentTransform*, float, int64_t, int64_t, int64_t,
                                           int64_t, const float*, float*);
template void augment_transform_ref<double>(const AugmentTransform*, double, int64_t, int64_t, int64_t,
                                            int64_t, const double*, double*);
template void augment_affine_ref<float>(const AugmentParams&, int64_t, int64_t, int64_t, int64_t,
                                        const float*, float*, const int32_t*);
template void augment_affine_ref<double>(const AugmentParams&, int64_t, int64_t, int64_t, int64_t,
                                         const double*, double*, const int32_t*);

}  // namespace gd
