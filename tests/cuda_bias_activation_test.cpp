// CUDA fused bias + activation (kernels/bias_activation.cu) against the CPU reference and against
// the unfused CUDA composition (ctest label "cuda"): forward and backward for every fusable
// activation on awkward (outer, channels, inner) shapes (outer 1, 33, 257; inner 1 and 7x5; one past
// a warp and a column tile), with and without bias and db, in place (dpre == dy); the dense, conv2d
// (cuDNN dispatch and im2col) and lc2d forwards with b == nullptr; fused and unfused networks on the
// CUDA backend; GELU and bad extents rejected before any device call. Skips, saying why, without a
// device or without CUDA.
//
// Tolerances. Against the CPU reference: the forward evaluates the same float formula with CUDA's
// tanhf/expf/expm1f (within 2 ulp) instead of glibc's, and the backward the same products, possibly
// contracted to FMAs differently: |d| <= 16 eps_f32 (1 + |ref|), as tests/cuda_elementwise_test.cpp
// (ReLU is a compare and a select: exact). db against a double sum of the kernel's own dpre: only the
// final rounding and the double sum's, |d| <= eps_f32/2 |sum| + L eps_f64 sum|dpre|, L = outer*inner.
// Against the unfused CUDA kernels (add_channel_bias + activation_forward; activation_backward +
// channel_bias_grad): the same float operations and, for db, the same block geometry and summation
// order, so the same bits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/ops/bias_activation.h"
#include "engine/ops/conv2d.h"
#include "engine/ops/dense.h"
#include "engine/ops/lc2d.h"
#include "tests/support/cuda_test_util.h"
#include "tests/support/epilogue_extents.h"
#include "tests/support/test_support.h"

#ifdef GD_HAVE_CUDA
#include "engine/graph/network.h"
#include "engine/model/spec.h"
#include "engine/ops/softmax_xent.h"
#include "engine/optim/init.h"
#include "engine/train/model_io.h"
#include "kernels/bias.cuh"
#include "kernels/conv2d_info.h"
#include "kernels/cuda_backend.h"
#include "kernels/cuda_ops.h"
#endif

