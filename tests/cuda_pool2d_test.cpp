// CUDA max and average pooling against the CPU reference (ctest label "cuda"), on the cnn model's
// 2x2/2 pool and awkward shapes (batch 1, 33, 257; odd sizes that the floor in OH drops a row of;
// overlapping windows (stride < k), gaps (stride > k), k = 1, padding 0/1/2).
//
// Max pooling is compared EXACTLY: forward only selects (no arithmetic), and inputs are small
// integers (0..3) so windows have many ties, which must resolve to the same argmax as the reference
// (first in row-major window order). Its backward sums small nonzero integer gradients, which float
// adds exactly, so dx must equal the reference bit for bit whatever the order of the sums.
// Average pooling sums k*k (forward) or at most ceil(k/stride)^2 (backward) float terms scaled by
// 1/(k*k): test::expect_float_close(..., L) with L = k*k allows 8 * sqrt(max(L, 16)) * eps_f32
// times the output's rms against the double reference, well above that rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/ops/pool2d.h"
#include "tests/support/cuda_test_util.h"
#include "tests/support/test_support.h"

#ifdef GD_HAVE_CUDA
#include "kernels/cuda_ops.h"
#endif

namespace gd {
namespace {

#ifdef GD_HAVE_CUDA

using test::DeviceVector;
using test::expect_finite_nonzero;
using test::widen;
using test::expect_float_close;
using test::nans;

const Pool2dShape kShapes[] = {
    // n,  c,  h,  w, k, stride, pad
    {33, 32, 26, 26, 2, 2, 0},  // cnn pool after conv2 (26x26 -> 13x13), batch 33
    {1, 1, 7, 9, 2, 2, 0},      // odd sizes: the last row and column are dropped
    {1, 1, 7, 9, 3, 2, 1},      // overlapping windows with padding
    {257, 2, 5, 5, 3, 1, 1},    // batch 257, stride 1 (heavy overlap)
    {3, 4, 11, 10, 2, 3, 0},    // stride > k: gaps, inputs no window reads
    {2, 3, 6, 7, 1, 1, 0},      // k = 1
    {4, 5, 9, 9, 3, 3, 0},      // exact tiling
    {2, 2, 8, 8, 4, 2, 2},      // pad = k/2 = 2
};

std::string shape_str(const Pool2dShape& s) {
  return "x (" + std::to_string(s.n) + "," + std::to_string(s.c) + "," + std::to_string(s.h) + "," +
         std::to_string(s.w) + ") k=" + std::to_string(s.k) +
         " stride=" + std::to_string(s.stride) + " pad=" + std::to_string(s.pad);
}

// Small integers in [lo, hi], skipping 0 when nonzero is set.
std::vector<float> small_ints(int64_t n, uint64_t seed, int lo, int hi, bool nonzero) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) {
    int k = dist(rng);
    while (nonzero && k == 0) k = dist(rng);
    x = static_cast<float>(k);
  }
  return v;
}

void check_max(test::CudaTestContext& tc, const Pool2dShape& s) {
  SCOPED_TRACE("max " + shape_str(s));
  const int64_t xs = s.n * s.c * s.h * s.w, ys = s.n * s.c * s.oh() * s.ow();
  const auto x = small_ints(xs, 41, 0, 3, false), dy = small_ints(ys, 42, -4, 4, true);
  std::vector<float> y_ref(ys), dx_ref(xs);
  std::vector<int32_t> am_ref(ys);
  maxpool2d_forward_ref<float>(s, x.data(), y_ref.data(), am_ref.data());
  maxpool2d_backward_ref<float>(s, dy.data(), am_ref.data(), dx_ref.data());

  DeviceVector<float> gx(tc.ctx.stream, x), gdy(tc.ctx.stream, dy), gy(tc.ctx.stream, nans<float>(ys)), gdx(tc.ctx.stream, nans<float>(xs));
  DeviceVector<int32_t> gam(tc.ctx.stream, static_cast<size_t>(ys), -1);
  cuda::maxpool2d_forward(tc.ctx, s, gx.get(), gy.get(), gam.get());
  cuda::maxpool2d_backward(tc.ctx, s, gdy.get(), gam.get(), gdx.get());
  const auto y = gy.host(), dx = gdx.host();
  const auto am = gam.host();
  expect_finite_nonzero(y, "y");
  EXPECT_EQ(y, y_ref) << "max forward must select exactly the reference's values";
  EXPECT_EQ(am, am_ref) << "argmax must break ties like the reference (first in row-major order)";
  expect_finite_nonzero(dx, "dx");
  EXPECT_EQ(dx, dx_ref) << "integer gradients sum exactly";
}

