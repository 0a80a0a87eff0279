// CUDA 2-d convolution against the CPU reference (ctest label "cuda"): the dispatching launchers
// (cuDNN where the build has it) and the im2col + cuBLAS path (in one chunk and in several),
// forward and backward, on the cnn model's layers (1->32 on 28x28, 32->64 on 26x26, 3x3) and
// awkward shapes (batch 1, 33, 257; odd and non-square sizes; kh != kw; stride 1/2/3; padding
// 0/1/2; 1x1 and even kernels). Outputs and workspaces are pre-filled with NaN, so every output
// element must be written and no workspace byte may be read before it is written. Also: each shape
// is planned once and the plan reused, the implementation is named, shape errors throw before any
// device call.
//
// Tolerance (one rule for every output): the reference runs in double on the same float inputs.
// cuDNN runs FP32 arithmetic (CUDNN_FMA_MATH: no TF32) and cuBLAS its default FP32 math, so an
// output summing L products carries rounding growing like sqrt(L) * eps_f32 for random signs;
// test::expect_float_close(..., L) allows 8 * sqrt(max(L, 16)) * eps_f32 times the output's rms.
// L: C*KH*KW + 1 for y, F*KH*KW for dx (at most that many products reach one input pixel),
// N*OH*OW for dw and db. An index or layout slip is off by O(1); TF32 would be off by ~1e-3.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/ops/conv2d.h"
#include "tests/support/cuda_test_util.h"
#include "tests/support/test_support.h"

#ifdef GD_HAVE_CUDA
#include "kernels/conv2d_info.h"
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

const Conv2dShape kShapes[] = {
    // n,  c,  h,  w,  f, kh, kw, stride, pad
    {1, 1, 28, 28, 32, 3, 3, 1, 0},   // cnn conv1, batch 1
    {33, 1, 28, 28, 32, 3, 3, 1, 0},  // cnn conv1, batch 33
    {4, 32, 26, 26, 64, 3, 3, 1, 0},  // cnn conv2
    {257, 1, 5, 5, 2, 3, 3, 1, 1},    // batch 257, pad 1
    {3, 2, 7, 9, 3, 3, 3, 2, 1},      // odd non-square input, stride 2
    {1, 3, 11, 6, 5, 5, 3, 3, 2},     // kh != kw, stride 3, pad 2
    {3, 4, 8, 8, 6, 1, 1, 1, 0},      // 1x1 kernel
    {2, 3, 9, 7, 4, 2, 2, 2, 0},      // even kernel, odd input
    {5, 2, 6, 6, 3, 4, 4, 3, 2},      // stride 3 with pad 2 (gaps and overlaps at the border)
};

std::string shape_str(const Conv2dShape& s) {
  return "x (" + std::to_string(s.n) + "," + std::to_string(s.c) + "," + std::to_string(s.h) + "," +
         std::to_string(s.w) + ") f=" + std::to_string(s.f) + " k=" + std::to_string(s.kh) + "x" +
         std::to_string(s.kw) + " stride=" + std::to_string(s.stride) +
         " pad=" + std::to_string(s.pad);
}

struct Tensors {
  std::vector<float> x, w, b, dy;
  std::vector<double> y, dx, dw, db;  // double reference on the same float inputs
};

Tensors make_reference(const Conv2dShape& s) {
  const int64_t xs = s.n * s.c * s.h * s.w, ws = s.f * s.c * s.kh * s.kw,
                ys = s.n * s.f * s.oh() * s.ow();
  Tensors t;
  t.x = inputs(xs, 21);
  t.w = inputs(ws, 22);
  t.b = inputs(s.f, 23);
  t.dy = inputs(ys, 24);
  t.y.resize(ys);
  t.dx.resize(xs);
  t.dw.resize(ws);
  t.db.resize(s.f);
  std::vector<double> work(conv2d_workspace_elems(s));
  const auto x = widen(t.x), w = widen(t.w), b = widen(t.b), dy = widen(t.dy);
  conv2d_forward_ref<double>(s, x.data(), w.data(), b.data(), t.y.data(), work.data());
  conv2d_backward_ref<double>(s, x.data(), w.data(), dy.data(), t.dx.data(), t.dw.data(),
                              t.db.data(), work.data());
  return t;
}