namespace gd {
namespace {

#ifdef GD_HAVE_CUDA

using test::DeviceVector;
using test::nans;

using test::Extents;
using test::kFusable;
// Outer 1, 33, 257; inner 1 (dense, lc2d: the column kernel) and 7x5 (conv2d: the channel kernel);
// 33 and 65 channels are one past a 32-column tile; (257, 2304, 1) is the lcnn's first layer's
// bias (16 x 12 x 12 outputs) at batch 257.
const Extents kShapes[] = {{1, 5, 1},   {33, 33, 1}, {257, 3, 1},  {1, 4, 35},
                           {33, 7, 35}, {257, 65, 1}, {257, 4, 35}, {257, 2304, 1}};

constexpr double kEpsF = std::numeric_limits<float>::epsilon();
constexpr double kActTol = 16 * kEpsF;

std::vector<float> values(int64_t n, uint64_t seed, double lo, double hi) {
  return test::to_float(test::random_vector(static_cast<size_t>(n), seed, lo, hi));
}

int64_t first_difference(const std::vector<float>& a, const std::vector<float>& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return static_cast<int64_t>(i);
  return a.size() == b.size() ? -1 : static_cast<int64_t>(n);
}

void expect_near_act(const std::vector<float>& got, const std::vector<float>& want, Activation a,
                     const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  if (a == Activation::ReLU) {
    EXPECT_EQ(first_difference(got, want), -1) << what << ": relu is exact";
    return;
  }
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_LE(std::abs(double(got[i]) - want[i]), kActTol * (1.0 + std::abs(want[i])))
        << what << " at " << i << ": got " << got[i] << ", want " << want[i];
}

TEST(CudaBiasActivation, ForwardMatchesReferenceAndTheUnfusedKernels) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  for (Activation a : kFusable) {
    for (const Extents& e : kShapes) {
      for (bool with_bias : {true, false}) {
        SCOPED_TRACE(std::string(activation_name(a)) + " " + e.str() + (with_bias ? " bias" : " no bias"));
        const auto pre = values(e.total(), 1 + e.total(), -3.0, 3.0);
        const auto b = values(e.channels, 2 + e.channels, -1.0, 1.0);
        std::vector<float> want = pre;
        bias_activation_forward_ref<float>(a, e.outer, e.channels, e.inner, with_bias ? b.data() : nullptr,
                                           want.data());

        DeviceVector<float> gb(tc.ctx.stream, b), gy(tc.ctx.stream, pre), gu(tc.ctx.stream, pre);
        const float* bp = with_bias ? gb.get() : nullptr;
        cuda::bias_activation_forward(tc.ctx, a, e.outer, e.channels, e.inner, bp, gy.get());
        const auto got = gy.host();
        test::expect_finite_nonzero(got, "y");
        expect_near_act(got, want, a, "fused forward vs reference");

        if (with_bias) cuda::detail::add_channel_bias(tc.ctx.stream, e.outer, e.channels, e.inner, bp, gu.get());
        cuda::activation_forward(tc.ctx, a, e.total(), gu.get(), gu.get());
        EXPECT_EQ(first_difference(got, gu.host()), -1) << "fused forward vs add_channel_bias + activation";
      }
    }
  }
}

TEST(CudaBiasActivation, BackwardMatchesReferenceAndTheUnfusedKernels) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  const double eps_d = std::numeric_limits<double>::epsilon();
  for (Activation a : kFusable) {
    for (const Extents& e : kShapes) {
      SCOPED_TRACE(std::string(activation_name(a)) + " " + e.str());
      const int64_t n = e.total();
      std::vector<float> y(n);
      const auto pre = values(n, 3 + n, -3.0, 3.0);
      activation_forward_ref<float>(a, n, pre.data(), y.data());
      const auto dy = values(n, 4 + n, -1.0, 1.0);
      std::vector<float> want_dpre(n), want_db(e.channels);
      bias_activation_backward_ref<float>(a, e.outer, e.channels, e.inner, y.data(), dy.data(),
                                          want_dpre.data(), want_db.data());

      DeviceVector<float> gy(tc.ctx.stream, y), gdy(tc.ctx.stream, dy), gdpre(tc.ctx.stream, nans<float>(n)), gdb(tc.ctx.stream, nans<float>(e.channels));
      cuda::bias_activation_backward(tc.ctx, a, e.outer, e.channels, e.inner, gy.get(), gdy.get(),
                                     gdpre.get(), gdb.get());
      const auto dpre = gdpre.host(), db = gdb.host();
      test::expect_finite_nonzero(dpre, "dpre");
      test::expect_finite_nonzero(db, "db");
      expect_near_act(dpre, want_dpre, a, "dpre vs reference");
      const int64_t len = e.outer * e.inner;
      for (int64_t c = 0; c < e.channels; ++c) {
        double sum = 0.0, abs_sum = 0.0;
        for (int64_t o = 0; o < e.outer; ++o)
          for (int64_t i = 0; i < e.inner; ++i) {
            const double d = dpre[(o * e.channels + c) * e.inner + i];
            sum += d;
            abs_sum += std::abs(d);
          }
        ASSERT_NEAR(db[c], sum, 0.5 * kEpsF * std::abs(sum) + double(len) * eps_d * abs_sum)
            << "db at channel " << c << " (reduction length " << len << ")";
      }

      // The unfused kernels give the same bits.
      DeviceVector<float> udx(tc.ctx.stream, nans<float>(n)), udb(tc.ctx.stream, nans<float>(e.channels));
      cuda::activation_backward(tc.ctx, a, n, nullptr, gy.get(), gdy.get(), udx.get());
      cuda::detail::channel_bias_grad(tc.ctx.stream, e.outer, e.channels, e.inner, udx.get(), udb.get());
      EXPECT_EQ(first_difference(dpre, udx.host()), -1) << "dpre vs activation_backward";
      EXPECT_EQ(first_difference(db, udb.host()), -1) << "db vs channel_bias_grad";

      // Without db: the element-wise kernel, the same dpre.
      DeviceVector<float> gdpre2(tc.ctx.stream, nans<float>(n));
      cuda::bias_activation_backward(tc.ctx, a, e.outer, e.channels, e.inner, gy.get(), gdy.get(),
                                     gdpre2.get(), nullptr);
      EXPECT_EQ(first_difference(gdpre2.host(), dpre), -1) << "dpre without db";

      // In place: dpre == dy.
      DeviceVector<float> g(tc.ctx.stream, dy), gdb3(tc.ctx.stream, nans<float>(e.channels));
      cuda::bias_activation_backward(tc.ctx, a, e.outer, e.channels, e.inner, gy.get(), g.get(), g.get(),
                                     gdb3.get());
      EXPECT_EQ(first_difference(g.host(), dpre), -1) << "in-place dpre";
      EXPECT_EQ(first_difference(gdb3.host(), db), -1) << "in-place db";
    }
  }
}

