#include "engine/image/ink_map.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <vector>

#include "engine/core/error.h"

namespace gd {
namespace {

std::string level_text(double v16) {
  std::ostringstream os;
  os.precision(3);
  os << v16 / 65535.0;
  return os.str();
}

}  // namespace

InkMap extract_ink(const GrayImage16& img, const BorderStats& border, Polarity polarity) {
  InkMap m;
  const double B = border.background;
  m.threshold = std::max(4.0 * border.noise, 2.0 * 257.0);
  const double T = m.threshold;
  const size_t n = img.pixels.size();
  const uint16_t* px = img.pixels.data();

  double light = 0.0, dark = 0.0;
  int lo = 65535, hi = 0;
  for (size_t i = 0; i < n; ++i) {
    const double r = px[i] - B;
    if (r > T) light += r - T;
    else if (-r > T) dark += -r - T;
    lo = std::min<int>(lo, px[i]);
    hi = std::max<int>(hi, px[i]);
  }
  const double contrast = std::max(hi - B, B - lo);
  if (contrast <= T) {
    if (4.0 * border.noise <= 2.0 * 257.0)
      throw DataError("no ink found: the image is blank (every pixel is within " + level_text(contrast) +
                      " of the background " + level_text(B) + ")");
    throw DataError("no ink found: no pixel deviates from the background (" + level_text(B) +
                    ") by more than the noise floor " + level_text(T) + " (4 x the border's spread " +
                    level_text(border.noise) +
                    "); if the digit fills the image, leave a margin of plain background around it");
  }
  bool light_ink;
  switch (polarity) {
    case Polarity::LightOnDark: light_ink = true; break;
    case Polarity::DarkOnLight: light_ink = false; break;
    default: light_ink = light >= dark; break;
  }
  const double mass = light_ink ? light : dark;
  const char* side = light_ink ? "lighter" : "darker";
  if (mass <= 0.0)
    throw DataError(std::string("no ink found: no pixel is ") + side + " than the background (" + level_text(B) +
                    " of full scale) by more than the noise floor " + level_text(T) + " (polarity was forced)");
  m.inverted = !light_ink;

  // d = deviation beyond T on the ink side, as integers 0..65535 for an exact percentile.
  std::vector<uint64_t> hist(65536, 0);
  m.ink = FloatImage(img.width, img.height);
  std::vector<uint16_t> d(n);
  uint64_t positive = 0;
  int peak = 0;
  for (size_t i = 0; i < n; ++i) {
    const double r = light_ink ? px[i] - B : B - px[i];
    const long v = r > T ? std::lround(r - T) : 0;
    d[i] = static_cast<uint16_t>(std::min(65535L, v));
    if (d[i]) {
      ++hist[d[i]];
      ++positive;
      peak = std::max<int>(peak, d[i]);
    }
  }
  if (peak + T < 8.0 * border.noise)
    throw DataError("no ink found: nothing stands out from the background noise (largest " + std::string(side) +
                    " deviation " + level_text(peak + T) + ", noise " + level_text(border.noise) + " of full scale)");
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(0.95 * positive)));
  uint64_t acc = 0;
  int level = peak;
  for (int v = 1; v < 65536; ++v) {
    acc += hist[static_cast<size_t>(v)];
    if (acc >= rank) {
      level = v;
      break;
    }
  }
  m.level = level;
  const float inv = 1.0f / static_cast<float>(level);
  for (size_t i = 0; i < n; ++i) m.ink.pixels[i] = std::min(1.0f, d[i] * inv);
  return m;
}

}  // namespace gd