// The three ways to run a convolution on the device.
enum class Impl { Dispatch, Im2col, Im2colChunks };
const char* impl_name(Impl i) {
  return i == Impl::Dispatch ? "dispatch" : i == Impl::Im2col ? "im2col" : "im2col in chunks of 2";
}
int64_t max_chunk(Impl i) { return i == Impl::Im2colChunks ? 2 : 0; }

size_t workspace_bytes(cuda::Context& ctx, const Conv2dShape& s, Impl i) {
  return i == Impl::Dispatch ? cuda::conv2d_workspace_bytes(ctx, s)
                             : cuda::conv2d_im2col_workspace_bytes(s, max_chunk(i));
}
void forward(cuda::Context& ctx, const Conv2dShape& s, Impl i, const float* x, const float* w,
             const float* b, float* y, Workspace ws) {
  if (i == Impl::Dispatch) {
    cuda::conv2d_forward(ctx, s, x, w, b, y, ws);
  } else {
    cuda::conv2d_im2col_forward(ctx, s, x, w, b, y, ws.data, max_chunk(i));
  }
}
void backward(cuda::Context& ctx, const Conv2dShape& s, Impl i, const float* x, const float* w,
              const float* dy, float* dx, float* dw, float* db, Workspace ws) {
  if (i == Impl::Dispatch) {
    cuda::conv2d_backward(ctx, s, x, w, dy, dx, dw, db, ws);
  } else {
    cuda::conv2d_im2col_backward(ctx, s, x, w, dy, dx, dw, db, ws.data, max_chunk(i));
  }
}

// Runs shape s through implementation i and compares everything with the reference.
void check_against_reference(test::CudaTestContext& tc, const Conv2dShape& s, const Tensors& t,
                             Impl i) {
  SCOPED_TRACE(std::string(impl_name(i)) + " " + shape_str(s));
  cuda::Context& ctx = tc.ctx;
  // Exactly the advertised workspace, every byte 0xFF (a float NaN): reading it before writing it,
  // or needing more of it, shows up as NaN outputs (or, under compute-sanitizer, as an error).
  DeviceVector<uint8_t> ws(ctx.stream, workspace_bytes(ctx, s, i), 0xFF);
  DeviceVector<float> x(ctx.stream, t.x), w(ctx.stream, t.w), b(ctx.stream, t.b), dy(ctx.stream, t.dy);
  DeviceVector<float> y(ctx.stream, nans<float>(t.y.size())), dx(ctx.stream, nans<float>(t.dx.size()));
  DeviceVector<float> dw(ctx.stream, nans<float>(t.dw.size())), db(ctx.stream, nans<float>(t.db.size()));
  forward(ctx, s, i, x.get(), w.get(), b.get(), y.get(), ws.workspace());
  backward(ctx, s, i, x.get(), w.get(), dy.get(), dx.get(), dw.get(), db.get(), ws.workspace());
  const auto gy = y.host(), gdx = dx.host(), gdw = dw.host(), gdb = db.host();
  const int64_t ohw = s.oh() * s.ow();
  expect_finite_nonzero(gy, "y");
  expect_finite_nonzero(gdx, "dx");
  expect_finite_nonzero(gdw, "dw");
  expect_finite_nonzero(gdb, "db");
  expect_float_close(gy, t.y, s.c * s.kh * s.kw + 1, "y");
  expect_float_close(gdx, t.dx, s.f * s.kh * s.kw, "dx");
  expect_float_close(gdw, t.dw, s.n * ohw, "dw");
  expect_float_close(gdb, t.db, s.n * ohw, "db");

  // nullptr dx and db are skipped; dw is still overwritten.
  DeviceVector<float> dw2(ctx.stream, nans<float>(t.dw.size()));
  backward(ctx, s, i, x.get(), w.get(), dy.get(), nullptr, dw2.get(), nullptr, ws.workspace());
  const auto gdw2 = dw2.host();
  expect_finite_nonzero(gdw2, "dw (dx, db skipped)");
  expect_float_close(gdw2, t.dw, s.n * ohw, "dw (dx, db skipped)");
}

void run_matches_reference(Impl i) {
  test::CudaTestContext tc;
  for (const Conv2dShape& s : kShapes) check_against_reference(tc, s, make_reference(s), i);
}

std::vector<uint32_t> bits_of(const std::vector<float>& v) {
  std::vector<uint32_t> b(v.size());
  if (!v.empty()) std::memcpy(b.data(), v.data(), v.size() * sizeof(float));
  return b;
}

