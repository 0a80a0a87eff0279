#include "engine/image/digit_preprocess.h"

#include <algorithm>
#include <cmath>

#include "engine/core/error.h"
#include "engine/image/border_stats.h"
#include "engine/image/deslant.h"
#include "engine/image/ink_components.h"
#include "engine/image/resample.h"

namespace gd {
namespace {

// Box of the pixels >= threshold * peak (after a shear, which blurs edges slightly).
void ink_box(const FloatImage& img, float threshold, int& x0, int& y0, int& x1, int& y1) {
  float peak = 0.f;
  for (float v : img.pixels) peak = std::max(peak, v);
  x0 = img.width, y0 = img.height, x1 = 0, y1 = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      if (img.at(x, y) >= threshold * peak && img.at(x, y) > 0.f) {
        x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x + 1), y1 = std::max(y1, y + 1);
      }
  if (x1 <= x0) x0 = 0, y0 = 0, x1 = img.width, y1 = img.height;
}

void centre_of_mass(const GrayImage& img, double& cx, double& cy) {
  double m = 0, sx = 0, sy = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const double v = img.at(x, y);
      m += v, sx += v * x, sy += v * y;
    }
  cx = m > 0 ? sx / m : (img.width - 1) / 2.0;
  cy = m > 0 ? sy / m : (img.height - 1) / 2.0;
}

}  // namespace

DigitPreprocessOptions mnist_preprocess_options() { return DigitPreprocessOptions{}; }

DigitPreprocessOptions usps_preprocess_options() {
  DigitPreprocessOptions o;
  o.canvas = 16;
  o.box = 16;
  o.centering = Centering::BoundingBox;
  o.deslant = true;
  return o;
}

DigitPreprocessOptions preprocess_options_for_input(const Shape& in) {
  if (in.rank() != 3 || in[0] != 1 || in[1] != in[2] || in[1] < 1)
    throw ConfigError("digit preprocessing needs a one-channel square model input (1,S,S), the model expects " +
                      in.str());
  if (in[1] == 16) return usps_preprocess_options();
  DigitPreprocessOptions o;
  o.canvas = static_cast<int>(in[1]);
  o.box = std::max(1, static_cast<int>(std::lround(in[1] * 20.0 / 28.0)));
  return o;
}

void validate(const DigitPreprocessOptions& o) {
  GD_CHECK_T(o.canvas >= 1 && o.canvas <= 4096, ConfigError, "preprocessing: canvas " << o.canvas << " is outside 1..4096");
  GD_CHECK_T(o.box >= 1 && o.box <= o.canvas, ConfigError,
             "preprocessing: box " << o.box << " must be in 1..canvas (" << o.canvas << ")");
  GD_CHECK_T(o.ink_threshold > 0 && o.ink_threshold < 1, ConfigError,
             "preprocessing: ink_threshold " << o.ink_threshold << " must be in (0, 1)");
  GD_CHECK_T(o.min_component_fraction >= 0 && o.min_component_fraction < 1, ConfigError,
             "preprocessing: min_component_fraction " << o.min_component_fraction << " must be in [0, 1)");
}

std::string describe(const DigitPreprocessOptions& o) {
  const bool usps = o.canvas == 16 && o.box == 16 && o.centering == Centering::BoundingBox;
  std::string s = usps ? "USPS-style: " : "MNIST-style: ";
  s += "ink box " + std::to_string(o.box) + " px, ";
  if (o.centering == Centering::CenterOfMass)
    s += "centre of mass at (" + std::to_string(o.canvas / 2) + "," + std::to_string(o.canvas / 2) + ")";
  else
    s += "box centred";
  s += " in " + std::to_string(o.canvas) + "x" + std::to_string(o.canvas);
  if (o.deslant) s += ", deslanted";
  if (o.polarity == Polarity::DarkOnLight) s += ", input taken as dark-on-light";
  if (o.polarity == Polarity::LightOnDark) s += ", input taken as light-on-dark";
  return s;
}

PreprocessResult preprocess_digit(const GrayImage16& src, const DigitPreprocessOptions& o) {
  validate(o);
  GD_CHECK_SHAPE(!src.empty(), "preprocess_digit: empty image");
  PreprocessResult r;
  const BorderStats border = border_statistics(src);
  InkMap ink = extract_ink(src, border, o.polarity);
  r.inverted = ink.inverted;
  r.background = border.background / 65535.0;
  r.noise = border.noise / 65535.0;

  const InkRegion region = find_ink_region(ink.ink, static_cast<float>(o.ink_threshold), o.min_component_fraction);
  r.box_x = region.x0, r.box_y = region.y0, r.box_w = region.width(), r.box_h = region.height();
  r.dropped_specks = region.dropped_specks;
  r.dropped_frame = region.dropped_frame;
  FloatImage digit = crop(ink.ink, region.x0, region.y0, region.width(), region.height());
  ink.ink = FloatImage();  // release the full-size map

  if (o.deslant) {
    r.slant = ink_slant(digit);
    if (std::fabs(r.slant) > 1e-3) {
      const FloatImage sheared = shear_rows(digit, r.slant);
      int x0, y0, x1, y1;
      ink_box(sheared, static_cast<float>(o.ink_threshold), x0, y0, x1, y1);
      digit = crop(sheared, x0, y0, x1 - x0, y1 - y0);
    } else {
      r.slant = 0.0;
    }
  }

  const double scale = static_cast<double>(o.box) / std::max(digit.width, digit.height);
  r.scaled_w = std::clamp(static_cast<int>(std::lround(digit.width * scale)), 1, o.box);
  r.scaled_h = std::clamp(static_cast<int>(std::lround(digit.height * scale)), 1, o.box);
  FloatImage small = resize_area(digit, r.scaled_w, r.scaled_h);
  float peak = 0.f;
  for (float v : small.pixels) peak = std::max(peak, v);
  GD_CHECK_T(peak > 0.f, DataError, "no ink found: the digit vanished when scaled to " << o.box << " px");

  GrayImage box(r.scaled_w, r.scaled_h);
  for (size_t i = 0; i < small.pixels.size(); ++i)
    box.pixels[i] = static_cast<uint8_t>(std::lround(std::clamp(small.pixels[i] / peak, 0.f, 1.f) * 255.f));

  int ox, oy;
  if (o.centering == Centering::CenterOfMass) {
    double cx, cy;
    centre_of_mass(box, cx, cy);
    const double target = o.canvas / 2;
    ox = std::clamp(static_cast<int>(std::lround(target - cx)), 0, o.canvas - r.scaled_w);
    oy = std::clamp(static_cast<int>(std::lround(target - cy)), 0, o.canvas - r.scaled_h);
  } else {
    ox = (o.canvas - r.scaled_w) / 2;
    oy = (o.canvas - r.scaled_h) / 2;
  }
  r.image = GrayImage(o.canvas, o.canvas, 0);
  for (int y = 0; y < r.scaled_h; ++y)
    for (int x = 0; x < r.scaled_w; ++x) r.image.at(ox + x, oy + y) = box.at(x, y);
  centre_of_mass(r.image, r.com_x, r.com_y);
  return r;
}

}  // namespace gd
