// CUDA batch normalisation against the CPU reference (ctest label "cuda"): train forward (outputs,
// saved statistics and the running-statistics update with the unbiased variance), eval forward and
// backward, on shapes after dense layers (S = 1; batch 2, 33, 257) and after conv layers (odd S,
// the cnn's 32 channels of 26x26), with inputs centred away from zero (mean ~3) so a naive
// single-pass variance would lose precision. Outputs are pre-filled with NaN. Shape errors throw
// before any device call.
//
// Tolerances: the reference runs in double on the same float inputs.
//  - Per-channel outputs (save_mean, save_invstd, running statistics, dgamma, dbeta) are reduced in
//    double on both sides, so their only error is the final rounding to float:
//    test::expect_float_close(..., M) (M = N*S values per channel) allows 8 * sqrt(M) * eps_f32
//    times the output's rms, far above it.
//  - y and dx are evaluated per element in float as a short sum of terms with float-rounded
//    coefficients (y = (x - mean) * scale + beta; dx = a*dy + b*(x - mean) + d). Evaluating k terms
//    in float is off by at most ~(k+1) eps_f32 * (sum of the terms' magnitudes), and rounding the
//    float mean shifts y by up to eps_f32 * |mean| * |scale|. With few values per channel the
//    standard deviation can be small and those terms large (scale = gamma * invstd), so the bound
//    is computed per element from the terms' magnitudes: 8 eps_f32 * sum|term|.
// A wrong formula, channel index or a biased running variance is off by orders of magnitude more
// (the unbiased factor M/(M-1) alone changes running_var by ~1/M).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/ops/batchnorm.h"
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

constexpr double kEpsF = std::numeric_limits<float>::epsilon();

const BatchNormShape kShapes[] = {
    // n,  c,   s
    {2, 3, 1},      // smallest train batch after a dense layer (M = 2)
    {33, 5, 1},     // dense, batch 33
    {257, 4, 1},    // dense, batch 257
    {1, 3, 7},      // batch 1, odd spatial size
    {3, 7, 13},     // odd everything
    {16, 32, 676},  // cnn conv feature maps (26x26)
};

std::string shape_str(const BatchNormShape& s) {
  return "(N,C,S) = (" + std::to_string(s.n) + "," + std::to_string(s.c) + "," +
         std::to_string(s.s) + ")";
}

// |got - want| <= 8 eps_f32 * terms for every element, terms = the sum of the magnitudes of the
// float terms that make up the element (see the file comment).
void expect_within_terms(const std::vector<float>& got, const std::vector<double>& want,
                         const std::vector<double>& terms, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    const double bound = 8.0 * kEpsF * terms[i];
    ASSERT_LE(std::abs(got[i] - want[i]), bound)
        << what << " at " << i << ": got " << got[i] << ", want " << want[i];
  }
}

std::vector<float> uniform(int64_t n, uint64_t seed, double lo, double hi) {
  return test::to_float(test::random_vector(static_cast<size_t>(n), seed, lo, hi));
}

