#include "engine/image/resample.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/core/error.h"

namespace gd {
namespace {

// Weights of output index j over a contiguous run of source indices [first, first + w.size()).
struct Taps {
  int first = 0;
  std::vector<float> w;
};

std::vector<Taps> axis_taps(int in, int out) {
  std::vector<Taps> taps(static_cast<size_t>(out));
  const double ratio = static_cast<double>(in) / out;
  for (int j = 0; j < out; ++j) {
    Taps& t = taps[static_cast<size_t>(j)];
    if (out <= in) {
      const double a = j * ratio, b = (j + 1) * ratio;
      const int i0 = static_cast<int>(std::floor(a));
      const int i1 = std::min(in, static_cast<int>(std::ceil(b)));
      t.first = i0;
      for (int i = i0; i < i1; ++i) {
        const double overlap = std::min<double>(i + 1, b) - std::max<double>(i, a);
        t.w.push_back(static_cast<float>(std::max(0.0, overlap) / ratio));
      }
    } else {
      const double c = (j + 0.5) * ratio - 0.5;
      const int i0 = static_cast<int>(std::floor(c));
      const double f = c - i0;
      const int lo = std::clamp(i0, 0, in - 1), hi = std::clamp(i0 + 1, 0, in - 1);
      if (lo == hi) {
        t.first = lo;
        t.w = {1.0f};
      } else {
        t.first = lo;
        t.w = {static_cast<float>(1.0 - f), static_cast<float>(f)};
      }
    }
  }
  return taps;
}

}  // namespace

FloatImage resize_area(const FloatImage& src, int out_w, int out_h) {
  GD_CHECK_SHAPE(!src.empty(), "resize_area: empty source image");
  GD_CHECK_SHAPE(out_w >= 1 && out_h >= 1, "resize_area: output size " << out_w << "x" << out_h);
  const std::vector<Taps> tx = axis_taps(src.width, out_w), ty = axis_taps(src.height, out_h);
  FloatImage rows(out_w, src.height);
  for (int y = 0; y < src.height; ++y) {
    const float* s = src.pixels.data() + static_cast<size_t>(y) * src.width;
    float* d = rows.pixels.data() + static_cast<size_t>(y) * out_w;
    for (int j = 0; j < out_w; ++j) {
      const Taps& t = tx[static_cast<size_t>(j)];
      float acc = 0.f;
      for (size_t k = 0; k < t.w.size(); ++k) acc += t.w[k] * s[t.first + static_cast<int>(k)];
      d[j] = acc;
    }
  }
  FloatImage out(out_w, out_h);
  for (int j = 0; j < out_h; ++j) {
    const Taps& t = ty[static_cast<size_t>(j)];
    float* d = out.pixels.data() + static_cast<size_t>(j) * out_w;
    for (size_t k = 0; k < t.w.size(); ++k) {
      const float w = t.w[k];
      const float* s = rows.pixels.data() + static_cast<size_t>(t.first + static_cast<int>(k)) * out_w;
      for (int x = 0; x < out_w; ++x) d[x] += w * s[x];
    }
  }
  return out;
}

FloatImage crop(const FloatImage& src, int x0, int y0, int w, int h) {
  GD_CHECK_SHAPE(w >= 1 && h >= 1 && x0 >= 0 && y0 >= 0 && x0 + w <= src.width && y0 + h <= src.height,
                 "crop: [" << x0 << ", " << x0 + w << ") x [" << y0 << ", " << y0 + h << ") is outside a "
                           << src.width << "x" << src.height << " image");
  FloatImage out(w, h);
  for (int y = 0; y < h; ++y)
    std::copy_n(src.pixels.begin() + static_cast<std::ptrdiff_t>(y0 + y) * src.width + x0, w,
                out.pixels.begin() + static_cast<std::ptrdiff_t>(y) * w);
  return out;
}

}  // namespace gd
