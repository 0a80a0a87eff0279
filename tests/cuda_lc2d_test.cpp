// CUDA locally connected layer against the CPU reference (ctest label "cuda"): forward and backward
// on the lcnn model's layers (1->16 on 28x28 and 16->32 on 14x14, 5x5, stride 2, pad 2) and awkward
// shapes (batch 1, 33, 257; odd and non-square sizes; kh != kw; stride 1/2/3; padding 0/1/2).
// Outputs and the workspace are pre-filled with NaN, so every output element must be written and
// no workspace byte read before it is written. Also: nullptr skips, determinism (no atomics: two
// runs are bit-identical), shape errors before any device call.
//
// Tolerance (one rule for every output): the reference runs in double on the same float inputs;
// cuBLAS runs FP32 (its default math, no TF32), so an output summing L products carries rounding
// growing like sqrt(L) * eps_f32 for random signs; test::expect_float_close(..., L) allows
// 8 * sqrt(max(L, 16)) * eps_f32 times the output's rms. L: C*KH*KW + 1 for y, F*KH*KW for dx (at
// most that many products reach one input pixel), N for dw and db (one GEMM over the batch per
// position). An index or layout slip is off by O(1).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/ops/lc2d.h"
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
inline std::vector<float> inputs(int64_t n, uint64_t seed) { return test::random_floats(n, seed); }
using test::expect_float_close;
using test::nans;

const Lc2dShape kShapes[] = {
    // n,  c,  h,  w,  f, kh, kw, stride, pad
    {33, 1, 28, 28, 16, 5, 5, 2, 2},  // lcnn lc1, batch 33
    {1, 1, 28, 28, 16, 5, 5, 2, 2},   // lcnn lc1, batch 1
    {8, 16, 14, 14, 32, 5, 5, 2, 2},  // lcnn lc2
    {257, 1, 6, 5, 3, 3, 3, 1, 1},    // batch 257, odd non-square, stride 1
    {3, 2, 7, 5, 3, 3, 2, 3, 1},      // kh != kw, stride 3
    {2, 3, 9, 8, 4, 4, 4, 2, 2},      // even kernel, pad 2
    {5, 2, 6, 6, 3, 2, 2, 2, 0},      // no padding, non-overlapping windows
};

std::string shape_str(const Lc2dShape& s) {
  return "x (" + std::to_string(s.n) + "," + std::to_string(s.c) + "," + std::to_string(s.h) + "," +
         std::to_string(s.w) + ") f=" + std::to_string(s.f) + " k=" + std::to_string(s.kh) + "x" +
         std::to_string(s.kw) + " stride=" + std::to_string(s.stride) +
         " pad=" + std::to_string(s.pad);
}

std::vector<uint32_t> bits_of(const std::vector<float>& v) {
  std::vector<uint32_t> b(v.size());
  if (!v.empty()) std::memcpy(b.data(), v.data(), v.size() * sizeof(float));
  return b;
}

