// The math precision modes of the CUDA backend (ctest label "cuda"; docs/precision.md): FP32, TF32
// and BF16 dense forward/backward, convolution forward/backward (cuDNN where the build has it),
// the im2col convolution path and the locally connected layer, each against a double reference on
// random inputs in [-1, 1) with reduction lengths around 1000. For every output:
//   - fp32 stays within the float rule of cuda_dense_test.cpp (test::expect_float_close);
//   - tf32 and bf16 stay within the bound derived below;
//   - the tensor-core modes took effect: their largest error is more than 10x fp32's (on devices
//     with TF32/BF16 tensor cores, compute capability >= 8.0, and unless NVIDIA_TF32_OVERRIDE=0);
//   - switching back to fp32 gives bit-identical fp32 results.
// Plus: CudaBackend::set_math_precision reaches the launchers. Skips, saying why, without a device.
//
// Tolerance of the tensor-core modes. An output is y = sum_k t_k with t_k = a_k b_k over K terms.
// The tensor cores read a_k (1 + da_k) and b_k (1 + db_k), where |da|, |db| <= u: the unit
// roundoff of the input format, u = 2^-11 for TF32 (10 explicit mantissa bits) and 2^-8 for BF16
// (7 bits) with round-to-nearest; a truncating conversion has errors in [0, 2u). Products and sums
// are FP32, so to first order the error is e = sum_k t_k (da_k + db_k). The rounding errors of
// different terms are independent, so e grows like a random walk, with sqrt(K) rather than K:
//   round-to-nearest: std(e) = sqrt(2/3) u sqrt(E),      E = sum_k t_k^2 = K * rms_k(|a_k||b_k|)^2;
//   truncation: e = -2u y + a zero-mean part of std 0.82 u sqrt(E), and |y| ~ sqrt(E) for random
//   signs.
// Over ~10^5 outputs the largest |y| / sqrt(E) and the largest Gaussian deviate are about 4.5, so
// the worst error is at most about 3.7 u sqrt(E) (round-to-nearest) or 9-10 u sqrt(E)
// (truncation); a CPU simulation of 65,536 dot products of K = 1024 such inputs gave 2.9 and 6.3.
// The test allows kSafety = 16 times u sqrt(E) per output, E computed exactly (the reference op
// applied to the squared inputs), plus the FP32 rule for the accumulation and the bias add. A
// wrong index or transpose is off by O(sqrt(E)), 1/(16u) = 128 (TF32) or 16 (BF16) times that
// bound. The guard: FP32's worst error here is at most ~1e-4 (sqrt(K) eps_f32 scale), TF32's
// ~1e-2 (the simulation: 7e-5 for a sequential FP32 sum, 1.5e-2 for TF32): a factor of 100 or
// more; 10x leaves room and still fails if a mode silently ran FP32. cuBLAS documents
// CUBLAS_COMPUTE_32F_FAST_16BF as allowing BF16 or TF32 inputs, and cuDNN convolutions in bf16 mode
// run as TF32, so bf16 is held to the BF16 bound and the same 10x guard, not to being worse than
// tf32.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "engine/core/math_precision.h"
#include "engine/ops/conv2d.h"
#include "engine/ops/dense.h"
#include "engine/ops/lc2d.h"
#include "tests/support/cuda_test_util.h"
#include "tests/support/test_support.h"

#ifdef GD_HAVE_CUDA
#include "kernels/conv2d_info.h"
#include "kernels/cuda_backend.h"
#include "kernels/cuda_ops.h"
#endif