// b == nullptr skips the bias on every CUDA forward path: the result matches the double reference
// without bias, and with a bias each output is exactly float(y(nullptr) + b), the property the fused
// epilogue relies on (the bias is one add after the product, in a separate kernel or in lc2d's
// transpose). Tolerance as tests/cuda_dense_test.cpp: float_tolerance(L) with L the products per
// output.
TEST(CudaBiasActivation, ForwardOpsSkipANullBias) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  auto check_bias_add = [](const std::vector<float>& yb, const std::vector<float>& y0,
                           const std::vector<float>& b, int64_t channels, int64_t inner) {
    for (size_t i = 0; i < yb.size(); ++i)
      ASSERT_EQ(yb[i], y0[i] + b[(i / inner) % channels]) << "at " << i;
  };
  for (const DenseShape& s : {DenseShape{33, 784, 128}, DenseShape{1, 13, 5}}) {
    SCOPED_TRACE("dense n=" + std::to_string(s.n) + " k=" + std::to_string(s.k) + " m=" + std::to_string(s.m));
    const auto x = test::random_floats(s.n * s.k, 11), w = test::random_floats(s.m * s.k, 12);
    const auto b = test::random_floats(s.m, 13);
    std::vector<double> want(s.n * s.m);
    const auto xd = test::widen(x), wd = test::widen(w);
    dense_forward_ref<double>(s, xd.data(), wd.data(), nullptr, want.data());
    DeviceVector<float> gx(tc.ctx.stream, x), gw(tc.ctx.stream, w), gb(tc.ctx.stream, b), gy0(tc.ctx.stream, nans<float>(s.n * s.m)), gyb(tc.ctx.stream, nans<float>(s.n * s.m));
    cuda::dense_forward(tc.ctx, s, gx.get(), gw.get(), nullptr, gy0.get());
    cuda::dense_forward(tc.ctx, s, gx.get(), gw.get(), gb.get(), gyb.get());
    const auto y0 = gy0.host();
    test::expect_finite_nonzero(y0, "y");
    test::expect_float_close(y0, want, s.k, "y without bias");
    check_bias_add(gyb.host(), y0, b, s.m, 1);
  }
  const Conv2dShape conv{3, 8, 12, 12, 16, 3, 3, 1, 1};
  const auto cx = test::random_floats(conv.n * conv.c * conv.h * conv.w, 21);
  const auto cw = test::random_floats(conv.f * conv.c * conv.kh * conv.kw, 22);
  const auto cb = test::random_floats(conv.f, 23);
  const int64_t cy = conv.n * conv.f * conv.oh() * conv.ow();
  std::vector<double> cwant(cy), cwork(conv2d_workspace_elems(conv));
  const auto cxd = test::widen(cx), cwd = test::widen(cw);
  conv2d_forward_ref<double>(conv, cxd.data(), cwd.data(), nullptr, cwant.data(), cwork.data());
  for (bool im2col : {false, true}) {
    SCOPED_TRACE(im2col ? "conv2d im2col" : std::string("conv2d dispatch: ") + cuda::conv2d_implementation());
    const size_t bytes = im2col ? cuda::conv2d_im2col_workspace_bytes(conv) : cuda::conv2d_workspace_bytes(tc.ctx, conv);
    DeviceVector<uint8_t> ws(tc.ctx.stream, std::max<size_t>(bytes, 1), 0xFF);
    DeviceVector<float> gx(tc.ctx.stream, cx), gw(tc.ctx.stream, cw), gb(tc.ctx.stream, cb), gy0(tc.ctx.stream, nans<float>(cy)), gyb(tc.ctx.stream, nans<float>(cy));
    auto run = [&](const float* bias, float* out) {
      if (im2col) {
        cuda::conv2d_im2col_forward(tc.ctx, conv, gx.get(), gw.get(), bias, out, ws.get());
      } else {
        cuda::conv2d_forward(tc.ctx, conv, gx.get(), gw.get(), bias, out, ws.workspace());
      }
    };
    run(nullptr, gy0.get());
    run(gb.get(), gyb.get());
    const auto y0 = gy0.host();
    test::expect_finite_nonzero(y0, "y");
    test::expect_float_close(y0, cwant, conv.c * conv.kh * conv.kw, "y without bias");
    check_bias_add(gyb.host(), y0, cb, conv.f, conv.oh() * conv.ow());
  }
  for (const Lc2dShape& s : {Lc2dShape{3, 2, 7, 5, 3, 3, 2, 3, 1}, Lc2dShape{33, 1, 28, 28, 16, 5, 5, 2, 2}}) {
    SCOPED_TRACE("lc2d n=" + std::to_string(s.n) + " f=" + std::to_string(s.f));
    const int64_t P = s.positions(), ys = s.n * s.f * P;
    const auto x = test::random_floats(s.n * s.c * s.h * s.w, 31), w = test::random_floats(P * s.f * s.receptive(), 32);
    const auto b = test::random_floats(s.f * P, 33);
    std::vector<double> want(ys), work(lc2d_workspace_elems(s));
    const auto xd = test::widen(x), wd = test::widen(w);
    lc2d_forward_ref<double>(s, xd.data(), wd.data(), nullptr, want.data(), work.data());
    DeviceVector<uint8_t> ws(tc.ctx.stream, cuda::lc2d_workspace_bytes(s), 0xFF);
    DeviceVector<float> gx(tc.ctx.stream, x), gw(tc.ctx.stream, w), gb(tc.ctx.stream, b), gy0(tc.ctx.stream, nans<float>(ys)), gyb(tc.ctx.stream, nans<float>(ys));
    cuda::lc2d_forward(tc.ctx, s, gx.get(), gw.get(), nullptr, gy0.get(), ws.get());
    cuda::lc2d_forward(tc.ctx, s, gx.get(), gw.get(), gb.get(), gyb.get(), ws.get());
    const auto y0 = gy0.host();
    test::expect_finite_nonzero(y0, "y");
    test::expect_float_close(y0, want, s.receptive(), "y without bias");
    check_bias_add(gyb.host(), y0, b, s.f * P, 1);
  }
}

