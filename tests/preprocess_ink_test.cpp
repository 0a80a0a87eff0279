// Background estimation from the border, polarity and ink extraction, and the ink components that
// make up the digit's box (specks and scan-frame lines ignored, tight crops kept).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/core/error.h"
#include "engine/image/border_stats.h"
#include "engine/image/ink_components.h"
#include "engine/image/ink_map.h"
#include "tests/support/expect_error.h"

namespace gd {
namespace {

using test::throws_with;

uint16_t level(double v) { return static_cast<uint16_t>(std::lround(v * 65535)); }

void fill_rect(GrayImage16& img, int x0, int y0, int x1, int y1, double v) {
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) img.at(x, y) = level(v);
}

void add_noise(GrayImage16& img, double sigma, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n(0.0, sigma);
  for (uint16_t& p : img.pixels) p = level(std::clamp(p / 65535.0 + n(rng), 0.0, 1.0));
}

TEST(BorderStats, MedianAndNoiseOfTheBand) {
  GrayImage16 img(100, 80, level(0.8));
  fill_rect(img, 0, 0, 100, 2, 0.0);  // a dark scan edge: 2 of the 3-px band on top, a minority
  fill_rect(img, 30, 20, 70, 60, 0.1);  // the digit, inside
  const BorderStats s = border_statistics(img);
  EXPECT_EQ(s.band, 3);  // min(100, 80) / 25
  EXPECT_EQ(s.background, level(0.8));
  EXPECT_EQ(s.noise, 0.0);

  GrayImage16 noisy(200, 200, level(0.5));
  add_noise(noisy, 0.05, 1);
  const BorderStats n = border_statistics(noisy);
  EXPECT_NEAR(n.background / 65535.0, 0.5, 0.005);
  EXPECT_NEAR(n.noise / 65535.0, 0.05, 0.005);
  EXPECT_EQ(border_statistics(GrayImage16(10, 30)).band, 1);
}

TEST(BorderStats, ADigitFillingTheFrameFallsBackToTheWholeImage) {
  // 16x16, USPS-like: anti-aliased strokes 2 px wide run along all four edges (grey levels varying
  // from 100 to 255), the inside is background. The band is all stroke, so its median would be ink.
  GrayImage16 img(16, 16, 0);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x)
      if (std::max(std::fabs(x - 7.5), std::fabs(y - 7.5)) > 5.5) img.at(x, y) = static_cast<uint16_t>((100 + (x * 7 + y * 13) % 156) * 257);
  const BorderStats s = border_statistics(img);
  EXPECT_TRUE(s.from_whole_image);
  EXPECT_EQ(s.background, 0.0);
  const InkMap m = extract_ink(img, s, Polarity::Auto);
  EXPECT_FALSE(m.inverted);
  EXPECT_GT(m.ink.at(0, 0), 0.3f);
  EXPECT_EQ(m.ink.at(8, 8), 0.f);
  // Grain on plain paper never takes the fallback, however noisy.
  GrayImage16 paper(64, 64, level(0.6));
  fill_rect(paper, 20, 20, 40, 44, 0.1);
  add_noise(paper, 0.06, 9);
  EXPECT_FALSE(border_statistics(paper).from_whole_image);
}

TEST(InkMap, PolarityIsDecidedByTheInkNotTheAverage) {
  // Dark ink on light paper, light ink on dark board, at low contrast and with a mid-grey ground.
  struct Case { double bg, ink; bool inverted; };
  for (const Case c : {Case{0.9, 0.1, true}, Case{0.1, 0.9, false}, Case{0.55, 0.45, true}, Case{0.5, 0.7, false}}) {
    GrayImage16 img(60, 60, level(c.bg));
    fill_rect(img, 20, 10, 40, 50, c.ink);
    const InkMap m = extract_ink(img, border_statistics(img), Polarity::Auto);
    EXPECT_EQ(m.inverted, c.inverted) << c.bg << " " << c.ink;
    EXPECT_FLOAT_EQ(m.ink.at(30, 30), 1.f);
    EXPECT_FLOAT_EQ(m.ink.at(5, 5), 0.f);
  }
}

TEST(InkMap, GreyLevelsBetweenInkAndPaperStayProportional) {
  GrayImage16 img(50, 50, level(1.0));
  fill_rect(img, 10, 10, 30, 30, 0.0);  // full ink
  fill_rect(img, 30, 10, 31, 30, 0.5);  // a half-covered edge column
  const InkMap m = extract_ink(img, border_statistics(img), Polarity::Auto);
  EXPECT_TRUE(m.inverted);
  // ink = (deviation - T) / level, with level = full contrast - T and T = 2/255.
  const double T = 2.0 / 255;
  EXPECT_NEAR(m.ink.at(30, 20), (0.5 - T) / (1.0 - T), 1e-3);
}

TEST(InkMap, OnePixelDigitIsFound) {
  GrayImage16 img(30, 30, level(1.0));
  img.at(17, 9) = 0;
  const InkMap m = extract_ink(img, border_statistics(img), Polarity::Auto);
  EXPECT_TRUE(m.inverted);
  EXPECT_FLOAT_EQ(m.ink.at(17, 9), 1.f);
}