namespace gd {
namespace {

#ifdef GD_HAVE_CUDA

using test::DeviceVector;
using test::nans;
using test::widen;

constexpr MathPrecision kModes[] = {MathPrecision::FP32, MathPrecision::TF32, MathPrecision::BF16};
constexpr double kSafety = 16.0;  // see the file comment
constexpr double kGuardFactor = 10.0;

// Unit roundoff of the format the tensor cores read in mode p.
double unit_roundoff(MathPrecision p) {
  return p == MathPrecision::BF16 ? std::ldexp(1.0, -8) : std::ldexp(1.0, -11);
}

// Whether TF32/BF16 must show up in the results: a device with such tensor cores, and TF32 not
// disabled process-wide by NVIDIA's override variable.
bool tensor_cores_expected(std::string* why) {
  int dev = 0, major = 0, minor = 0;
  GD_CUDA_CHECK(cudaGetDevice(&dev));
  GD_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev));
  GD_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev));
  if (major < 8) {
    *why = "compute capability " + std::to_string(major) + "." + std::to_string(minor) +
           " has no TF32/BF16 tensor cores";
    return false;
  }
  const char* override_env = std::getenv("NVIDIA_TF32_OVERRIDE");
  if (override_env && std::string(override_env) == "0") {
    *why = "NVIDIA_TF32_OVERRIDE=0 disables TF32";
    return false;
  }
  return true;
}

std::vector<double> squares(const std::vector<float>& v) {
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = double(v[i]) * double(v[i]);
  return out;
}

std::vector<uint32_t> bits_of(const std::vector<float>& v) {
  std::vector<uint32_t> b(v.size());
  if (!v.empty()) std::memcpy(b.data(), v.data(), v.size() * sizeof(float));
  return b;
}

// The expected values of one output tensor.
struct Expected {
  std::string name;
  std::vector<double> value;   // double reference on the float inputs
  std::vector<double> energy;  // per output: E = sum of its squared terms (see the file comment)
  int64_t len = 0;             // reduction length (+1 where a bias is added)
  bool gemm = true;            // computed by a GEMM/convolution (false: FP32 kernels in every mode)
  bool deterministic = true;   // two runs in the same mode must agree bit for bit
  bool guard = true;           // check that tf32/bf16 took effect (gemm outputs only)
};

// One op run in ctx.precision: returns its outputs in the order of its Expected list.
using RunFn = std::function<std::vector<std::vector<float>>(cuda::Context&)>;

// Checks `got` against e in mode p (the bound of the file comment); returns max |got - want|.
double check_output(const std::vector<float>& got, const Expected& e, MathPrecision p) {
  const std::string what = e.name + " (" + math_precision_name(p) + ")";
  test::expect_finite_nonzero(got, what.c_str());
  EXPECT_EQ(got.size(), e.value.size()) << what;
  if (got.size() != e.value.size()) return 0.0;
  double worst = 0.0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - e.value[i]));
  if (p == MathPrecision::FP32 || !e.gemm) {
    test::expect_float_close(got, e.value, e.len, what.c_str());
    return worst;
  }
  double ss = 0.0;
  for (double v : e.value) ss += v * v;
  const double float_part =
      test::float_tolerance(e.len) * std::max(1.0, std::sqrt(ss / double(e.value.size())));
  const double u = unit_roundoff(p);
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::abs(got[i] - e.value[i]);
    const double tol = kSafety * u * std::sqrt(e.energy[i]) + float_part;
    if (!(err <= tol)) {
      ADD_FAILURE() << what << " at " << i << ": got " << got[i] << ", want " << e.value[i]
                    << ", error " << err << " > bound " << tol << " (reduction length " << e.len
                    << ", sqrt(E) " << std::sqrt(e.energy[i]) << ")";
      break;
    }
  }
  return worst;
}

