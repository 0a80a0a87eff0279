// Batch normalisation: a hand-computed train step (normalised output, saved stats, running-stat
// update with the unbiased variance), eval mode from running stats, finite-difference gradients for
// dx, dgamma, dbeta in double at (N,C,S) with S = 1 and S > 1, float against double, and validation.
#include "engine/ops/batchnorm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

BatchNormShape shape(int64_t n, int64_t c, int64_t s) {
  BatchNormShape sh;
  sh.n = n;
  sh.c = c;
  sh.s = s;
  return sh;
}

std::string str(const BatchNormShape& sh) {
  return "(" + std::to_string(sh.n) + "," + std::to_string(sh.c) + "," + std::to_string(sh.s) + ")";
}

// (N,C,S) = (2,2,2), element (n,c,s) at (n*C + c)*S + s.
//   channel 0: n0 {1, 3}, n1 {5, 7}   mean 4, deviations -3,-1,1,3: biased var 20/4 = 5, unbiased 20/3
//   channel 1: n0 {10,10}, n1 {10,14} mean 11, deviations -1,-1,-1,3: biased var 12/4 = 3, unbiased 4
// gamma = (2, -1), beta = (0.5, 0); running stats start at mean 0, var 1; momentum 0.1:
//   running_mean = (0.9*0 + 0.1*4, 0.9*0 + 0.1*11) = (0.4, 1.1)
//   running_var  = (0.9 + 0.1*20/3, 0.9 + 0.1*4)   = (1.5666..., 1.3)
TEST(BatchNorm, TrainHandCase) {
  const BatchNormShape sh = shape(2, 2, 2);
  const std::vector<double> x = {1, 3, 10, 10, 5, 7, 10, 14};
  const std::vector<double> gamma = {2, -1}, beta = {0.5, 0};
  std::vector<double> y(8), mean(2), invstd(2), rm = {0, 0}, rv = {1, 1};
  batchnorm_forward_train_ref<double>(sh, x.data(), gamma.data(), beta.data(), y.data(), mean.data(),
                                      invstd.data(), rm.data(), rv.data());
  const double is0 = 1.0 / std::sqrt(5.0 + 1e-5), is1 = 1.0 / std::sqrt(3.0 + 1e-5);
  EXPECT_DOUBLE_EQ(mean[0], 4.0);
  EXPECT_DOUBLE_EQ(mean[1], 11.0);
  EXPECT_DOUBLE_EQ(invstd[0], is0);
  EXPECT_DOUBLE_EQ(invstd[1], is1);
  const std::vector<double> expect = {2 * -3 * is0 + 0.5, 2 * -1 * is0 + 0.5, -1 * -1 * is1, -1 * -1 * is1,
                                      2 * 1 * is0 + 0.5,  2 * 3 * is0 + 0.5,  -1 * -1 * is1, -1 * 3 * is1};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(y[i], expect[i], 1e-14) << "i=" << i;
  EXPECT_NEAR(rm[0], 0.4, 1e-15);
  EXPECT_NEAR(rm[1], 1.1, 1e-15);
  EXPECT_NEAR(rv[0], 0.9 + 0.1 * 20.0 / 3.0, 1e-15);
  EXPECT_NEAR(rv[1], 1.3, 1e-15);
}

// Running stats on a random batch against mean / unbiased variance computed here directly, over
// two consecutive steps (the second must blend with the first's result).
TEST(BatchNorm, RunningStatsFollowMomentumWithUnbiasedVariance) {
  const BatchNormShape sh = shape(5, 3, 4);
  std::vector<double> rm = {0.25, -1, 2}, rv = {1, 0.5, 3};
  for (int step = 0; step < 2; ++step) {
    const std::vector<double> x = test::random_vector(60, 100 + step, -2.0, 3.0);
    std::vector<double> gamma(3, 1.0), beta(3, 0.0), y(60), mean(3), invstd(3);
    std::vector<double> rm_expect = rm, rv_expect = rv;
    for (int c = 0; c < 3; ++c) {
      double sum = 0.0, sq = 0.0;
      for (int n = 0; n < 5; ++n)
        for (int s = 0; s < 4; ++s) sum += x[(n * 3 + c) * 4 + s];
      const double mu = sum / 20;
      for (int n = 0; n < 5; ++n)
        for (int s = 0; s < 4; ++s) sq += (x[(n * 3 + c) * 4 + s] - mu) * (x[(n * 3 + c) * 4 + s] - mu);
      rm_expect[c] = 0.9 * rm[c] + 0.1 * mu;
      rv_expect[c] = 0.9 * rv[c] + 0.1 * sq / 19;
    }
    batchnorm_forward_train_ref<double>(sh, x.data(), gamma.data(), beta.data(), y.data(), mean.data(),
                                        invstd.data(), rm.data(), rv.data());
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(rm[c], rm_expect[c], 1e-14) << "step " << step << " c " << c;
      EXPECT_NEAR(rv[c], rv_expect[c], 1e-14) << "step " << step << " c " << c;
    }
  }
}

