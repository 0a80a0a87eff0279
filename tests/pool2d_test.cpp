// Max and average pooling: hand-computed cases (padding, count_include_pad), argmax properties on
// random inputs, finite-difference gradients in double on awkward configurations (stride != k,
// overlapping windows, padding, odd sizes), float against double, and shape validation.
#include "engine/ops/pool2d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

Pool2dShape shape(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t stride, int64_t pad) {
  Pool2dShape s;
  s.n = n;
  s.c = c;
  s.h = h;
  s.w = w;
  s.k = k;
  s.stride = stride;
  s.pad = pad;
  return s;
}

std::string str(const Pool2dShape& s) {
  return "(" + std::to_string(s.n) + "," + std::to_string(s.c) + "," + std::to_string(s.h) + "," +
         std::to_string(s.w) + ") k=" + std::to_string(s.k) + " s=" + std::to_string(s.stride) +
         " p=" + std::to_string(s.pad);
}

int64_t in_size(const Pool2dShape& s) { return s.n * s.c * s.h * s.w; }
int64_t out_size(const Pool2dShape& s) { return s.n * s.c * s.oh() * s.ow(); }

// Awkward configurations: non-overlapping (k=2 s=2 p=0 takes a dedicated fast path, also on odd
// planes whose last row/column no window covers), stride > k, overlapping k=3 s=2 with and without
// padding, stride 1, odd and non-square planes.
const Pool2dShape kConfigs[] = {
    shape(2, 3, 6, 6, 2, 2, 0), shape(2, 2, 7, 5, 2, 2, 0), shape(2, 3, 7, 5, 3, 2, 1), shape(1, 2, 9, 9, 3, 2, 0),
    shape(2, 1, 8, 7, 2, 3, 0), shape(1, 3, 5, 6, 3, 1, 1), shape(3, 1, 5, 5, 2, 1, 1),
    shape(1, 1, 1, 1, 1, 1, 0)};

TEST(Pool2d, OutputSizeFormula) {
  EXPECT_EQ(shape(1, 1, 7, 7, 3, 2, 1).oh(), 4);  // (7 + 2 - 3)/2 + 1
  EXPECT_EQ(shape(1, 1, 24, 24, 2, 2, 0).oh(), 12);
  EXPECT_EQ(shape(1, 1, 8, 8, 2, 3, 0).ow(), 3);  // floor((8 - 2)/3) + 1
}

// 4x4 plane, k=2, stride 2:            windows          max, argmax (h*W+w)
//   1  5  2  0                          {1,5,3,4}     -> 5 at (0,1) = 1
//   3  4  8  6                          {2,0,8,6}     -> 8 at (1,2) = 6
//   7  0  1  1                          {7,0,2,9}     -> 9 at (3,1) = 13
//   2  9  3  3                          {1,1,3,3}     -> 3 at (3,2) = 14 (tie: first in row-major)
TEST(Pool2d, MaxHandCase) {
  const Pool2dShape s = shape(1, 1, 4, 4, 2, 2, 0);
  const std::vector<double> x = {1, 5, 2, 0, 3, 4, 8, 6, 7, 0, 1, 1, 2, 9, 3, 3};
  std::vector<double> y(4);
  std::vector<int32_t> am(4);
  maxpool2d_forward_ref<double>(s, x.data(), y.data(), am.data());
  EXPECT_EQ(y, (std::vector<double>{5, 8, 9, 3}));
  EXPECT_EQ(am, (std::vector<int32_t>{1, 6, 13, 14}));
  // Backward routes each dy to its argmax only.
  const std::vector<double> dy = {10, 20, 30, 40};
  std::vector<double> dx(16, -1.0);
  maxpool2d_backward_ref<double>(s, dy.data(), am.data(), dx.data());
  std::vector<double> expect(16, 0.0);
  expect[1] = 10;
  expect[6] = 20;
  expect[13] = 30;
  expect[14] = 40;
  EXPECT_EQ(dx, expect);
}