// Runs `run` in fp32, tf32, bf16 and fp32 again; checks every output in every mode, the
// bit-identical return to fp32, and that the tensor-core modes took effect.
void check_modes(cuda::Context& ctx, const std::string& op, const std::vector<Expected>& expected,
                 const RunFn& run) {
  SCOPED_TRACE(op);
  std::vector<std::vector<std::vector<float>>> results;  // [mode][output]
  std::vector<std::vector<double>> worst;                // [mode][output]
  for (MathPrecision p : kModes) {
    ctx.precision = p;
    results.push_back(run(ctx));
    ASSERT_EQ(results.back().size(), expected.size());
    worst.emplace_back();
    for (size_t i = 0; i < expected.size(); ++i) {
      worst.back().push_back(check_output(results.back()[i], expected[i], p));
      std::cout << "[ " << math_precision_name(p) << "     ] " << op << " " << expected[i].name
                << ": max error " << worst.back()[i] << std::endl;
    }
  }
  ctx.precision = MathPrecision::FP32;
  const auto again = run(ctx);
  ASSERT_EQ(again.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    if (!expected[i].deterministic) continue;
    EXPECT_EQ(bits_of(again[i]), bits_of(results[0][i]))
        << expected[i].name << ": fp32 after tf32/bf16 differs from the first fp32 run";
  }
  std::string why;
  if (!tensor_cores_expected(&why)) {
    std::cout << "[ note     ] not checking that tf32/bf16 took effect: " << why << std::endl;
    return;
  }
  for (size_t m = 1; m < results.size(); ++m) {
    for (size_t i = 0; i < expected.size(); ++i) {
      if (!expected[i].gemm || !expected[i].guard) continue;
      EXPECT_GT(worst[m][i], kGuardFactor * worst[0][i])
          << expected[i].name << " in " << math_precision_name(kModes[m])
          << " is as accurate as fp32: the tensor-core mode did not take effect";
    }
  }
}

// ---- dense --------------------------------------------------------------------------------------

void run_dense() {
  test::CudaTestContext tc;
  const DenseShape s{128, 1024, 64};  // n, k, m: y reduces over K = 1024, dx over M, dw over N
  const auto x = test::random_floats(s.n * s.k, 31), w = test::random_floats(s.m * s.k, 32);
  const auto b = test::random_floats(s.m, 33), dy = test::random_floats(s.n * s.m, 34);

  std::vector<Expected> e(4);
  e[0] = {"y", std::vector<double>(s.n * s.m), std::vector<double>(s.n * s.m), s.k + 1};
  e[1] = {"dx", std::vector<double>(s.n * s.k), std::vector<double>(s.n * s.k), s.m};
  e[2] = {"dw", std::vector<double>(s.m * s.k), std::vector<double>(s.m * s.k), s.n};
  e[3] = {"db", std::vector<double>(s.m), std::vector<double>(s.m), s.n, false};
  {
    const auto xd = widen(x), wd = widen(w), bd = widen(b), dyd = widen(dy);
    dense_forward_ref<double>(s, xd.data(), wd.data(), bd.data(), e[0].value.data());
    dense_backward_ref<double>(s, xd.data(), wd.data(), dyd.data(), e[1].value.data(),
                               e[2].value.data(), e[3].value.data());
    const auto x2 = squares(x), w2 = squares(w), dy2 = squares(dy);
    const std::vector<double> zero_bias(s.m, 0.0);
    dense_forward_ref<double>(s, x2.data(), w2.data(), zero_bias.data(), e[0].energy.data());
    dense_backward_ref<double>(s, x2.data(), w2.data(), dy2.data(), e[1].energy.data(),
                               e[2].energy.data(), e[3].energy.data());
  }

  DeviceVector<float> gx(tc.ctx.stream, x), gw(tc.ctx.stream, w), gb(tc.ctx.stream, b), gdy(tc.ctx.stream, dy);
  check_modes(tc.ctx, "dense", e, [&](cuda::Context& ctx) {
    DeviceVector<float> y(ctx.stream, nans<float>(s.n * s.m)), dx(ctx.stream, nans<float>(s.n * s.k));
    DeviceVector<float> dw(ctx.stream, nans<float>(s.m * s.k)), db(ctx.stream, nans<float>(s.m));
    cuda::dense_forward(ctx, s, gx.get(), gw.get(), gb.get(), y.get());
    cuda::dense_backward(ctx, s, gx.get(), gw.get(), gdy.get(), dx.get(), dw.get(), db.get());
    return std::vector<std::vector<float>>{y.host(), dx.host(), dw.host(), db.host()};
  });
}