// Whole networks on the CUDA backend, fused and unfused from the same initialisation. Without cuDNN
// in the chain (mlp, lcnn) every kernel of the two is the same or bit-identical, so logits and all
// gradients (bias gradients included: the fused backward sums in bias.cu's order) are identical.
// With convolutions only the logits are compared bitwise (cuDNN's forward algorithms are
// deterministic; a backward one may not be), and the gradients within float_tolerance(len) of the
// tensor's largest entry, len = batch * output positions (the longest sum behind one gradient).
TEST(CudaBiasActivation, FusedAndUnfusedNetworksAgree) {
  GD_SKIP_WITHOUT_CUDA();
  CudaBackend be;
  const Shape in{1, 12, 12};
  constexpr int64_t kBatch = 6;
  struct Case {
    const char* spec;
    bool bitwise;
  };
  const Case cases[] = {
      {"fc32,relu,dropout0.3,fc24,tanh,bn,fc16,sigmoid,fc12,gelu,fc10", true},
      {"lc4k3s2p1,relu,lc6k3,tanh,bn,fc20,sigmoid,dropout0.2,fc10", true},
      {"conv8k3,relu,conv16k3p1,elu,pool2,bn,dropout0.25,fc32,relu,dropout0.5,fc10", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.spec);
    struct Out {
      std::vector<float> logits, grads;
    };
    auto run = [&](bool fuse) {
      Network net(be, build_layers(c.spec, in, 10, 0.0), in, 8, fuse);
      net.initialize(InitScheme::HeUniform, 5);
      write_floats(be, net.input(), test::random_floats(kBatch * in.numel(), 17), "input");
      const std::vector<int32_t> labels = {0, 3, 9, 1, 7, 3};
      DeviceVector<int32_t> glabels(be.context().stream, labels);
      DeviceVector<double> loss(be.context().stream, 1, 0.0);
      DeviceVector<int64_t> correct(be.context().stream, 1, 0);
      net.forward(kBatch, true, 3, 99);
      SoftmaxXentShape s;
      s.n = kBatch;
      s.c = 10;
      be.softmax_xent(s, net.output(), glabels.get(), net.output_grad(), loss.get(), correct.get());
      net.backward(kBatch, 3, 99);
      return Out{read_floats(be, net.output(), kBatch * 10), read_floats(be, net.grads(), net.num_params())};
    };
    const Out f = run(true), u = run(false);
    EXPECT_EQ(first_difference(f.logits, u.logits), -1) << "logits";
    test::expect_finite_nonzero(f.grads, "gradients");
    if (c.bitwise) {
      EXPECT_EQ(first_difference(f.grads, u.grads), -1) << "gradients";
      continue;
    }
    Network shapes(be, build_layers(c.spec, in, 10, 0.0), in, 1);
    for (const ParamInfo& pi : shapes.param_info()) {
      const int64_t len = kBatch * 10 * 10;  // the largest output plane (10x10) times the batch
      double scale = 0, worst = 0;
      for (int64_t i = pi.offset; i < pi.offset + pi.shape.numel(); ++i) {
        scale = std::max(scale, std::abs(double(u.grads[i])));
        worst = std::max(worst, std::abs(double(f.grads[i]) - u.grads[i]));
      }
      EXPECT_LE(worst, test::float_tolerance(len) * scale) << pi.name;
    }
  }
}