// 2x2 plane, k=2, stride 1, pad 1 -> 3x3 output. Each window sees the in-bounds part of x:
//   x = 1 2     windows (in-bounds sums) / 4:
//       3 4       {1}=1 -> .25    {1,2}=3 -> .75    {2}=2 -> .5
//                 {1,3}=4 -> 1    {1..4}=10 -> 2.5  {2,4}=6 -> 1.5
//                 {3}=3 -> .75    {3,4}=7 -> 1.75   {4}=4 -> 1
// (count_include_pad: always divided by k*k = 4).
TEST(Pool2d, AvgHandCaseWithPaddingCountsPad) {
  const Pool2dShape s = shape(1, 1, 2, 2, 2, 1, 1);
  const std::vector<double> x = {1, 2, 3, 4};
  std::vector<double> y(9);
  avgpool2d_forward_ref<double>(s, x.data(), y.data());
  EXPECT_EQ(y, (std::vector<double>{0.25, 0.75, 0.5, 1.0, 2.5, 1.5, 0.75, 1.75, 1.0}));
  // Backward with dy = 1 everywhere: each input is in 4 windows, receiving 4 * 1/4 = 1.
  const std::vector<double> dy(9, 1.0);
  std::vector<double> dx(4, 7.0);
  avgpool2d_backward_ref<double>(s, dy.data(), dx.data());
  EXPECT_EQ(dx, (std::vector<double>{1, 1, 1, 1}));
}

// Same padded geometry with all-negative inputs: padding (an implicit 0) must never win the max.
//   x = -1 -2    outputs:  -1 (0)  -1 (0)  -2 (1)
//       -3 -4              -1 (0)  -1 (0)  -2 (1)
//                          -3 (2)  -3 (2)  -4 (3)
TEST(Pool2d, MaxPaddingNeverWins) {
  const Pool2dShape s = shape(1, 1, 2, 2, 2, 1, 1);
  const std::vector<float> x = {-1, -2, -3, -4};
  std::vector<float> y(9);
  std::vector<int32_t> am(9);
  maxpool2d_forward_ref<float>(s, x.data(), y.data(), am.data());
  EXPECT_EQ(y, (std::vector<float>{-1, -1, -2, -1, -1, -2, -3, -3, -4}));
  EXPECT_EQ(am, (std::vector<int32_t>{0, 0, 1, 0, 0, 1, 2, 2, 3}));
}

// A constant plane: every window ties, so argmax is the first in-bounds element of each window
// (generic path with padding, and the k=2 s=2 fast path).
TEST(Pool2d, MaxTiesPickFirstInWindow) {
  for (const Pool2dShape& s : {shape(1, 1, 7, 7, 3, 2, 1), shape(1, 1, 7, 7, 2, 2, 0)}) {
    const std::vector<float> x(49, 0.5f);
    std::vector<float> y(out_size(s));
    std::vector<int32_t> am(out_size(s));
    maxpool2d_forward_ref<float>(s, x.data(), y.data(), am.data());
    for (int64_t oh = 0; oh < s.oh(); ++oh) {
      for (int64_t ow = 0; ow < s.ow(); ++ow) {
        const int64_t h0 = std::max<int64_t>(oh * s.stride - s.pad, 0);
        const int64_t w0 = std::max<int64_t>(ow * s.stride - s.pad, 0);
        EXPECT_EQ(am[oh * s.ow() + ow], h0 * 7 + w0) << str(s) << " output (" << oh << "," << ow << ")";
      }
    }
  }
}