void check_avg(test::CudaTestContext& tc, const Pool2dShape& s) {
  SCOPED_TRACE("avg " + shape_str(s));
  const int64_t xs = s.n * s.c * s.h * s.w, ys = s.n * s.c * s.oh() * s.ow();
  const auto x = test::to_float(test::random_vector(xs, 43));
  const auto dy = test::to_float(test::random_vector(ys, 44));
  std::vector<double> y_ref(ys), dx_ref(xs);
  const auto xd = widen(x), dyd = widen(dy);
  avgpool2d_forward_ref<double>(s, xd.data(), y_ref.data());
  avgpool2d_backward_ref<double>(s, dyd.data(), dx_ref.data());

  DeviceVector<float> gx(tc.ctx.stream, x), gdy(tc.ctx.stream, dy), gy(tc.ctx.stream, nans<float>(ys)), gdx(tc.ctx.stream, nans<float>(xs));
  cuda::avgpool2d_forward(tc.ctx, s, gx.get(), gy.get());
  cuda::avgpool2d_backward(tc.ctx, s, gdy.get(), gdx.get());
  const auto y = gy.host(), dx = gdx.host();
  expect_finite_nonzero(y, "y");
  expect_finite_nonzero(dx, "dx");
  expect_float_close(y, y_ref, s.k * s.k, "avg y");
  expect_float_close(dx, dx_ref, s.k * s.k, "avg dx");
}

#endif  // GD_HAVE_CUDA

TEST(CudaPool2d, MaxPoolMatchesReferenceExactly) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  test::CudaTestContext tc;
  for (const Pool2dShape& s : kShapes) check_max(tc, s);
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

TEST(CudaPool2d, AvgPoolMatchesReference) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  test::CudaTestContext tc;
  for (const Pool2dShape& s : kShapes) check_avg(tc, s);
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

// Continuous inputs (no ties): the max path with the values the model actually sees.
TEST(CudaPool2d, MaxPoolOnContinuousInputs) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  test::CudaTestContext tc;
  const Pool2dShape s{17, 8, 13, 11, 3, 2, 1};
  const int64_t xs = s.n * s.c * s.h * s.w, ys = s.n * s.c * s.oh() * s.ow();
  const auto x = test::to_float(test::random_vector(xs, 45));
  std::vector<float> y_ref(ys);
  std::vector<int32_t> am_ref(ys);
  maxpool2d_forward_ref<float>(s, x.data(), y_ref.data(), am_ref.data());
  DeviceVector<float> gx(tc.ctx.stream, x), gy(tc.ctx.stream, nans<float>(ys));
  DeviceVector<int32_t> gam(tc.ctx.stream, static_cast<size_t>(ys), -1);
  cuda::maxpool2d_forward(tc.ctx, s, gx.get(), gy.get(), gam.get());
  EXPECT_EQ(gy.host(), y_ref);
  EXPECT_EQ(gam.host(), am_ref);
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

// Shape checks run on the host before any CUDA call, so this needs no device.
TEST(CudaPool2d, RejectsBadShapesBeforeTouchingTheDevice) {
#ifdef GD_HAVE_CUDA
  cuda::Context ctx;
  float dummy = 0.0f;
  int32_t idx = 0;
  const Pool2dShape pad_too_big{1, 1, 4, 4, 2, 2, 2};  // pad > k/2: a window of padding only
  const Pool2dShape window_too_big{1, 1, 2, 2, 3, 1, 0};
  EXPECT_THROW(cuda::maxpool2d_forward(ctx, pad_too_big, &dummy, &dummy, &idx), ShapeError);
  EXPECT_THROW(cuda::maxpool2d_backward(ctx, window_too_big, &dummy, &idx, &dummy), ShapeError);
  EXPECT_THROW(cuda::avgpool2d_forward(ctx, window_too_big, &dummy, &dummy), ShapeError);
  EXPECT_THROW(cuda::avgpool2d_backward(ctx, pad_too_big, &dummy, &dummy), ShapeError);
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

}  // namespace
}  // namespace gd
