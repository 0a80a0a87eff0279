// The resampler and the deslant shear used by digit preprocessing: area averaging against block
// means computed independently, mean preservation for fractional ratios, linear enlargement,
// crop bounds, and a sheared bar whose slant is measured and removed.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/core/error.h"
#include "engine/image/deslant.h"
#include "engine/image/resample.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

FloatImage random_image(int w, int h, uint64_t seed) {
  FloatImage img(w, h);
  const std::vector<double> v = test::random_vector(static_cast<size_t>(w) * h, seed, 0.0, 1.0);
  for (size_t i = 0; i < v.size(); ++i) img.pixels[i] = static_cast<float>(v[i]);
  return img;
}

double mean(const FloatImage& img) {
  double s = 0;
  for (float v : img.pixels) s += v;
  return s / static_cast<double>(img.pixels.size());
}

TEST(Resample, IntegerShrinkIsTheBlockMean) {
  // 2000x1000 -> 20x10: every output is the mean of a 100x100 block (summed here in double).
  const FloatImage src = random_image(2000, 1000, 11);
  const FloatImage out = resize_area(src, 20, 10);
  ASSERT_EQ(out.width, 20);
  ASSERT_EQ(out.height, 10);
  for (int j = 0; j < 10; ++j)
    for (int i = 0; i < 20; ++i) {
      double s = 0;
      for (int y = j * 100; y < (j + 1) * 100; ++y)
        for (int x = i * 100; x < (i + 1) * 100; ++x) s += src.at(x, y);
      EXPECT_NEAR(out.at(i, j), s / 10000.0, 1e-4) << i << "," << j;
    }
}

TEST(Resample, FractionalShrinkWeighsPartlyCoveredPixels) {
  // 3 -> 2 in x: output 0 covers source [0, 1.5): (a + 0.5 b) / 1.5; output 1: (0.5 b + c) / 1.5.
  FloatImage src(3, 1);
  src.pixels = {0.9f, 0.3f, 0.6f};
  const FloatImage out = resize_area(src, 2, 1);
  EXPECT_NEAR(out.pixels[0], (0.9 + 0.15) / 1.5, 1e-6);
  EXPECT_NEAR(out.pixels[1], (0.15 + 0.6) / 1.5, 1e-6);
  // Area averaging keeps the image mean for any ratio.
  const FloatImage big = random_image(97, 61, 5);
  for (const auto& wh : {std::pair<int, int>{20, 13}, {7, 61}, {97, 3}, {1, 1}})
    EXPECT_NEAR(mean(resize_area(big, wh.first, wh.second)), mean(big), 1e-5) << wh.first << "x" << wh.second;
}

TEST(Resample, EnlargingInterpolatesBetweenPixelCentres) {
  FloatImage src(2, 1);
  src.pixels = {0.f, 1.f};
  const FloatImage out = resize_area(src, 4, 1);
  // Output centres map to source -0.25, 0.25, 0.75, 1.25; the ends are clamped to the edge pixels.
  const std::vector<float> want = {0.f, 0.25f, 0.75f, 1.f};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(out.pixels[static_cast<size_t>(i)], want[static_cast<size_t>(i)], 1e-6) << i;
  // One pixel grows into a uniform block (a 1-pixel digit).
  FloatImage dot(1, 1, 0.7f);
  const FloatImage block = resize_area(dot, 20, 20);
  for (float v : block.pixels) EXPECT_FLOAT_EQ(v, 0.7f);
  // Mixed: shrink one axis, enlarge the other; a constant stays constant.
  const FloatImage c = resize_area(FloatImage(50, 3, 0.25f), 10, 17);
  for (float v : c.pixels) EXPECT_NEAR(v, 0.25f, 1e-6);
}

TEST(Resample, CropAndBadSizes) {
  const FloatImage src = random_image(9, 7, 3);
  const FloatImage c = crop(src, 2, 3, 4, 2);
  ASSERT_EQ(c.width, 4);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 4; ++x) EXPECT_EQ(c.at(x, y), src.at(x + 2, y + 3));
  EXPECT_THROW(crop(src, 6, 0, 4, 1), ShapeError);
  EXPECT_THROW(crop(src, 0, 0, 0, 1), ShapeError);
  EXPECT_THROW(resize_area(src, 0, 3), ShapeError);
  EXPECT_THROW(resize_area(FloatImage(), 3, 3), ShapeError);
}

// A 3-px-wide bar, 60 rows tall, whose centre moves `slant` px right per row down.
FloatImage slanted_bar(double slant) {
  FloatImage img(80, 60);
  for (int y = 0; y < 60; ++y) {
    const double cx = 40 + slant * (y - 30);
    for (int x = 0; x < 80; ++x) {
      const double d = std::fabs(x - cx);
      img.at(x, y) = static_cast<float>(std::clamp(2.0 - d, 0.0, 1.0));  // 1 within 1 px, fading to 0 at 2 px
    }
  }
  return img;
}

double row_centroid(const FloatImage& img, int y) {
  double m = 0, s = 0;
  for (int x = 0; x < img.width; ++x) m += img.at(x, y), s += img.at(x, y) * x;
  return s / m;
}

TEST(Deslant, MeasuresAndRemovesTheSlant) {
  for (const double slant : {-0.4, -0.1, 0.25}) {
    const FloatImage bar = slanted_bar(slant);
    EXPECT_NEAR(ink_slant(bar), slant, 0.01) << slant;
    const FloatImage upright = shear_rows(bar, ink_slant(bar));
    EXPECT_EQ(upright.height, 60);
    EXPECT_GE(upright.width, 80 + static_cast<int>(std::fabs(slant) * 59));
    const double top = row_centroid(upright, 2), bottom = row_centroid(upright, 57);
    EXPECT_NEAR(top, bottom, 0.3) << slant;
    EXPECT_NEAR(ink_slant(upright), 0.0, 0.01) << slant;
  }
  EXPECT_EQ(ink_slant(FloatImage(5, 5, 0.f)), 0.0);   // no ink
  FloatImage row(9, 3, 0.f);
  for (int x = 0; x < 9; ++x) row.at(x, 1) = 1.f;
  EXPECT_EQ(ink_slant(row), 0.0);                      // a single ink row has no slant
}

}  // namespace
}  // namespace gd
