// Affine augmentation reference: identity, exact integer shifts, a 90-degree rotation, a general
// transform on a linear ramp (exact under bilinear sampling), a half-pixel shift, per-sample
// determinism keyed by id, convexity of the output, and argument checks.
#include "engine/ops/augment.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/core/error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

AugmentParams zero_params() {
  AugmentParams p;
  p.max_shift = p.max_rotate_deg = p.max_scale = p.max_shear = 0.f;
  return p;
}

AugmentParams busy_params(uint64_t step) {
  AugmentParams p;
  p.max_shift = 2.5f;
  p.max_rotate_deg = 15.f;
  p.max_scale = 0.15f;
  p.max_shear = 0.2f;
  p.seed = 1234;
  p.stream = 3;
  p.step = step;
  return p;
}

template <typename T>
std::vector<T> random_images(int64_t count, uint64_t seed) {
  const std::vector<double> v = test::random_vector(static_cast<size_t>(count), seed, 0.0, 1.0);
  return std::vector<T>(v.begin(), v.end());
}

template <typename T>
class AugmentTyped : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(AugmentTyped, Types);

TYPED_TEST(AugmentTyped, ZeroRangesAreTheExactIdentity) {
  using T = TypeParam;
  for (const auto& [n, c, h, w] : std::vector<std::array<int64_t, 4>>{{3, 1, 28, 28}, {2, 3, 7, 5}, {1, 1, 16, 16}}) {
    const std::vector<T> x = random_images<T>(n * c * h * w, 11);
    std::vector<T> y(x.size(), T(-7));
    const std::vector<int32_t> ids = {5, 900, 77};
    for (uint64_t step : {0ull, 1ull, 123456789ull}) {
      AugmentParams p = zero_params();
      p.seed = 99;
      p.step = step;
      augment_affine_ref<T>(p, n, c, h, w, x.data(), y.data(), ids.data());
      EXPECT_EQ(y, x) << "shape " << n << "x" << c << "x" << h << "x" << w << " step " << step;
    }
  }
}

TYPED_TEST(AugmentTyped, IntegerShiftMovesPixelsExactly) {
  using T = TypeParam;
  const int64_t n = 2, c = 2, h = 9, w = 11;
  const std::vector<T> x = random_images<T>(n * c * h * w, 12);
  std::vector<T> y(x.size());
  AugmentTransform t[2];
  t[0].shift_x = 2.f;
  t[0].shift_y = -1.f;
  t[1].shift_x = -3.f;
  t[1].shift_y = 4.f;
  const T fill = T(-0.25);
  augment_transform_ref<T>(t, fill, n, c, h, w, x.data(), y.data());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t sx = static_cast<int64_t>(t[i].shift_x), sy = static_cast<int64_t>(t[i].shift_y);
    for (int64_t ch = 0; ch < c; ++ch) {
      const T* src = x.data() + (i * c + ch) * h * w;
      const T* dst = y.data() + (i * c + ch) * h * w;
      for (int64_t oy = 0; oy < h; ++oy) {
        for (int64_t ox = 0; ox < w; ++ox) {
          // out = in + shift, so out(oy, ox) = in(oy - sy, ox - sx), or fill when that is outside.
          const int64_t iy = oy - sy, ix = ox - sx;
          const bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
          ASSERT_EQ(dst[oy * w + ox], inside ? src[iy * w + ix] : fill) << i << " " << ch << " " << oy << " " << ox;
        }
      }
    }
  }
}