// On random inputs (no ties), argmax lies inside its window, in its own plane, holds y, and no
// other in-bounds element of the window is larger; avg equals the window sum / k^2.
TEST(Pool2d, ArgmaxAndAverageAgreeWithBruteForce) {
  for (const Pool2dShape& s : kConfigs) {
    const std::vector<double> x = test::random_vector(in_size(s), 3);
    std::vector<double> y(out_size(s)), ya(out_size(s));
    std::vector<int32_t> am(out_size(s));
    maxpool2d_forward_ref<double>(s, x.data(), y.data(), am.data());
    avgpool2d_forward_ref<double>(s, x.data(), ya.data());
    const int64_t OH = s.oh(), OW = s.ow();
    for (int64_t p = 0; p < s.n * s.c; ++p) {
      const double* xp = x.data() + p * s.h * s.w;
      for (int64_t oh = 0; oh < OH; ++oh) {
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t o = p * OH * OW + oh * OW + ow;
          const int64_t ah = am[o] / s.w, aw = am[o] % s.w;
          ASSERT_GE(am[o], 0);
          ASSERT_LT(am[o], s.h * s.w);
          EXPECT_GE(ah, oh * s.stride - s.pad);
          EXPECT_LT(ah, oh * s.stride - s.pad + s.k);
          EXPECT_GE(aw, ow * s.stride - s.pad);
          EXPECT_LT(aw, ow * s.stride - s.pad + s.k);
          EXPECT_EQ(y[o], xp[am[o]]);
          double sum = 0.0;
          for (int64_t i = 0; i < s.k; ++i) {
            for (int64_t j = 0; j < s.k; ++j) {
              const int64_t ih = oh * s.stride - s.pad + i, iw = ow * s.stride - s.pad + j;
              if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
              EXPECT_LE(xp[ih * s.w + iw], y[o]);
              sum += xp[ih * s.w + iw];
            }
          }
          // Same k*k terms, possibly summed in another order: a few double ulps.
          EXPECT_NEAR(ya[o], sum / (s.k * s.k), 1e-14) << str(s);
        }
      }
    }
  }
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// f(x) = dot(R, pool(x)). Random inputs make ties (max-pool kinks) improbable: two uniform values
// in [-1, 1) fall within h = 1e-6 of each other with probability ~1e-6 per pair, and the seeds are
// fixed. The backward must OVERWRITE: dx starts as garbage.
TEST(Pool2d, MaxGradientMatchesFiniteDifferencesInDouble) {
  for (const Pool2dShape& s : kConfigs) {
    std::vector<double> x = test::random_vector(in_size(s), 21);
    const std::vector<double> r = test::random_vector(out_size(s), 22);
    std::vector<double> y(out_size(s));
    std::vector<int32_t> am(out_size(s));
    maxpool2d_forward_ref<double>(s, x.data(), y.data(), am.data());
    std::vector<double> analytic(in_size(s), 1e30);
    maxpool2d_backward_ref<double>(s, r.data(), am.data(), analytic.data());
    auto f = [&] {
      maxpool2d_forward_ref<double>(s, x.data(), y.data(), am.data());
      return dot(r, y);
    };
    // Piecewise linear away from ties: only rounding, ~1e-16 * |f| / h ~ 1e-9.
    EXPECT_LT(test::max_gradient_error(x, f, analytic), 1e-6) << str(s);
  }
}

TEST(Pool2d, AvgGradientMatchesFiniteDifferencesInDouble) {
  for (const Pool2dShape& s : kConfigs) {
    std::vector<double> x = test::random_vector(in_size(s), 31);
    const std::vector<double> r = test::random_vector(out_size(s), 32);
    std::vector<double> y(out_size(s));
    std::vector<double> analytic(in_size(s), 1e30);
    avgpool2d_backward_ref<double>(s, r.data(), analytic.data());
    auto f = [&] {
      avgpool2d_forward_ref<double>(s, x.data(), y.data());
      return dot(r, y);
    };
    // Linear: rounding only (~1e-9).
    EXPECT_LT(test::max_gradient_error(x, f, analytic), 1e-6) << str(s);
  }
}