void check_shape(test::CudaTestContext& tc, const Lc2dShape& s) {
  SCOPED_TRACE(shape_str(s));
  const int64_t P = s.positions(), R = s.receptive();
  const int64_t xs = s.n * s.c * s.h * s.w, ws = P * s.f * R, ys = s.n * s.f * P, bs = s.f * P;
  const auto x = inputs(xs, 31), w = inputs(ws, 32), b = inputs(bs, 33), dy = inputs(ys, 34);

  std::vector<double> y_ref(ys), dx_ref(xs), dw_ref(ws), db_ref(bs), work(lc2d_workspace_elems(s));
  const auto xd = widen(x), wd = widen(w), bd = widen(b), dyd = widen(dy);
  lc2d_forward_ref<double>(s, xd.data(), wd.data(), bd.data(), y_ref.data(), work.data());
  lc2d_backward_ref<double>(s, xd.data(), wd.data(), dyd.data(), dx_ref.data(), dw_ref.data(),
                            db_ref.data(), work.data());

  // Exactly the advertised workspace, every byte 0xFF (a float NaN).
  DeviceVector<uint8_t> gws(tc.ctx.stream, cuda::lc2d_workspace_bytes(s), 0xFF);
  DeviceVector<float> gx(tc.ctx.stream, x), gw(tc.ctx.stream, w), gb(tc.ctx.stream, b), gdy(tc.ctx.stream, dy);
  std::vector<std::vector<float>> runs_dx, runs_dw;
  for (int rep = 0; rep < 2; ++rep) {
    DeviceVector<float> gy(tc.ctx.stream, nans<float>(ys)), gdx(tc.ctx.stream, nans<float>(xs)), gdw(tc.ctx.stream, nans<float>(ws)),
        gdb(tc.ctx.stream, nans<float>(bs));
    cuda::lc2d_forward(tc.ctx, s, gx.get(), gw.get(), gb.get(), gy.get(), gws.get());
    cuda::lc2d_backward(tc.ctx, s, gx.get(), gw.get(), gdy.get(), gdx.get(), gdw.get(), gdb.get(),
                        gws.get());
    const auto y = gy.host(), dx = gdx.host(), dw = gdw.host(), db = gdb.host();
    expect_finite_nonzero(y, "y");
    expect_finite_nonzero(dx, "dx");
    expect_finite_nonzero(dw, "dw");
    expect_finite_nonzero(db, "db");
    expect_float_close(y, y_ref, R + 1, "y");
    expect_float_close(dx, dx_ref, s.f * s.kh * s.kw, "dx");
    expect_float_close(dw, dw_ref, s.n, "dw");
    expect_float_close(db, db_ref, s.n, "db");
    runs_dx.push_back(dx);
    runs_dw.push_back(dw);
  }
  // No atomics anywhere: a second run (over a workspace left dirty by the first) is bit-identical.
  EXPECT_EQ(bits_of(runs_dx[0]), bits_of(runs_dx[1])) << "dx differs between two runs";
  EXPECT_EQ(bits_of(runs_dw[0]), bits_of(runs_dw[1])) << "dw differs between two runs";

  // nullptr dx and db are skipped; dw is still overwritten.
  DeviceVector<float> gdw2(tc.ctx.stream, nans<float>(ws));
  cuda::lc2d_backward(tc.ctx, s, gx.get(), gw.get(), gdy.get(), nullptr, gdw2.get(), nullptr,
                      gws.get());
  const auto dw2 = gdw2.host();
  expect_finite_nonzero(dw2, "dw (dx, db skipped)");
  expect_float_close(dw2, dw_ref, s.n, "dw (dx, db skipped)");
}

#endif  // GD_HAVE_CUDA

TEST(CudaLc2d, ForwardAndBackwardMatchReference) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  test::CudaTestContext tc;
  for (const Lc2dShape& s : kShapes) check_shape(tc, s);
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

// Shape checks run on the host before any CUDA call, so this needs no device.
TEST(CudaLc2d, RejectsBadShapesBeforeTouchingTheDevice) {
#ifdef GD_HAVE_CUDA
  cuda::Context ctx;  // no stream or handles: the checks must throw before using them
  float dummy = 0.0f;
  const Lc2dShape too_big_kernel{1, 1, 2, 2, 1, 5, 5, 1, 0};
  const Lc2dShape no_channels{1, 0, 4, 4, 1, 3, 3, 1, 0};
  EXPECT_THROW(cuda::lc2d_workspace_bytes(too_big_kernel), ShapeError);
  EXPECT_THROW(cuda::lc2d_forward(ctx, no_channels, &dummy, &dummy, &dummy, &dummy, &dummy),
               ShapeError);
  EXPECT_THROW(cuda::lc2d_backward(ctx, too_big_kernel, &dummy, &dummy, &dummy, nullptr, &dummy,
                                   nullptr, &dummy),
               ShapeError);
  // Valid shape, missing workspace: refused on the host.
  const Lc2dShape ok{1, 1, 4, 4, 1, 3, 3, 1, 0};
  EXPECT_THROW(cuda::lc2d_forward(ctx, ok, &dummy, &dummy, &dummy, &dummy, nullptr), Error);
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

}  // namespace
}  // namespace gd