TYPED_TEST(AugmentTyped, QuarterTurnPermutesPixels) {
  using T = TypeParam;
  const int64_t h = 8, w = 8;
  const std::vector<T> x = random_images<T>(h * w, 13);
  std::vector<T> y(x.size());
  AugmentTransform t;
  t.angle = static_cast<float>(M_PI / 2);
  augment_transform_ref<T>(&t, T(0), 1, 1, h, w, x.data(), y.data());
  // in = A^-1 (out - c) + c with A^-1 = [[0, 1], [-1, 0]]: in_x = oy, in_y = (w - 1) - ox.
  // cosf(pi/2) is -4e-8, not 0, so the sample point is off by ~1e-6 px: the bilinear weights move
  // by that much and values in [0, 1] by at most ~2e-6; 1e-5 bounds it.
  for (int64_t oy = 0; oy < h; ++oy) {
    for (int64_t ox = 0; ox < w; ++ox) {
      EXPECT_NEAR(static_cast<double>(y[oy * w + ox]), static_cast<double>(x[(w - 1 - ox) * w + oy]), 1e-5)
          << oy << " " << ox;
    }
  }
}

TYPED_TEST(AugmentTyped, GeneralTransformOfALinearRampIsTheRampAtTheInverseMappedPoint) {
  // Bilinear interpolation reproduces a linear function exactly, so for any transform every
  // output pixel whose four neighbours are inside the image must equal the ramp at the point the
  // inverse map sends it to. That point is computed here in double from the documented forward
  // map out = A (in - c) + c + shift, A = Rot(angle) * scale * Shear, by inverting A numerically
  // (not with augment_inverse), so rotation, scale, shear and a fractional shift are all checked
  // at points between pixel centres.
  using T = TypeParam;
  const int64_t h = 23, w = 28;
  const double a0 = 0.1, bx = 0.031, by = -0.017;  // ramp(x, y) = a0 + bx x + by y
  std::vector<T> x(static_cast<size_t>(h * w));
  for (int64_t yy = 0; yy < h; ++yy)
    for (int64_t xx = 0; xx < w; ++xx) x[static_cast<size_t>(yy * w + xx)] = static_cast<T>(a0 + bx * xx + by * yy);
  AugmentTransform t;
  t.angle = 0.3f;
  t.scale = 1.1f;
  t.shear = 0.15f;
  t.shift_x = 0.7f;
  t.shift_y = -1.3f;
  std::vector<T> y(x.size());
  augment_transform_ref<T>(&t, T(-5), 1, 1, h, w, x.data(), y.data());

  const double ca = std::cos(double{t.angle}), sa = std::sin(double{t.angle}), sc = t.scale, sh = t.shear;
  // A = [[ca, -sa], [sa, ca]] * sc * [[1, sh], [0, 1]]
  const double A00 = sc * ca, A01 = sc * (ca * sh - sa), A10 = sc * sa, A11 = sc * (sa * sh + ca);
  const double det = A00 * A11 - A01 * A10;
  const double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
  int checked = 0, fractional = 0;
  for (int64_t oy = 0; oy < h; ++oy) {
    for (int64_t ox = 0; ox < w; ++ox) {
      const double u = ox - cx - t.shift_x, v = oy - cy - t.shift_y;
      const double sx = (A11 * u - A01 * v) / det + cx, sy = (-A10 * u + A00 * v) / det + cy;
      if (!(sx >= 1e-3 && sx <= w - 1 - 1e-3 && sy >= 1e-3 && sy <= h - 1 - 1e-3)) continue;  // a neighbour is fill
      // The kernel computes the sample point in float: coordinates up to ~30 px carry an error of
      // a few float ulps (~1e-5 px), times slopes below 0.04 and a few roundings of values ~1:
      // 1e-5 bounds the difference for both T.
      EXPECT_NEAR(static_cast<double>(y[static_cast<size_t>(oy * w + ox)]), a0 + bx * sx + by * sy, 1e-5)
          << oy << " " << ox;
      ++checked;
      if (std::abs(sx - std::round(sx)) > 0.1 && std::abs(sy - std::round(sy)) > 0.1) ++fractional;
    }
  }
  EXPECT_GT(checked, static_cast<int>(h * w / 2));
  EXPECT_GT(fractional, checked / 2) << "most sample points should fall between pixel centres";
}