// ---- convolution --------------------------------------------------------------------------------

// y reduces over C*KH*KW = 1008, dx over F*KH*KW = 288, dw and db over N*OH*OW = 800.
const Conv2dShape kConv{8, 112, 10, 10, 32, 3, 3, 1, 1};

struct ConvData {
  std::vector<float> x, w, b, dy;
  std::vector<Expected> fwd, bwd;  // y; dx, dw, db
};

ConvData make_conv_data(const Conv2dShape& s) {
  const int64_t xs = s.n * s.c * s.h * s.w, ws = s.f * s.c * s.kh * s.kw,
                ys = s.n * s.f * s.oh() * s.ow(), ohw = s.oh() * s.ow();
  ConvData d;
  d.x = test::random_floats(xs, 41);
  d.w = test::random_floats(ws, 42);
  d.b = test::random_floats(s.f, 43);
  d.dy = test::random_floats(ys, 44);
  d.fwd = {{"y", std::vector<double>(ys), std::vector<double>(ys), s.c * s.kh * s.kw + 1}};
  d.bwd = {{"dx", std::vector<double>(xs), std::vector<double>(xs), s.f * s.kh * s.kw},
           {"dw", std::vector<double>(ws), std::vector<double>(ws), s.n * ohw},
           {"db", std::vector<double>(s.f), std::vector<double>(s.f), s.n * ohw, false}};
  std::vector<double> work(conv2d_workspace_elems(s));
  const auto x = widen(d.x), w = widen(d.w), b = widen(d.b), dy = widen(d.dy);
  conv2d_forward_ref<double>(s, x.data(), w.data(), b.data(), d.fwd[0].value.data(), work.data());
  conv2d_backward_ref<double>(s, x.data(), w.data(), dy.data(), d.bwd[0].value.data(),
                              d.bwd[1].value.data(), d.bwd[2].value.data(), work.data());
  const auto x2 = squares(d.x), w2 = squares(d.w), dy2 = squares(d.dy);
  const std::vector<double> zero_bias(s.f, 0.0);
  conv2d_forward_ref<double>(s, x2.data(), w2.data(), zero_bias.data(), d.fwd[0].energy.data(),
                             work.data());
  conv2d_backward_ref<double>(s, x2.data(), w2.data(), dy2.data(), d.bwd[0].energy.data(),
                              d.bwd[1].energy.data(), d.bwd[2].energy.data(), work.data());
  return d;
}

// Whether the cuDNN plan described by `plan` runs direction `key` ("bwd_data=", "bwd_filter=") with
// an algorithm reporting tensor-op math; true for plans on the im2col path (cuBLAS GEMMs).
bool direction_uses_tensor_ops(const std::string& plan, const std::string& key) {
  const size_t at = plan.find(key);
  if (at == std::string::npos) return true;
  const size_t end = plan.find('=', at + key.size());  // the next direction's or workspace's '='
  return plan.substr(at, end == std::string::npos ? std::string::npos : end - at)
             .find("(tensor-op)") != std::string::npos;
}