#endif  // GD_HAVE_CUDA

// Argument checks run on the host before any CUDA call, so this needs no device.
TEST(CudaBiasActivation, RejectsGeluAndBadExtentsBeforeTouchingTheDevice) {
#ifdef GD_HAVE_CUDA
  cuda::Context ctx;  // no stream: the checks must throw before using it
  float dummy = 0.0f;
  EXPECT_THROW(cuda::bias_activation_forward(ctx, Activation::GELU, 1, 1, 1, nullptr, &dummy), ConfigError);
  EXPECT_THROW(cuda::bias_activation_backward(ctx, Activation::GELU, 1, 1, 1, &dummy, &dummy, &dummy, nullptr),
               ConfigError);
  EXPECT_THROW(cuda::bias_activation_forward(ctx, Activation::ReLU, 0, 1, 1, nullptr, &dummy), ShapeError);
  EXPECT_THROW(cuda::bias_activation_backward(ctx, Activation::Tanh, 1, 1, -2, &dummy, &dummy, &dummy, nullptr),
               ShapeError);
  EXPECT_THROW(cuda::bias_activation_forward(ctx, Activation::ReLU, 1, 1, 1, nullptr, nullptr), Error);
  EXPECT_THROW(cuda::bias_activation_backward(ctx, Activation::ELU, 1, 1, 1, &dummy, nullptr, &dummy, nullptr),
               Error);
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

}  // namespace
}  // namespace gd