TEST(InkMap, BlankAndNoiseOnlyImagesHaveNoInk) {
  EXPECT_TRUE(throws_with<DataError>(
      [] {
        const GrayImage16 img(40, 40, level(0.7));
        extract_ink(img, border_statistics(img), Polarity::Auto);
      },
      {"no ink found", "blank"}));
  EXPECT_TRUE(throws_with<DataError>(
      [] {
        GrayImage16 img(300, 300, level(0.5));
        add_noise(img, 0.03, 7);
        extract_ink(img, border_statistics(img), Polarity::Auto);
      },
      {"no ink found", "nothing stands out"}));
  // Forcing the wrong polarity: there is nothing lighter than white paper.
  EXPECT_TRUE(throws_with<DataError>(
      [] {
        GrayImage16 img(40, 40, level(1.0));
        fill_rect(img, 10, 10, 20, 30, 0.0);
        extract_ink(img, border_statistics(img), Polarity::LightOnDark);
      },
      {"no ink found", "lighter", "forced"}));
}

// An ink image of size w x h with a solid block [x0, x1) x [y0, y1).
FloatImage ink_block(int w, int h, int x0, int y0, int x1, int y1) {
  FloatImage f(w, h);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) f.at(x, y) = 1.f;
  return f;
}

TEST(InkComponents, SpecksAreIgnoredAndErased) {
  FloatImage f = ink_block(200, 200, 60, 50, 120, 150);  // mass 6000
  f.at(5, 190) = 1.f;                                    // dust
  f.at(180, 10) = f.at(181, 10) = f.at(181, 11) = 1.f;   // a small blot
  f.at(130, 100) = 0.2f;                                 // faint: below the mask threshold
  const InkRegion r = find_ink_region(f, 0.3f, 0.02);
  EXPECT_EQ(r.x0, 60);
  EXPECT_EQ(r.y0, 50);
  EXPECT_EQ(r.x1, 120);
  EXPECT_EQ(r.y1, 150);
  EXPECT_EQ(r.components, 1);
  EXPECT_EQ(r.dropped_specks, 2);
  EXPECT_EQ(f.at(5, 190), 0.f);
  EXPECT_EQ(f.at(181, 11), 0.f);
}

TEST(InkComponents, BrokenStrokesOfOneDigitAreKept) {
  // Two parts of a digit (like a 5 with a detached bar), the lighter a tenth of the heavier.
  FloatImage f = ink_block(100, 100, 30, 40, 70, 80);  // 1600
  for (int x = 30; x < 70; ++x)
    for (int y = 25; y < 29; ++y) f.at(x, y) = 1.f;   // 160
  const InkRegion r = find_ink_region(f, 0.3f, 0.02);
  EXPECT_EQ(r.components, 2);
  EXPECT_EQ(r.y0, 25);
  EXPECT_EQ(r.y1, 80);
}

TEST(InkComponents, ScanFrameLinesAreDroppedWhenApartFromTheDigit) {
  // 400x300: frame ring = 5% of 300 = 15 px. A 4-px dark edge down the left side and an L-shaped
  // corner at the bottom right, both heavier than the digit.
  FloatImage f = ink_block(400, 300, 150, 80, 250, 220);
  for (int y = 0; y < 300; ++y)
    for (int x = 0; x < 4; ++x) f.at(x, y) = 1.f;
  for (int x = 300; x < 400; ++x) f.at(x, 297) = f.at(x, 298) = 1.f;
  for (int y = 200; y < 300; ++y) f.at(398, y) = 1.f;
  const InkRegion r = find_ink_region(f, 0.3f, 0.02);
  EXPECT_EQ(r.dropped_frame, 2);
  EXPECT_EQ(r.x0, 150);
  EXPECT_EQ(r.x1, 250);
  EXPECT_EQ(r.y0, 80);
  EXPECT_EQ(r.y1, 220);
  EXPECT_EQ(f.at(1, 150), 0.f);
}

TEST(InkComponents, TightlyCroppedDigitsTouchingTheEdgesAreKept) {
  // A digit filling its image: strokes along the edges are part of it (no gap to the rest).
  // 40x60: ring 2 px. A 2-px bar along the top edge (wholly inside the ring, so a frame candidate)
  // and a stem 3 px below it: too close to be a scanner's edge.
  FloatImage f = ink_block(40, 60, 0, 0, 40, 2);
  for (int y = 5; y < 60; ++y)
    for (int x = 18; x < 22; ++x) f.at(x, y) = 1.f;
  const InkRegion r = find_ink_region(f, 0.3f, 0.02);
  EXPECT_EQ(r.dropped_frame, 0);
  EXPECT_EQ(r.y0, 0);
  EXPECT_EQ(r.x0, 0);
  EXPECT_EQ(r.x1, 40);
  // An image that is nothing but an edge line: that line is the digit.
  FloatImage line = ink_block(50, 50, 0, 0, 2, 50);
  const InkRegion only = find_ink_region(line, 0.3f, 0.02);
  EXPECT_EQ(only.components, 1);
  EXPECT_EQ(only.x1, 2);
}

}  // namespace
}  // namespace gd
