// Affine augmentation reference: identity, exact integer shifts, a 90-degree rotation, per-sample
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
