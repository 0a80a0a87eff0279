// CUDA element-wise launchers against the CPU references (ctest label "cuda"): activations forward and
// backward, dropout (masks bit-identical to dropout_forward_ref), sum_squares, scale and fill, on
// awkward sizes (1, 33, 257, 100003: a single element, one past a warp, one past a block, a prime
// that is not a multiple of the Philox block of 4). Skips, saying why, without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/core/error.h"
#include "engine/ops/activation.h"
#include "engine/ops/dropout.h"
#include "tests/support/cuda_test_util.h"
#include "tests/support/test_support.h"

#ifdef GD_HAVE_CUDA
#include "kernels/cuda_ops.h"
#endif

namespace gd {
namespace {

#ifdef GD_HAVE_CUDA

const int64_t kSizes[] = {1, 33, 257, 100003};
const Activation kActs[] = {Activation::ReLU, Activation::Tanh, Activation::Sigmoid, Activation::ELU,
                            Activation::GELU};

constexpr double kEpsF = std::numeric_limits<float>::epsilon();

// Activations: both sides evaluate the same float formula, but with different libm implementations
// (CUDA tanhf/expf/erff are within 2 ulp, glibc's within 1-2 ulp) and possibly different FMA
// contraction. Every formula combines O(1) terms (1 + erf, 1 - y^2, ...) whose few-ulp errors are
// absolute at the scale of 1, so the bound is |d| <= 16 eps_f32 * (1 + |ref|): 4 ulp per side, twice
// over for the two-term formulas. A wrong formula or index is off by orders of magnitude more.
constexpr double kActTol = 16 * kEpsF;

std::vector<float> inputs(int64_t n, uint64_t seed, double lo = -4.0, double hi = 4.0) {
  return test::to_float(test::random_vector(static_cast<size_t>(n), seed, lo, hi));
}

void expect_near_rel(const std::vector<float>& got, const std::vector<float>& want, double tol, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_LE(std::abs(static_cast<double>(got[i]) - want[i]), tol * (1.0 + std::abs(want[i])))
        << what << " at " << i << " of " << got.size() << ": got " << got[i] << ", want " << want[i];
}

void expect_not_all_zero(const std::vector<float>& v, const char* what) {
  bool any = false;
  for (float x : v) any |= x != 0.0f;
  EXPECT_TRUE(any) << what << ": output is all zeros";
}

std::vector<uint32_t> bits_of(const std::vector<float>& v) {
  std::vector<uint32_t> b(v.size());
  if (!v.empty()) std::memcpy(b.data(), v.data(), v.size() * sizeof(float));
  return b;
}

TEST(CudaActivation, ForwardMatchesReference) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  for (Activation a : kActs) {
    for (int64_t n : kSizes) {
      SCOPED_TRACE(std::string(activation_name(a)) + " n=" + std::to_string(n));
      const auto x = inputs(n, 100 + n);
      std::vector<float> want(n);
      activation_forward_ref<float>(a, n, x.data(), want.data());
      test::DeviceVector<float> dx(tc.ctx.stream, x), dy(tc.ctx.stream, test::nans<float>(n));
      cuda::activation_forward(tc.ctx, a, n, dx.get(), dy.get());
      const auto got = dy.host();
      if (a == Activation::ReLU) {
        EXPECT_EQ(got, want);  // a compare and a select: exact
      } else {
        expect_near_rel(got, want, kActTol, "activation forward");
      }
      expect_not_all_zero(got, "activation forward");
    }
  }
}

TEST(CudaActivation, ForwardInPlace) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  const int64_t n = 257;
  const auto x = inputs(n, 7);
  std::vector<float> want(n);
  activation_forward_ref<float>(Activation::Tanh, n, x.data(), want.data());
  test::DeviceVector<float> d(tc.ctx.stream, x);
  cuda::activation_forward(tc.ctx, Activation::Tanh, n, d.get(), d.get());
  expect_near_rel(d.host(), want, kActTol, "in-place tanh");
}

// Both sides are given the same (reference) x and y, so only the derivative formulas are compared.
TEST(CudaActivation, BackwardMatchesReference) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  for (Activation a : kActs) {
    for (int64_t n : kSizes) {
      SCOPED_TRACE(std::string(activation_name(a)) + " n=" + std::to_string(n));
      const auto x = inputs(n, 200 + n);
      const auto g = inputs(n, 300 + n, -1.0, 1.0);
      std::vector<float> y(n), want(n);
      activation_forward_ref<float>(a, n, x.data(), y.data());
      activation_backward_ref<float>(a, n, x.data(), y.data(), g.data(), want.data());
      test::DeviceVector<float> dx(tc.ctx.stream, x), dyv(tc.ctx.stream, y), dg(tc.ctx.stream, g), dout(tc.ctx.stream, test::nans<float>(n));
      cuda::activation_backward(tc.ctx, a, n, dx.get(), dyv.get(), dg.get(), dout.get());
      const auto got = dout.host();
      if (a == Activation::ReLU) {
        EXPECT_EQ(got, want);
      } else {
        expect_near_rel(got, want, kActTol, "activation backward");
      }
      expect_not_all_zero(got, "activation backward");
    }
  }
}

TEST(CudaActivation, RejectsNegativeCount) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  test::DeviceVector<float> d(tc.ctx.stream, 4);
  EXPECT_THROW(cuda::activation_forward(tc.ctx, Activation::ReLU, -1, d.get(), d.get()), ShapeError);
}