// Through the dispatching launchers (cuDNN where the build has it), with the workspace each mode's
// plan asks for. The forward pass must show the tensor-core modes' effect; a backward direction
// must where its plan reports a tensor-op algorithm (cuDNN may offer none for a direction).
void run_conv_dispatch() {
  test::CudaTestContext tc;
  const Conv2dShape& s = kConv;
  ConvData d = make_conv_data(s);
  // Backward is bit-identical between runs unless the fp32 plan had to take a non-deterministic
  // algorithm (as in cuda_conv2d_test.cpp).
  tc.ctx.precision = MathPrecision::FP32;
  const std::string fp32_plan = cuda::conv2d_plan_description(tc.ctx, s);
  const bool deterministic = fp32_plan.find("non-deterministic") == std::string::npos;
  for (Expected& e : d.bwd) e.deterministic = deterministic;
  for (MathPrecision p : kModes) {
    tc.ctx.precision = p;
    const std::string plan = cuda::conv2d_plan_description(tc.ctx, s);
    std::cout << "[ plan     ] " << math_precision_name(p) << ": " << plan << std::endl;
    if (p != MathPrecision::FP32) {
      d.bwd[0].guard = d.bwd[0].guard && direction_uses_tensor_ops(plan, "bwd_data=");
      d.bwd[1].guard = d.bwd[1].guard && direction_uses_tensor_ops(plan, "bwd_filter=");
    }
#ifdef GD_HAVE_CUDNN
    if (p != MathPrecision::FP32) {
      EXPECT_NE(plan.find(std::string("precision=") + math_precision_name(p)), std::string::npos)
          << plan;
    } else {
      EXPECT_EQ(plan.find("precision="), std::string::npos) << plan;
    }
#endif
  }
  tc.ctx.precision = MathPrecision::FP32;
  for (const Expected& e : d.bwd) {
    if (e.gemm && !e.guard)
      std::cout << "[ note     ] " << e.name << ": cuDNN chose no tensor-op algorithm for it; not "
                << "checking that tf32/bf16 took effect there" << std::endl;
  }

  std::vector<Expected> all = d.fwd;
  all.insert(all.end(), d.bwd.begin(), d.bwd.end());
  DeviceVector<float> gx(tc.ctx.stream, d.x), gw(tc.ctx.stream, d.w), gb(tc.ctx.stream, d.b), gdy(tc.ctx.stream, d.dy);
  check_modes(tc.ctx, "conv2d", all, [&](cuda::Context& ctx) {
    DeviceVector<uint8_t> ws(ctx.stream, std::max<size_t>(cuda::conv2d_workspace_bytes(ctx, s), 1), 0xFF);
    DeviceVector<float> y(ctx.stream, nans<float>(all[0].value.size())), dx(ctx.stream, nans<float>(all[1].value.size()));
    DeviceVector<float> dw(ctx.stream, nans<float>(all[2].value.size())), db(ctx.stream, nans<float>(all[3].value.size()));
    cuda::conv2d_forward(ctx, s, gx.get(), gw.get(), gb.get(), y.get(), ws.workspace());
    cuda::conv2d_backward(ctx, s, gx.get(), gw.get(), gdy.get(), dx.get(), dw.get(), db.get(),
                          ws.workspace());
    return std::vector<std::vector<float>>{y.host(), dx.host(), dw.host(), db.host()};
  });
}

// The im2col + cuBLAS path (the fallback on cuDNN builds): its GEMMs follow the mode, BF16 too.
void run_conv_im2col() {
  test::CudaTestContext tc;
  const Conv2dShape& s = kConv;
  const ConvData d = make_conv_data(s);
  DeviceVector<float> gx(tc.ctx.stream, d.x), gw(tc.ctx.stream, d.w), gb(tc.ctx.stream, d.b);
  DeviceVector<uint8_t> ws(tc.ctx.stream, cuda::conv2d_im2col_workspace_bytes(s), 0xFF);
  check_modes(tc.ctx, "conv2d im2col", d.fwd, [&](cuda::Context& ctx) {
    DeviceVector<float> y(ctx.stream, nans<float>(d.fwd[0].value.size()));
    cuda::conv2d_im2col_forward(ctx, s, gx.get(), gw.get(), gb.get(), y.get(), ws.get());
    return std::vector<std::vector<float>>{y.host()};
  });
}

// ---- locally connected --------------------------------------------------------------------------