// Eval: y = gamma*(x - running_mean)/sqrt(running_var + eps) + beta, running stats untouched.
//   running_mean = (1, -2), running_var = (4, 0.25), gamma = (3, 1), beta = (0, 1), (N,C,S) = (1,2,1):
//   x = (5, -1) -> y = (3*4/sqrt(4 + 1e-5), 1*1/sqrt(0.25 + 1e-5) + 1) ~ (6, 3).
// N*S == 1 is fine in eval mode.
TEST(BatchNorm, EvalUsesRunningStats) {
  const BatchNormShape sh = shape(1, 2, 1);
  const std::vector<double> x = {5, -1}, gamma = {3, 1}, beta = {0, 1}, rm = {1, -2}, rv = {4, 0.25};
  std::vector<double> y(2);
  batchnorm_forward_eval_ref<double>(sh, x.data(), gamma.data(), beta.data(), rm.data(), rv.data(),
                                     y.data());
  EXPECT_NEAR(y[0], 12.0 / std::sqrt(4.0 + 1e-5), 1e-14);
  EXPECT_NEAR(y[1], 1.0 / std::sqrt(0.25 + 1e-5) + 1.0, 1e-14);
  EXPECT_NEAR(y[0], 6.0, 1e-4);  // sanity on the hand value
  EXPECT_NEAR(y[1], 3.0, 1e-4);
}

// f(x, gamma, beta) = dot(R, y_train(x, gamma, beta)); backward(dy = R) gives all three gradients.
// Outputs are pre-filled with garbage to check they are OVERWRITTEN.
TEST(BatchNorm, TrainGradientMatchesFiniteDifferencesInDouble) {
  const BatchNormShape shapes[] = {shape(4, 3, 1), shape(7, 5, 1), shape(3, 2, 5), shape(1, 2, 9),
                                   shape(5, 3, 7), shape(2, 1, 1)};
  for (const BatchNormShape& sh : shapes) {
    const size_t total = sh.n * sh.c * sh.s, c = sh.c;
    std::vector<double> x = test::random_vector(total, 7 + total, -2.0, 2.0);
    std::vector<double> gamma = test::random_vector(c, 8, 0.5, 1.5);
    std::vector<double> beta = test::random_vector(c, 9);
    const std::vector<double> r = test::random_vector(total, 10 + total);
    std::vector<double> y(total), mean(c), invstd(c), rm(c, 0.0), rv(c, 1.0);
    auto f = [&] {
      batchnorm_forward_train_ref<double>(sh, x.data(), gamma.data(), beta.data(), y.data(), mean.data(),
                                          invstd.data(), rm.data(), rv.data());
      double s = 0.0;
      for (size_t i = 0; i < total; ++i) s += r[i] * y[i];
      return s;
    };
    f();  // fills mean / invstd for the backward
    std::vector<double> dx(total, 1e30), dgamma(c, 1e30), dbeta(c, 1e30);
    batchnorm_backward_ref<double>(sh, x.data(), gamma.data(), mean.data(), invstd.data(), r.data(),
                                   dx.data(), dgamma.data(), dbeta.data());
    // Smooth in all inputs: truncation ~h^2 |f'''| and rounding ~1e-16 |f| / h, both < 1e-8 here.
    EXPECT_LT(test::max_gradient_error(x, f, dx), 1e-6) << "dx " << str(sh);
    EXPECT_LT(test::max_gradient_error(gamma, f, dgamma), 1e-6) << "dgamma " << str(sh);
    EXPECT_LT(test::max_gradient_error(beta, f, dbeta), 1e-6) << "dbeta " << str(sh);
  }
}

