#include "engine/image/deslant.h"

#include <algorithm>
#include <cmath>

namespace gd {

double ink_slant(const FloatImage& ink) {
  double m = 0, sx = 0, sy = 0;
  for (int y = 0; y < ink.height; ++y)
    for (int x = 0; x < ink.width; ++x) {
      const double v = ink.at(x, y);
      m += v, sx += v * x, sy += v * y;
    }
  if (m <= 0) return 0.0;
  const double cx = sx / m, cy = sy / m;
  double mu11 = 0, mu02 = 0;
  for (int y = 0; y < ink.height; ++y)
    for (int x = 0; x < ink.width; ++x) {
      const double v = ink.at(x, y);
      mu11 += v * (x - cx) * (y - cy);
      mu02 += v * (y - cy) * (y - cy);
    }
  if (mu02 <= 1e-9 * m) return 0.0;
  return std::clamp(mu11 / mu02, -1.0, 1.0);
}

FloatImage shear_rows(const FloatImage& ink, double slant) {
  const int H = ink.height, W = ink.width;
  double cy = 0, m = 0;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) m += ink.at(x, y), cy += ink.at(x, y) * y;
  cy = m > 0 ? cy / m : (H - 1) / 2.0;
  const int extra = static_cast<int>(std::ceil(std::fabs(slant) * (H - 1))) + 1;
  FloatImage out(W + extra, H);
  // Shift of row y is -slant * (y - cy); offset makes the smallest shift land at >= 0.
  const double s_top = -slant * (0 - cy), s_bottom = -slant * ((H - 1) - cy);
  const double offset = -std::min(s_top, s_bottom);
  for (int y = 0; y < H; ++y) {
    const double shift = -slant * (y - cy) + offset;  // x' = x + shift
    for (int xo = 0; xo < out.width; ++xo) {
      const double xs = xo - shift;
      const int i0 = static_cast<int>(std::floor(xs));
      const double f = xs - i0;
      const float a = (i0 >= 0 && i0 < W) ? ink.at(i0, y) : 0.f;
      const float b = (i0 + 1 >= 0 && i0 + 1 < W) ? ink.at(i0 + 1, y) : 0.f;
      out.at(xo, y) = static_cast<float>((1.0 - f) * a + f * b);
    }
  }
  return out;
}

}  // namespace gd