DropoutParams dropout_params(float p, uint64_t seed, uint32_t stream, uint64_t step) {
  DropoutParams d;
  d.p = p;
  d.seed = seed;
  d.stream = stream;
  d.step = step;
  return d;
}

// The CUDA mask must be the CPU mask: compared bit for bit (values and the +0 of dropped elements),
// for rates where p * 2^24 is and is not an integer, seeds/steps using their high 32 bits, and every
// awkward size.
TEST(CudaDropout, ForwardAndBackwardAreBitIdenticalToReference) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  const DropoutParams cases[] = {
      dropout_params(0.5f, 1234, 3, 17),
      dropout_params(0.2f, 0x123456789abcdef0ull, 0, 5),
      dropout_params(0.3f, 99, 7, (uint64_t{1} << 32) + 3),  // 0.3 * 2^24 is not an integer
      dropout_params(0.9f, 42, 1, 0),
  };
  for (const DropoutParams& d : cases) {
    for (int64_t n : kSizes) {
      SCOPED_TRACE("p=" + std::to_string(d.p) + " seed=" + std::to_string(d.seed) + " n=" + std::to_string(n));
      const auto x = inputs(n, 400 + n, -2.0, 2.0);
      std::vector<float> want(n), want_back(n);
      dropout_forward_ref<float>(d, n, x.data(), want.data());
      dropout_backward_ref<float>(d, n, x.data(), want_back.data());
      test::DeviceVector<float> dx(tc.ctx.stream, x), dy(tc.ctx.stream, test::nans<float>(n)), dback(tc.ctx.stream, test::nans<float>(n));
      cuda::dropout_forward(tc.ctx, d, n, dx.get(), dy.get());
      cuda::dropout_backward(tc.ctx, d, n, dx.get(), dback.get());
      const auto got = dy.host();
      EXPECT_EQ(bits_of(got), bits_of(want));
      EXPECT_EQ(bits_of(dback.host()), bits_of(want_back));
      if (n >= 257) {  // guard: the comparison saw both kept and dropped elements
        int64_t kept = 0;
        for (float v : got) kept += v != 0.0f;
        EXPECT_GT(kept, 0);
        EXPECT_LT(kept, n);
      }
    }
  }
}

TEST(CudaDropout, InPlaceAndZeroRate) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  const int64_t n = 100003;
  const auto x = inputs(n, 5);
  const DropoutParams d = dropout_params(0.4f, 77, 2, 9);
  std::vector<float> want(n);
  dropout_forward_ref<float>(d, n, x.data(), want.data());
  test::DeviceVector<float> inplace(tc.ctx.stream, x);
  cuda::dropout_forward(tc.ctx, d, n, inplace.get(), inplace.get());
  EXPECT_EQ(bits_of(inplace.host()), bits_of(want));

  // p == 0 copies.
  test::DeviceVector<float> src(tc.ctx.stream, x), dst(tc.ctx.stream, test::nans<float>(n));
  cuda::dropout_forward(tc.ctx, dropout_params(0.0f, 1, 1, 1), n, src.get(), dst.get());
  EXPECT_EQ(bits_of(dst.host()), bits_of(x));

  EXPECT_THROW(cuda::dropout_forward(tc.ctx, dropout_params(1.0f, 1, 1, 1), n, src.get(), dst.get()), ConfigError);
}

// sum_squares accumulates squares in double in both backends. The terms are positive, so each side's
// relative error is at most (n-1) eps_f64 (worst-case summation); 2 n eps_f64 covers both.
TEST(CudaReduce, SumSquaresMatchesDoubleSumAndIsDeterministic) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  for (int64_t n : kSizes) {
    SCOPED_TRACE("n=" + std::to_string(n));
    const auto x = inputs(n, 500 + n, -3.0, 3.0);
    double want = 0.0;
    for (float v : x) want += static_cast<double>(v) * v;
    test::DeviceVector<float> d(tc.ctx.stream, x);
    const double got = cuda::sum_squares(tc.ctx, n, d.get());
    EXPECT_GT(got, 0.0);
    EXPECT_LE(std::abs(got - want), 2.0 * static_cast<double>(n) * std::numeric_limits<double>::epsilon() * want);
    EXPECT_EQ(got, cuda::sum_squares(tc.ctx, n, d.get())) << "sum_squares must be deterministic";
  }
  test::DeviceVector<float> empty(tc.ctx.stream, 1);
  EXPECT_EQ(cuda::sum_squares(tc.ctx, 0, empty.get()), 0.0);
}

TEST(CudaReduce, ScaleAndFillAreExact) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  for (int64_t n : kSizes) {
    SCOPED_TRACE("n=" + std::to_string(n));
    const auto x = inputs(n, 600 + n);
    std::vector<float> want(x);
    for (float& v : want) v *= 0.37f;  // one IEEE multiply per element on both sides
    test::DeviceVector<float> d(tc.ctx.stream, x);
    cuda::scale(tc.ctx, n, 0.37f, d.get());
    EXPECT_EQ(d.host(), want);

    test::DeviceVector<float> f(tc.ctx.stream, test::nans<float>(n));
    cuda::fill(tc.ctx, f.get(), n, -2.5f);
    EXPECT_EQ(f.host(), std::vector<float>(n, -2.5f));
  }
}

#else

TEST(CudaElementwise, BuiltWithoutCuda) { GTEST_SKIP() << "built without CUDA"; }

#endif

}  // namespace
}  // namespace gd