void run_plan_cache() {
  test::CudaTestContext tc;
  cuda::Context& ctx = tc.ctx;
  const Conv2dShape s{5, 3, 13, 11, 7, 3, 3, 2, 1};  // used by no other test in this file
  const size_t before = cuda::conv2d_plan_cache_size();
  const size_t ws_first = cuda::conv2d_workspace_bytes(ctx, s);
  const size_t after_first = cuda::conv2d_plan_cache_size();
#ifdef GD_HAVE_CUDNN
  EXPECT_EQ(after_first, before + 1) << "planning a new shape adds exactly one plan";
#else
  EXPECT_EQ(after_first, 0u) << "builds without cuDNN have nothing to plan";
  EXPECT_EQ(before, 0u);
#endif
  const std::string plan = cuda::conv2d_plan_description(ctx, s);
  std::cout << "[ plan     ] " << plan << std::endl;

  const Tensors t = make_reference(s);
  DeviceVector<uint8_t> ws(ctx.stream, ws_first, 0xFF);
  DeviceVector<float> x(ctx.stream, t.x), w(ctx.stream, t.w), b(ctx.stream, t.b), dy(ctx.stream, t.dy);
  std::vector<std::vector<float>> ys, dxs, dws;
  for (int rep = 0; rep < 2; ++rep) {
    DeviceVector<float> y(ctx.stream, nans<float>(t.y.size())), dx(ctx.stream, nans<float>(t.dx.size())),
        dw(ctx.stream, nans<float>(t.dw.size())), db(ctx.stream, nans<float>(t.db.size()));
    cuda::conv2d_forward(ctx, s, x.get(), w.get(), b.get(), y.get(), ws.workspace());
    cuda::conv2d_backward(ctx, s, x.get(), w.get(), dy.get(), dx.get(), dw.get(), db.get(),
                          ws.workspace());
    ys.push_back(y.host());
    dxs.push_back(dx.host());
    dws.push_back(dw.host());
  }
  // The second call of the same shape found the plan: no new entry, same workspace, same plan.
  EXPECT_EQ(cuda::conv2d_plan_cache_size(), after_first);
  EXPECT_EQ(cuda::conv2d_workspace_bytes(ctx, s), ws_first);
  EXPECT_EQ(cuda::conv2d_plan_description(ctx, s), plan);
  // Same plan, same inputs: bit-identical results (plans take deterministic algorithms only).
  expect_finite_nonzero(ys[0], "y");
  EXPECT_EQ(bits_of(ys[0]), bits_of(ys[1])) << "forward differs between two calls";
  expect_float_close(ys[1], t.y, s.c * s.kh * s.kw + 1, "y (second call)");
  EXPECT_EQ(bits_of(dxs[0]), bits_of(dxs[1])) << "backward-data differs between two calls";
  EXPECT_EQ(bits_of(dws[0]), bits_of(dws[1])) << "backward-filter differs between two calls";
  expect_float_close(dws[1], t.dw, s.n * s.oh() * s.ow(), "dw (second call)");
}

