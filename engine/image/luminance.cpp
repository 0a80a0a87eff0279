#include "engine/image/luminance.h"

#include <cmath>
#include <vector>

#include "engine/core/error.h"

namespace gd {
namespace {

// Luminance of pixel i in 0..65535 (float) for samples of maximum `maxv`.
template <typename T>
inline float luma(const T* p, int channels, float to16) {
  if (channels <= 2) return p[0] * to16;
  return (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) * to16;
}

template <typename T>
LuminanceResult convert(const T* s, int w, int h, int channels) {
  GD_CHECK_T(channels >= 1 && channels <= 4, ShapeError, "luminance: channels must be 1..4, got " << channels);
  constexpr float maxv = sizeof(T) == 1 ? 255.f : 65535.f;
  const float to16 = 65535.f / maxv;
  LuminanceResult r;
  r.image = GrayImage16(w, h);
  const size_t n = static_cast<size_t>(w) * h;
  uint16_t* out = r.image.pixels.data();
  const bool alpha = channels == 2 || channels == 4;
  if (!alpha) {
    for (size_t i = 0; i < n; ++i)
      out[i] = static_cast<uint16_t>(std::lround(std::fmin(65535.f, luma(s + i * channels, channels, to16))));
    return r;
  }

  // Pass 1: coverage, alpha-weighted mean and (when mostly opaque) weighted median luminance.
  const int a_at = channels - 1;
  double sum_a = 0.0, sum_ay = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const T* p = s + i * channels;
    const double a = p[a_at] / maxv;
    sum_a += a;
    sum_ay += a * luma(p, channels, to16);
  }
  double backdrop = 65535.0;
  if (sum_a > 0.0) {
    const double coverage = sum_a / static_cast<double>(n);
    if (coverage >= 0.5) {
      std::vector<double> hist(65536, 0.0);
      for (size_t i = 0; i < n; ++i) {
        const T* p = s + i * channels;
        const long y = std::lround(std::fmin(65535.f, luma(p, channels, to16)));
        hist[static_cast<size_t>(y)] += p[a_at] / maxv;
      }
      double acc = 0.0;
      for (size_t v = 0; v < hist.size(); ++v) {
        acc += hist[v];
        if (acc >= 0.5 * sum_a) {
          backdrop = static_cast<double>(v);
          break;
        }
      }
    } else {
      backdrop = sum_ay / sum_a < 32767.5 ? 65535.0 : 0.0;
    }
  }
  r.backdrop = backdrop / 65535.0;

  // Pass 2: composite.
  for (size_t i = 0; i < n; ++i) {
    const T* p = s + i * channels;
    const double a = p[a_at] / maxv;
    const double y = a * luma(p, channels, to16) + (1.0 - a) * backdrop;
    out[i] = static_cast<uint16_t>(std::lround(std::fmin(65535.0, std::fmax(0.0, y))));
  }
  return r;
}

}  // namespace

LuminanceResult luminance_from_samples(const uint8_t* samples, int w, int h, int channels) {
  return convert(samples, w, h, channels);
}

LuminanceResult luminance_from_samples(const uint16_t* samples, int w, int h, int channels) {
  return convert(samples, w, h, channels);
}

}  // namespace gd
