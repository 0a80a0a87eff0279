// CUDA dense layer (cuBLAS SGEMM + bias kernels) against the CPU reference (ctest label "cuda"):
// forward and backward on awkward shapes (batch 1, 33, 257; K and M of 1, odd, primes; the mlp
// layers 784->128->10), outputs pre-filled with NaN so every element must be written, nullptr
// skips of dx/db, and shape errors. Skips, saying why, without a device or without CUDA.
//
// Tolerance (one rule for every output): the reference runs in double on the same float inputs, so
// it is exact to far below float resolution. cuBLAS accumulates float products in float (FMA; its
// default math mode uses no TF32), and the bias sums accumulate in double, so an output that sums
// L products carries rounding that grows like sqrt(L) * eps_f32 for random signs:
// test::expect_float_close(..., L) allows 8 * sqrt(max(L, 16)) * eps_f32 times the output's rms.
// L is K+1 for y (K products and the bias), M for dx, N for dw and db. A wrong index or transpose
// is off by O(1); TF32 (10-bit mantissa) would be off by ~1e-3 and fail.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/ops/dense.h"
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

struct Case {
  int64_t n, k, m;
};
// batch 1/33/257; K = 1, prime, 784 (mnist input); M = 1, 5, 10 (classes), 33, 128.
const Case kCases[] = {{1, 1, 1},  {1, 784, 128}, {33, 784, 128}, {257, 128, 10},
                       {7, 13, 5}, {64, 100, 33}, {257, 1, 10},   {2, 31, 1}};

void run_matches_reference() {
  test::CudaTestContext tc;
  for (const Case& c : kCases) {
    SCOPED_TRACE("n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) +
                 " m=" + std::to_string(c.m));
    const DenseShape s{c.n, c.k, c.m};
    const auto x = inputs(c.n * c.k, 11), w = inputs(c.m * c.k, 12), b = inputs(c.m, 13);
    const auto dy = inputs(c.n * c.m, 14);

    std::vector<double> y_ref(c.n * c.m), dx_ref(c.n * c.k), dw_ref(c.m * c.k), db_ref(c.m);
    const auto xd = widen(x), wd = widen(w), bd = widen(b), dyd = widen(dy);
    dense_forward_ref<double>(s, xd.data(), wd.data(), bd.data(), y_ref.data());
    dense_backward_ref<double>(s, xd.data(), wd.data(), dyd.data(), dx_ref.data(), dw_ref.data(),
                               db_ref.data());

    DeviceVector<float> gx(tc.ctx.stream, x), gw(tc.ctx.stream, w), gb(tc.ctx.stream, b), gdy(tc.ctx.stream, dy);
    DeviceVector<float> gy(tc.ctx.stream, nans<float>(c.n * c.m)), gdx(tc.ctx.stream, nans<float>(c.n * c.k));
    DeviceVector<float> gdw(tc.ctx.stream, nans<float>(c.m * c.k)), gdb(tc.ctx.stream, nans<float>(c.m));
    cuda::dense_forward(tc.ctx, s, gx.get(), gw.get(), gb.get(), gy.get());
    cuda::dense_backward(tc.ctx, s, gx.get(), gw.get(), gdy.get(), gdx.get(), gdw.get(), gdb.get());

    const auto y = gy.host(), dx = gdx.host(), dw = gdw.host(), db = gdb.host();
    expect_finite_nonzero(y, "y");
    expect_finite_nonzero(dx, "dx");
    expect_finite_nonzero(dw, "dw");
    expect_finite_nonzero(db, "db");
    expect_float_close(y, y_ref, c.k + 1, "y");
    expect_float_close(dx, dx_ref, c.m, "dx");
    expect_float_close(dw, dw_ref, c.n, "dw");
    expect_float_close(db, db_ref, c.n, "db");

    // nullptr dx and db are skipped; dw is still overwritten (over the NaNs put back here).
    DeviceVector<float> gdw2(tc.ctx.stream, nans<float>(c.m * c.k));
    cuda::dense_backward(tc.ctx, s, gx.get(), gw.get(), gdy.get(), nullptr, gdw2.get(), nullptr);
    const auto dw2 = gdw2.host();
    expect_finite_nonzero(dw2, "dw (dx, db skipped)");
    expect_float_close(dw2, dw_ref, c.n, "dw (dx, db skipped)");
  }
}

#endif  // GD_HAVE_CUDA

TEST(CudaDense, ForwardAndBackwardMatchReference) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  run_matches_reference();
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

// Shape checks run on the host before any CUDA call, so this needs no device (and runs everywhere
// the CUDA backend is built).
TEST(CudaDense, RejectsBadShapesBeforeTouchingTheDevice) {
#ifdef GD_HAVE_CUDA
  cuda::Context ctx;  // no stream or handles: the checks must throw before using them
  float dummy = 0.0f;
  EXPECT_THROW(cuda::dense_forward(ctx, DenseShape{0, 3, 2}, &dummy, &dummy, &dummy, &dummy),
               ShapeError);
  EXPECT_THROW(cuda::dense_backward(ctx, DenseShape{2, -1, 2}, &dummy, &dummy, &dummy, nullptr,
                                    &dummy, nullptr),
               ShapeError);
  EXPECT_THROW(cuda::dense_forward(ctx, DenseShape{2, 3, 2}, nullptr, &dummy, &dummy, &dummy),
               Error);
  // A context without a cuBLAS handle is refused with a message, not dereferenced.
  EXPECT_THROW(cuda::dense_forward(ctx, DenseShape{2, 3, 2}, &dummy, &dummy, &dummy, &dummy),
               Error);
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

}  // namespace
}  // namespace gd