TYPED_TEST(AugmentTyped, HalfPixelShiftAveragesNeighboursExactly) {
  // shift_x = 0.5: out(ox) = in(ox - 0.5), the mean of columns ox-1 and ox (fill left of column 0).
  // The weights are exactly 1/2 and the vertical weight exactly 0, so the result is exact.
  using T = TypeParam;
  const int64_t h = 5, w = 28;
  const std::vector<T> x = random_images<T>(h * w, 15);
  std::vector<T> y(x.size());
  AugmentTransform t;
  t.shift_x = 0.5f;
  const T fill = T(0.75);
  augment_transform_ref<T>(&t, fill, 1, 1, h, w, x.data(), y.data());
  for (int64_t oy = 0; oy < h; ++oy) {
    for (int64_t ox = 0; ox < w; ++ox) {
      const T left = ox > 0 ? x[static_cast<size_t>(oy * w + ox - 1)] : fill;
      const T right = x[static_cast<size_t>(oy * w + ox)];
      ASSERT_EQ(y[static_cast<size_t>(oy * w + ox)], T(0.5) * left + T(0.5) * right) << oy << " " << ox;
    }
  }
}

TYPED_TEST(AugmentTyped, OutputIsAConvexCombinationOfInputsAndFill) {
  using T = TypeParam;
  const int64_t n = 16, c = 1, h = 28, w = 28;
  const std::vector<T> x = random_images<T>(n * c * h * w, 14);  // in [0, 1), fill 0
  std::vector<T> y(x.size());
  augment_affine_ref<T>(busy_params(5), n, c, h, w, x.data(), y.data(), nullptr);
  // Three roundings of weights in [0,1] times values in [0,1]: at most a few ulps past the range.
  const double slack = 4.0 * std::numeric_limits<T>::epsilon();
  const auto [lo, hi] = std::minmax_element(y.begin(), y.end());
  EXPECT_GE(static_cast<double>(*lo), -slack);
  EXPECT_LE(static_cast<double>(*hi), 1.0 + slack);
  EXPECT_GT(static_cast<double>(*hi), 0.5) << "output is not all fill";
}

TEST(Augment, TransformDependsOnSampleIdNotBatchPosition) {
  const int64_t n = 4, c = 1, h = 12, w = 12;
  const std::vector<float> x = random_images<float>(h * w, 15);
  std::vector<float> batch(static_cast<size_t>(n * h * w));
  for (int64_t i = 0; i < n; ++i) std::copy(x.begin(), x.end(), batch.begin() + i * h * w);
  const std::vector<int32_t> ids = {10, 20, 30, 40}, reversed = {40, 30, 20, 10};
  std::vector<float> a(batch.size()), b(batch.size()), again(batch.size());
  augment_affine_ref<float>(busy_params(7), n, c, h, w, batch.data(), a.data(), ids.data());
  augment_affine_ref<float>(busy_params(7), n, c, h, w, batch.data(), again.data(), ids.data());
  augment_affine_ref<float>(busy_params(7), n, c, h, w, batch.data(), b.data(), reversed.data());
  EXPECT_EQ(a, again) << "deterministic";
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_TRUE(std::equal(a.begin() + i * h * w, a.begin() + (i + 1) * h * w, b.begin() + (n - 1 - i) * h * w))
        << "id " << ids[i] << " got another transform at another batch position";
  }
  EXPECT_FALSE(std::equal(a.begin(), a.begin() + h * w, a.begin() + h * w)) << "ids 10 and 20 differ";
}

TEST(Augment, DifferentStepsGiveDifferentTransforms) {
  const int64_t n = 3, h = 28, w = 28;
  const std::vector<float> x = random_images<float>(n * h * w, 16);
  std::vector<float> a(x.size()), b(x.size());
  augment_affine_ref<float>(busy_params(1), n, 1, h, w, x.data(), a.data(), nullptr);
  augment_affine_ref<float>(busy_params(2), n, 1, h, w, x.data(), b.data(), nullptr);
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_FALSE(std::equal(a.begin() + i * h * w, a.begin() + (i + 1) * h * w, b.begin() + i * h * w)) << i;
  }
  AugmentParams other_seed = busy_params(1);
  other_seed.seed += 1;
  augment_affine_ref<float>(other_seed, n, 1, h, w, x.data(), b.data(), nullptr);
  EXPECT_NE(a, b);
}