// The workspace is sized once for the largest batch; every smaller batch (the short last batch,
// evaluation tails) runs inside exactly that many bytes, pre-filled with NaN, and still matches the
// reference (under compute-sanitizer memcheck an overrun is an error). A capacity too small even for
// the im2col path of one sample throws instead of writing past the buffer.
void run_smaller_batches_in_the_max_batch_workspace() {
  test::CudaTestContext tc;
  cuda::Context& ctx = tc.ctx;
  for (const Conv2dShape& conv : {Conv2dShape{256, 32, 26, 26, 64, 3, 3, 1, 0}, Conv2dShape{256, 1, 28, 28, 32, 3, 3, 1, 0}}) {
    const size_t capacity = cuda::conv2d_workspace_bytes(ctx, conv);
    std::cout << "[ plan     ] max batch: " << cuda::conv2d_plan_description(ctx, conv) << std::endl;
    DeviceVector<uint8_t> ws(ctx.stream, capacity, 0xFF);
    for (int64_t n : {int64_t{1}, int64_t{37}, int64_t{100}, conv.n - 1}) {
      Conv2dShape s = conv;
      s.n = n;
      SCOPED_TRACE(shape_str(s) + " in " + std::to_string(capacity) + " bytes");
      std::cout << "[ plan     ] batch " << n << ": " << cuda::conv2d_plan_description(ctx, s) << std::endl;
      const Tensors t = make_reference(s);
      DeviceVector<float> x(ctx.stream, t.x), w(ctx.stream, t.w), b(ctx.stream, t.b), dy(ctx.stream, t.dy);
      DeviceVector<float> y(ctx.stream, nans<float>(t.y.size())), dx(ctx.stream, nans<float>(t.dx.size()));
      DeviceVector<float> dw(ctx.stream, nans<float>(t.dw.size())), db(ctx.stream, nans<float>(t.db.size()));
      cuda::conv2d_forward(ctx, s, x.get(), w.get(), b.get(), y.get(), ws.workspace());
      cuda::conv2d_backward(ctx, s, x.get(), w.get(), dy.get(), dx.get(), dw.get(), db.get(), ws.workspace());
      expect_float_close(y.host(), t.y, s.c * s.kh * s.kw + 1, "y");
      expect_float_close(dx.host(), t.dx, s.f * s.kh * s.kw, "dx");
      expect_float_close(dw.host(), t.dw, s.n * s.oh() * s.ow(), "dw");
    }
  }
  const Conv2dShape big{8, 32, 26, 26, 64, 3, 3, 1, 0};
  DeviceVector<uint8_t> tiny(ctx.stream, 16, 0xFF);
  DeviceVector<float> x(ctx.stream, 8 * 32 * 26 * 26), w(ctx.stream, 64 * 32 * 9), y(ctx.stream, 8 * 64 * 24 * 24);
  // A 16-byte workspace: cuDNN may have a workspace-free algorithm (then it runs); if it has none,
  // the im2col columns of one sample (about 650 KB) cannot fit, and the call must throw.
  try {
    cuda::conv2d_forward(ctx, big, x.get(), w.get(), nullptr, y.get(), tiny.workspace());
    const std::string plan = cuda::conv2d_plan_description(ctx, big);
    EXPECT_EQ(plan.find("im2col"), std::string::npos) << "ran im2col in 16 bytes: " << plan;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("16 bytes"), std::string::npos) << e.what();
  }
}

#endif  // GD_HAVE_CUDA

TEST(CudaConv2d, DispatchMatchesReference) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  std::cout << "[ impl     ] " << cuda::conv2d_implementation() << std::endl;
  run_matches_reference(Impl::Dispatch);
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

TEST(CudaConv2d, Im2colPathMatchesReference) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  run_matches_reference(Impl::Im2col);
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

TEST(CudaConv2d, Im2colPathInSeveralChunksMatchesReference) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  run_matches_reference(Impl::Im2colChunks);
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

TEST(CudaConv2d, SmallerBatchesRunWithinTheWorkspaceSizedForTheLargest) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  run_smaller_batches_in_the_max_batch_workspace();
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

TEST(CudaConv2d, PlansEachShapeOnceAndReusesThePlan) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  run_plan_cache();
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

// Needs no device: the implementation's name comes from the library version alone.
TEST(CudaConv2d, NamesItsImplementation) {
#ifdef GD_HAVE_CUDA
  const std::string impl = cuda::conv2d_implementation();
#ifdef GD_HAVE_CUDNN
  EXPECT_EQ(impl.rfind("cuDNN " + std::to_string(CUDNN_MAJOR) + ".", 0), 0u) << impl;
#else
  EXPECT_EQ(impl, "im2col+cuBLAS");
#endif
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

// Shape checks run on the host before any CUDA call, so this needs no device.
TEST(CudaConv2d, RejectsBadShapesBeforeTouchingTheDevice) {
#ifdef GD_HAVE_CUDA
  cuda::Context ctx;  // no stream or handles: the checks must throw before using them
  float dummy = 0.0f;
  const Conv2dShape too_big_kernel{1, 1, 2, 2, 1, 5, 5, 1, 0};
  const Conv2dShape zero_stride{1, 1, 4, 4, 1, 3, 3, 0, 0};
  EXPECT_THROW(cuda::conv2d_workspace_bytes(ctx, too_big_kernel), ShapeError);
  EXPECT_THROW(cuda::conv2d_im2col_workspace_bytes(zero_stride), ShapeError);
  EXPECT_THROW(cuda::conv2d_forward(ctx, zero_stride, &dummy, &dummy, &dummy, &dummy, Workspace{&dummy, 4}),
               ShapeError);
  EXPECT_THROW(cuda::conv2d_backward(ctx, too_big_kernel, &dummy, &dummy, &dummy, nullptr, &dummy,
                                     nullptr, Workspace{&dummy, 4}),
               ShapeError);
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

}  // namespace
}  // namespace gd