void check_shape(test::CudaTestContext& tc, const BatchNormShape& s) {
  SCOPED_TRACE(shape_str(s));
  const int64_t n = s.n * s.c * s.s, m = s.n * s.s;
  const auto x = uniform(n, 51, 2.0, 4.0), dy = uniform(n, 52, -1.0, 1.0);
  const auto gamma = uniform(s.c, 53, 0.5, 1.5), beta = uniform(s.c, 54, -1.0, 1.0);
  const auto run_mean = uniform(s.c, 55, -1.0, 1.0), run_var = uniform(s.c, 56, 0.5, 1.5);
  const auto xd = widen(x), dyd = widen(dy), gd_ = widen(gamma), bd = widen(beta);

  // ---- train forward
  std::vector<double> y_ref(n), mean_ref(s.c), invstd_ref(s.c);
  std::vector<double> rm_ref = widen(run_mean), rv_ref = widen(run_var);
  batchnorm_forward_train_ref<double>(s, xd.data(), gd_.data(), bd.data(), y_ref.data(),
                                      mean_ref.data(), invstd_ref.data(), rm_ref.data(),
                                      rv_ref.data());
  DeviceVector<float> gx(tc.ctx.stream, x), gdy(tc.ctx.stream, dy), ggamma(tc.ctx.stream, gamma), gbeta(tc.ctx.stream, beta), grm(tc.ctx.stream, run_mean), grv(tc.ctx.stream, run_var);
  DeviceVector<float> gy(tc.ctx.stream, nans<float>(n)), gmean(tc.ctx.stream, nans<float>(s.c)), ginvstd(tc.ctx.stream, nans<float>(s.c));
  cuda::batchnorm_forward_train(tc.ctx, s, gx.get(), ggamma.get(), gbeta.get(), gy.get(),
                                gmean.get(), ginvstd.get(), grm.get(), grv.get());
  const auto y = gy.host(), mean = gmean.host(), invstd = ginvstd.host();
  const auto rm = grm.host(), rv = grv.host();
  expect_finite_nonzero(y, "y (train)");
  expect_finite_nonzero(mean, "save_mean");
  expect_finite_nonzero(invstd, "save_invstd");
  expect_finite_nonzero(rm, "running_mean");
  expect_finite_nonzero(rv, "running_var");
  // y = (x - mean) * scale + beta, scale = gamma * invstd; the float mean adds |mean| * scale.
  std::vector<double> y_terms(n), ye_terms(n);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = (i / s.s) % s.c;
    const double scale = std::abs(gd_[c]) * invstd_ref[c];
    y_terms[i] = (std::abs(xd[i] - mean_ref[c]) + std::abs(mean_ref[c])) * scale + std::abs(bd[c]);
    const double scale_e = std::abs(gd_[c]) / std::sqrt(double(run_var[c]) + s.eps);
    ye_terms[i] =
        (std::abs(xd[i] - run_mean[c]) + std::abs(run_mean[c])) * scale_e + std::abs(bd[c]);
  }
  expect_within_terms(y, y_ref, y_terms, "y (train)");
  expect_float_close(mean, mean_ref, m, "save_mean");
  expect_float_close(invstd, invstd_ref, m, "save_invstd");
  expect_float_close(rm, rm_ref, m, "running_mean");
  expect_float_close(rv, rv_ref, m, "running_var");

  // ---- eval forward, from the original running statistics
  std::vector<double> ye_ref(n);
  const auto rm0 = widen(run_mean), rv0 = widen(run_var);
  batchnorm_forward_eval_ref<double>(s, xd.data(), gd_.data(), bd.data(), rm0.data(), rv0.data(),
                                     ye_ref.data());
  DeviceVector<float> grm0(tc.ctx.stream, run_mean), grv0(tc.ctx.stream, run_var), gye(tc.ctx.stream, nans<float>(n));
  cuda::batchnorm_forward_eval(tc.ctx, s, gx.get(), ggamma.get(), gbeta.get(), grm0.get(),
                               grv0.get(), gye.get());
  const auto ye = gye.host();
  expect_finite_nonzero(ye, "y (eval)");
  expect_within_terms(ye, ye_ref, ye_terms, "y (eval)");

  // ---- backward, both sides from the same float saved statistics (the GPU forward's)
  const auto mean_d = widen(mean), invstd_d = widen(invstd);
  std::vector<double> dx_ref(n), dgamma_ref(s.c), dbeta_ref(s.c);
  batchnorm_backward_ref<double>(s, xd.data(), gd_.data(), mean_d.data(), invstd_d.data(),
                                 dyd.data(), dx_ref.data(), dgamma_ref.data(), dbeta_ref.data());
  DeviceVector<float> gdx(tc.ctx.stream, nans<float>(n)), gdgamma(tc.ctx.stream, nans<float>(s.c)), gdbeta(tc.ctx.stream, nans<float>(s.c));
  cuda::batchnorm_backward(tc.ctx, s, gx.get(), ggamma.get(), gmean.get(), ginvstd.get(), gdy.get(),
                           gdx.get(), gdgamma.get(), gdbeta.get());
  const auto dx = gdx.host(), dgamma = gdgamma.host(), dbeta = gdbeta.host();
  expect_finite_nonzero(dx, "dx");
  expect_finite_nonzero(dgamma, "dgamma");
  expect_finite_nonzero(dbeta, "dbeta");
  // dx = a*dy + b*(x - mean) + d, a = gamma*invstd, b = -a*invstd*dgamma/M, d = -a*dbeta/M.
  std::vector<double> dx_terms(n);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = (i / s.s) % s.c;
    const double a = std::abs(gd_[c]) * invstd_d[c];
    const double b = a * invstd_d[c] * std::abs(dgamma_ref[c]) / double(m);
    const double d = a * std::abs(dbeta_ref[c]) / double(m);
    dx_terms[i] = a * std::abs(dyd[i]) + b * std::abs(xd[i] - mean_d[c]) + d;
  }
  expect_within_terms(dx, dx_ref, dx_terms, "dx");
  expect_float_close(dgamma, dgamma_ref, m, "dgamma");
  expect_float_close(dbeta, dbeta_ref, m, "dbeta");
}

#endif  // GD_HAVE_CUDA

TEST(CudaBatchNorm, TrainEvalAndBackwardMatchReference) {
  GD_SKIP_WITHOUT_CUDA();
#ifdef GD_HAVE_CUDA
  test::CudaTestContext tc;
  for (const BatchNormShape& s : kShapes) check_shape(tc, s);
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

// Shape and option checks run on the host before any CUDA call, so this needs no device.
TEST(CudaBatchNorm, RejectsBadShapesBeforeTouchingTheDevice) {
#ifdef GD_HAVE_CUDA
  cuda::Context ctx;
  float d = 0.0f;
  // One value per channel: the unbiased batch variance is undefined.
  EXPECT_THROW(
      cuda::batchnorm_forward_train(ctx, BatchNormShape{1, 4, 1}, &d, &d, &d, &d, &d, &d, &d, &d),
      ShapeError);
  EXPECT_THROW(cuda::batchnorm_forward_eval(ctx, BatchNormShape{0, 4, 1}, &d, &d, &d, &d, &d, &d),
               ShapeError);
  BatchNormShape bad_eps{2, 4, 1};
  bad_eps.eps = 0.0;
  EXPECT_THROW(cuda::batchnorm_backward(ctx, bad_eps, &d, &d, &d, &d, &d, &d, &d, &d), ConfigError);
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

}  // namespace
}  // namespace gd