// Float against double on a plane count large enough for the OpenMP path. Max pooling only
// selects, so it must be exact on float-representable inputs; avg sums k*k terms.
TEST(Pool2d, FloatMatchesDouble) {
  const Pool2dShape s = shape(8, 8, 27, 25, 3, 2, 1);  // 43200 inputs: above the OpenMP threshold
  const std::vector<float> xf = test::to_float(test::random_vector(in_size(s), 41));
  const std::vector<double> xd(xf.begin(), xf.end());
  const std::vector<float> dyf = test::to_float(test::random_vector(out_size(s), 42));
  const std::vector<double> dyd(dyf.begin(), dyf.end());
  std::vector<float> yf(out_size(s)), dxf(in_size(s));
  std::vector<double> yd(out_size(s)), dxd(in_size(s));
  std::vector<int32_t> amf(out_size(s)), amd(out_size(s));
  maxpool2d_forward_ref<float>(s, xf.data(), yf.data(), amf.data());
  maxpool2d_forward_ref<double>(s, xd.data(), yd.data(), amd.data());
  EXPECT_EQ(amf, amd);
  for (int64_t i = 0; i < out_size(s); ++i) ASSERT_EQ(static_cast<double>(yf[i]), yd[i]);
  maxpool2d_backward_ref<float>(s, dyf.data(), amf.data(), dxf.data());
  maxpool2d_backward_ref<double>(s, dyd.data(), amd.data(), dxd.data());
  // An input collects at most ceil(k/stride)^2 = 4 overlapping window gradients.
  const double tol = test::float_tolerance(4);
  for (int64_t i = 0; i < in_size(s); ++i) ASSERT_NEAR(dxf[i], dxd[i], tol);
  avgpool2d_forward_ref<float>(s, xf.data(), yf.data());
  avgpool2d_forward_ref<double>(s, xd.data(), yd.data());
  for (int64_t i = 0; i < out_size(s); ++i) ASSERT_NEAR(yf[i], yd[i], test::float_tolerance(9));
  avgpool2d_backward_ref<float>(s, dyf.data(), dxf.data());
  avgpool2d_backward_ref<double>(s, dyd.data(), dxd.data());
  for (int64_t i = 0; i < in_size(s); ++i) ASSERT_NEAR(dxf[i], dxd[i], tol);
}

TEST(Pool2d, InvalidShapesThrow) {
  EXPECT_NO_THROW(shape(1, 1, 3, 3, 3, 1, 1).validate());
  EXPECT_THROW(shape(1, 1, 4, 4, 2, 2, 2).validate(), ShapeError);  // pad > k/2
  EXPECT_THROW(shape(1, 1, 4, 4, 3, 1, -1).validate(), ShapeError);
  EXPECT_THROW(shape(1, 1, 4, 4, 0, 1, 0).validate(), ShapeError);
  EXPECT_THROW(shape(1, 1, 4, 4, 2, 0, 0).validate(), ShapeError);
  EXPECT_THROW(shape(1, 1, 2, 5, 3, 1, 0).validate(), ShapeError);  // window taller than input
  EXPECT_THROW(shape(0, 1, 4, 4, 2, 2, 0).validate(), ShapeError);
  EXPECT_THROW(shape(1, 0, 4, 4, 2, 2, 0).validate(), ShapeError);
  try {
    shape(1, 1, 4, 4, 2, 2, 2).validate();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("pad=2"), std::string::npos) << e.what();
  }
  // The ops validate too.
  float v = 0.0f;
  int32_t a = 0;
  EXPECT_THROW(maxpool2d_forward_ref<float>(shape(1, 1, 1, 1, 2, 2, 0), &v, &v, &a), ShapeError);
  EXPECT_THROW(avgpool2d_backward_ref<float>(shape(1, 1, 1, 1, 2, 2, 0), &v, &v), ShapeError);
}

TEST(Pool2d, OutOfRangeArgmaxThrows) {
  const Pool2dShape s = shape(1, 2, 4, 4, 2, 2, 0);
  std::vector<float> dy(8, 1.0f), dx(32);
  std::vector<int32_t> am = {0, 2, 8, 10, 0, 2, 8, 16};  // 16 is outside a 4x4 plane
  EXPECT_THROW(maxpool2d_backward_ref<float>(s, dy.data(), am.data(), dx.data()), ShapeError);
  am[7] = -1;
  EXPECT_THROW(maxpool2d_backward_ref<float>(s, dy.data(), am.data(), dx.data()), ShapeError);
}

}  // namespace
}  // namespace gd