TEST(Augment, DrawnParametersStayInRangeAndUseIt) {
  const AugmentParams p = busy_params(3);
  float max_shift = 0.f, max_angle = 0.f, max_scale_dev = 0.f, max_shear = 0.f;
  for (int32_t id = 0; id < 2000; ++id) {
    const AugmentTransform t = augment_draw(p, id);
    max_shift = std::max({max_shift, std::abs(t.shift_x), std::abs(t.shift_y)});
    max_angle = std::max(max_angle, std::abs(t.angle));
    max_scale_dev = std::max(max_scale_dev, std::abs(t.scale - 1.f));
    max_shear = std::max(max_shear, std::abs(t.shear));
  }
  const float rad = p.max_rotate_deg * static_cast<float>(M_PI / 180);
  EXPECT_LE(max_shift, p.max_shift);
  EXPECT_LE(max_angle, rad * (1 + 1e-6f));
  EXPECT_LE(max_scale_dev, p.max_scale * (1 + 1e-6f));
  EXPECT_LE(max_shear, p.max_shear);
  // 2000 uniform draws: the largest |r| is below 0.99 with probability 0.99^2000 ~ 2e-9.
  EXPECT_GT(max_shift, 0.99f * p.max_shift);
  EXPECT_GT(max_angle, 0.99f * rad);
  EXPECT_GT(max_scale_dev, 0.99f * p.max_scale);
  EXPECT_GT(max_shear, 0.99f * p.max_shear);
}

TEST(Augment, ChannelsShareTheTransformAndFillIsUsedOutside) {
  const int64_t h = 10, w = 10;
  std::vector<float> x = random_images<float>(h * w, 17);
  x.insert(x.end(), x.begin(), x.end());  // two identical channels
  std::vector<float> y(x.size());
  augment_affine_ref<float>(busy_params(4), 1, 2, h, w, x.data(), y.data(), nullptr);
  EXPECT_TRUE(std::equal(y.begin(), y.begin() + h * w, y.begin() + h * w));
  AugmentTransform far;
  far.shift_x = 50.f;
  augment_transform_ref<float>(&far, -3.f, 1, 2, h, w, x.data(), y.data());
  EXPECT_TRUE(std::all_of(y.begin(), y.end(), [](float v) { return v == -3.f; }));
}

TEST(Augment, RejectsBadArguments) {
  std::vector<float> x(2 * 16), y(2 * 16);
  AugmentParams p = busy_params(0);
  p.max_shift = -1.f;
  EXPECT_THROW(augment_affine_ref<float>(p, 2, 1, 4, 4, x.data(), y.data(), nullptr), ConfigError);
  p = busy_params(0);
  p.max_scale = 1.f;
  EXPECT_THROW(augment_affine_ref<float>(p, 2, 1, 4, 4, x.data(), y.data(), nullptr), ConfigError);
  p = busy_params(0);
  p.max_rotate_deg = std::nanf("");
  EXPECT_THROW(augment_affine_ref<float>(p, 2, 1, 4, 4, x.data(), y.data(), nullptr), ConfigError);
  EXPECT_THROW(augment_affine_ref<float>(busy_params(0), 2, 1, 4, 4, x.data(), x.data(), nullptr), ShapeError);
  EXPECT_THROW(augment_affine_ref<float>(busy_params(0), 2, 1, 4, 4, x.data(), x.data() + 3, nullptr), ShapeError);
  EXPECT_THROW(augment_affine_ref<float>(busy_params(0), 2, 1, 0, 4, x.data(), y.data(), nullptr), ShapeError);
  EXPECT_NO_THROW(augment_affine_ref<float>(busy_params(0), 0, 1, 4, 4, x.data(), y.data(), nullptr));
}

}  // namespace
}  // namespace gd