// Float against double at the size of a conv feature map batch (OpenMP path). y and dx are
// O(1) combinations of per-channel sums over N*S values: the float tolerance for that length.
TEST(BatchNorm, FloatMatchesDouble) {
  const BatchNormShape sh = shape(64, 6, 49);  // 18816 elements: above the OpenMP threshold
  const size_t total = sh.n * sh.c * sh.s, c = sh.c;
  // An offset mean (3) checks that the float path keeps precision when |mean| > std.
  const std::vector<float> xf = test::to_float(test::random_vector(total, 1, 2.0, 4.0));
  const std::vector<float> dyf = test::to_float(test::random_vector(total, 2));
  const std::vector<float> gf = test::to_float(test::random_vector(c, 3, 0.5, 1.5));
  const std::vector<float> bf = test::to_float(test::random_vector(c, 4));
  const std::vector<double> xd(xf.begin(), xf.end()), dyd(dyf.begin(), dyf.end()), gd(gf.begin(), gf.end()),
      bd(bf.begin(), bf.end());
  std::vector<float> yf(total), mf(c), isf(c), rmf(c, 0.f), rvf(c, 1.f), dxf(total), dgf(c), dbf(c), yef(total);
  std::vector<double> yd(total), md(c), isd(c), rmd(c, 0.0), rvd(c, 1.0), dxd(total), dgd(c), dbd(c), yed(total);
  batchnorm_forward_train_ref<float>(sh, xf.data(), gf.data(), bf.data(), yf.data(), mf.data(), isf.data(),
                                     rmf.data(), rvf.data());
  batchnorm_forward_train_ref<double>(sh, xd.data(), gd.data(), bd.data(), yd.data(), md.data(), isd.data(),
                                      rmd.data(), rvd.data());
  batchnorm_backward_ref<float>(sh, xf.data(), gf.data(), mf.data(), isf.data(), dyf.data(), dxf.data(),
                                dgf.data(), dbf.data());
  batchnorm_backward_ref<double>(sh, xd.data(), gd.data(), md.data(), isd.data(), dyd.data(), dxd.data(),
                                 dgd.data(), dbd.data());
  batchnorm_forward_eval_ref<float>(sh, xf.data(), gf.data(), bf.data(), rmf.data(), rvf.data(), yef.data());
  batchnorm_forward_eval_ref<double>(sh, xd.data(), gd.data(), bd.data(), rmd.data(), rvd.data(), yed.data());
  const int64_t m = sh.n * sh.s;
  // invstd ~ 1/0.58 ~ 1.7 and |x - mean| <= 1 scale errors by a small constant; allow a factor 4.
  const double tol = 4 * test::float_tolerance(m);
  for (size_t i = 0; i < total; ++i) {
    ASSERT_NEAR(yf[i], yd[i], tol) << "y " << i;
    ASSERT_NEAR(dxf[i], dxd[i], tol) << "dx " << i;
    ASSERT_NEAR(yef[i], yed[i], tol) << "eval y " << i;
  }
  // dgamma and dbeta are sums of m terms of size O(1): relative to sqrt(m).
  for (size_t j = 0; j < c; ++j) {
    EXPECT_NEAR(dgf[j], dgd[j], tol * std::sqrt(m));
    EXPECT_NEAR(dbf[j], dbd[j], tol * std::sqrt(m));
    EXPECT_NEAR(rmf[j], rmd[j], tol);
    EXPECT_NEAR(rvf[j], rvd[j], tol);
  }
}

TEST(BatchNorm, SingleValuePerChannelThrowsInTrainMode) {
  const BatchNormShape sh = shape(1, 3, 1);
  std::vector<float> x(3, 1.f), g(3, 1.f), b(3, 0.f), y(3), m(3), is(3), rm(3, 0.f), rv(3, 1.f);
  EXPECT_THROW(batchnorm_forward_train_ref<float>(sh, x.data(), g.data(), b.data(), y.data(), m.data(),
                                                  is.data(), rm.data(), rv.data()),
               ShapeError);
  try {
    batchnorm_forward_train_ref<float>(sh, x.data(), g.data(), b.data(), y.data(), m.data(), is.data(),
                                       rm.data(), rv.data());
  } catch (const ShapeError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("N*S"), std::string::npos) << what;
    EXPECT_NE(what.find("variance"), std::string::npos) << what;
  }
  // Running stats are untouched by the failed call.
  EXPECT_EQ(rm, std::vector<float>(3, 0.f));
  EXPECT_EQ(rv, std::vector<float>(3, 1.f));
}

TEST(BatchNorm, ValidateRejectsBadShapesAndHyperparameters) {
  EXPECT_NO_THROW(shape(1, 1, 1).validate());
  EXPECT_THROW(shape(0, 1, 1).validate(), ShapeError);
  EXPECT_THROW(shape(2, 0, 1).validate(), ShapeError);
  EXPECT_THROW(shape(2, 1, 0).validate(), ShapeError);
  BatchNormShape sh = shape(2, 2, 2);
  sh.eps = 0.0;
  EXPECT_THROW(sh.validate(), ConfigError);
  sh = shape(2, 2, 2);
  sh.momentum = 1.5;
  EXPECT_THROW(sh.validate(), ConfigError);
}

}  // namespace
}  // namespace gd