void run_lc2d() {
  test::CudaTestContext tc;
  Lc2dShape s;  // y reduces over R = C*KH*KW = 1008, one strided-batched GEMM over 16 positions
  s.n = 32;
  s.c = 112;
  s.h = s.w = 6;
  s.f = 16;
  s.kh = s.kw = 3;
  const int64_t xs = s.n * s.c * s.h * s.w, ws = s.positions() * s.f * s.receptive(),
                bs = s.f * s.positions(), ys = s.n * s.f * s.positions();
  const auto x = test::random_floats(xs, 51), w = test::random_floats(ws, 52);
  const auto b = test::random_floats(bs, 53);
  std::vector<Expected> e = {
      {"y", std::vector<double>(ys), std::vector<double>(ys), s.receptive() + 1}};
  std::vector<double> work(lc2d_workspace_elems(s));
  const auto xd = widen(x), wd = widen(w), bd = widen(b);
  lc2d_forward_ref<double>(s, xd.data(), wd.data(), bd.data(), e[0].value.data(), work.data());
  const auto x2 = squares(x), w2 = squares(w);
  const std::vector<double> zero_bias(bs, 0.0);
  lc2d_forward_ref<double>(s, x2.data(), w2.data(), zero_bias.data(), e[0].energy.data(),
                           work.data());

  DeviceVector<float> gx(tc.ctx.stream, x), gw(tc.ctx.stream, w), gb(tc.ctx.stream, b);
  DeviceVector<uint8_t> gws(tc.ctx.stream, cuda::lc2d_workspace_bytes(s), 0xFF);
  check_modes(tc.ctx, "lc2d", e, [&](cuda::Context& ctx) {
    DeviceVector<float> y(ctx.stream, nans<float>(ys));
    cuda::lc2d_forward(ctx, s, gx.get(), gw.get(), gb.get(), y.get(), gws.get());
    return std::vector<std::vector<float>>{y.host()};
  });
}

// ---- the backend --------------------------------------------------------------------------------

void run_backend() {
  CudaBackend be;
  EXPECT_EQ(be.math_precision(), MathPrecision::FP32) << "the default must be fp32";
  const DenseShape s{64, 1024, 64};
  const auto x = test::random_floats(s.n * s.k, 61), w = test::random_floats(s.m * s.k, 62);
  const auto b = test::random_floats(s.m, 63);
  Tensor tx = be.empty(Shape{s.n * s.k}), tw = be.empty(Shape{s.m * s.k});
  Tensor tb = be.empty(Shape{s.m});
  Tensor ty = be.empty(Shape{s.n * s.m});
  be.copy_from_host(tx.data(), x.data(), x.size() * sizeof(float));
  be.copy_from_host(tw.data(), w.data(), w.size() * sizeof(float));
  be.copy_from_host(tb.data(), b.data(), b.size() * sizeof(float));
  auto forward = [&] {
    be.dense_forward(s, tx.data(), tw.data(), tb.data(), ty.data());
    std::vector<float> y(s.n * s.m);
    be.copy_to_host(y.data(), ty.data(), y.size() * sizeof(float));
    return y;
  };
  const auto first = forward();
  for (MathPrecision p : {MathPrecision::TF32, MathPrecision::BF16}) {
    be.set_math_precision(p);
    EXPECT_EQ(be.math_precision(), p);
    EXPECT_EQ(be.context().precision, p) << "the launchers read the mode from the context";
    const auto y = forward();
    std::string why;
    if (tensor_cores_expected(&why)) {
      EXPECT_NE(bits_of(y), bits_of(first))
          << math_precision_name(p) << " through the backend gave the fp32 bits";
    }
  }
  be.set_math_precision(MathPrecision::FP32);
  EXPECT_EQ(bits_of(forward()), bits_of(first)) << "fp32 after tf32/bf16 differs";
}

#endif  // GD_HAVE_CUDA

TEST(CudaPrecision, DenseModesWithinTheirBounds) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  run_dense();
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

TEST(CudaPrecision, ConvolutionModesWithinTheirBounds) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  run_conv_dispatch();
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

TEST(CudaPrecision, Im2colConvolutionModesWithinTheirBounds) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  run_conv_im2col();
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

TEST(CudaPrecision, LocallyConnectedModesWithinTheirBounds) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  run_lc2d();
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

TEST(CudaPrecision, BackendSetsTheModeOfItsLaunchers) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  run_backend();
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

}  // namespace
}  // namespace gd
