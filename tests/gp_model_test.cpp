// GP kernel and posterior (engine/tune/gp_kernel.h, gp_model.h): a hand-computed 2-point case,
// the categorical kernel factor, gradients of the posterior against finite differences, and
// jitter on a degenerate kernel matrix.
#include "engine/tune/gp_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/core/error.h"
#include "engine/tune/sampler_rng.h"

namespace gd::tune {
namespace {

GpHyper hyper_1d(double l, double s2, double noise) {
  GpHyper h;
  h.log_lengthscale = {std::log(l)};
  h.log_signal_var = std::log(s2);
  h.log_noise_var = std::log(noise);
  return h;
}

GpInputs inputs_1d(const std::vector<double>& x) {
  GpInputs in;
  in.n = static_cast<int>(x.size());
  in.num_dims = 1;
  in.x = x;
  return in;
}

TEST(GpModel, TwoPointPosteriorMatchesHandComputation) {
  // x = 0.2, 0.7 (r = 1 at l = 0.5), y = 1, -0.5, s2 = 2, noise 0.01; test point 0.45 (r = 0.5 to
  // both). Reference values: the closed-form 2x2 inverse evaluated in 30-digit arithmetic
  // (mpmath):
  //   k12 = 2 M(1), K = [[2.01, k12], [k12, 2.01]], k* = 2 M(0.5) (1, 1),
  //   mean = k*^T K^{-1} y, var = 2 - k*^T K^{-1} k*, lml = -y^T K^{-1} y / 2 - log|K| / 2 - log 2 pi.
  const GpModel m(inputs_1d({0.2, 0.7}), {1.0, -0.5}, hyper_1d(0.5, 2.0, 0.01));
  const double x = 0.45;
  double mean, var;
  m.predict(1, &x, nullptr, &mean, &var);
  EXPECT_NEAR(mean, 0.270978526873209647548, 1e-13);
  EXPECT_NEAR(var, 0.203631008742303211100, 1e-13);
  EXPECT_NEAR(m.log_marginal_likelihood(), -2.98254185031797098765, 1e-13);
  EXPECT_EQ(m.jitter(), 0.0);
  // The same numbers from the Matern formula written out here, independently of GpKernel.
  auto matern = [](double r) { const double s = std::sqrt(5.0) * r; return (1 + s + s * s / 3) * std::exp(-s); };
  const double k12 = 2 * matern(1.0), a = 2.01, det = a * a - k12 * k12, ks = 2 * matern(0.5);
  EXPECT_NEAR(mean, ks * ((a * 1.0 - k12 * -0.5) + (-k12 * 1.0 + a * -0.5)) / det, 1e-13);
  EXPECT_NEAR(var, 2.0 - ks * ks * 2.0 / (a + k12), 1e-13);
}

TEST(GpModel, InterpolatesNearlyNoiselessData) {
  const GpModel m(inputs_1d({0.1, 0.4, 0.9}), {0.3, -1.2, 0.8}, hyper_1d(0.3, 1.0, 1e-8));
  const std::vector<double> x = {0.1, 0.4, 0.9};
  std::vector<double> mean(3), var(3);
  m.predict(3, x.data(), nullptr, mean.data(), var.data());
  const double want[3] = {0.3, -1.2, 0.8};
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(mean[static_cast<size_t>(i)], want[i], 1e-6);
    EXPECT_LT(var[static_cast<size_t>(i)], 1e-6);
  }
  // Far from the data the posterior returns to the prior: mean 0, variance s2.
  const double far = 50.0;
  double fm, fv;
  m.predict(1, &far, nullptr, &fm, &fv);
  EXPECT_NEAR(fm, 0.0, 1e-12);
  EXPECT_NEAR(fv, 1.0, 1e-12);
}

TEST(GpKernel, CategoricalFactorMultipliesTheMatern) {
  GpHyper h;
  h.log_lengthscale = {std::log(0.25), std::log(4.0)};
  h.log_cat_rate = {std::log(0.7), std::log(2.0)};
  h.log_signal_var = std::log(3.0);
  const GpKernel k(h, 2, 2);
  const double xa[2] = {0.1, 0.5}, xb[2] = {0.3, 0.1};
  const int same[2] = {1, 0}, diff_first[2] = {2, 0}, diff_both[2] = {2, 3};
  // r^2 = (0.2 / 0.25)^2 + (0.4 / 4)^2 = 0.65
  const double r = std::sqrt(0.65), s = std::sqrt(5.0) * r;
  const double matern = 3.0 * (1 + s + s * s / 3) * std::exp(-s);
  EXPECT_NEAR(k.eval(xa, same, xb, same), matern, 1e-14);
  EXPECT_NEAR(k.eval(xa, same, xb, diff_first), matern * std::exp(-0.7), 1e-14);
  EXPECT_NEAR(k.eval(xa, same, xb, diff_both), matern * std::exp(-2.7), 1e-14);
  EXPECT_NEAR(k.eval(xa, same, xa, same), 3.0, 1e-14);
  // eval_grad: value identical, gradient against central differences.
  double g[2];
  EXPECT_NEAR(k.eval_grad(xa, same, xb, diff_first, g), k.eval(xa, same, xb, diff_first), 1e-15);
  for (int d = 0; d < 2; ++d) {
    double xp[2] = {xa[0], xa[1]}, xm[2] = {xa[0], xa[1]};
    xp[d] += 1e-6;
    xm[d] -= 1e-6;
    const double fd = (k.eval(xp, same, xb, diff_first) - k.eval(xm, same, xb, diff_first)) / 2e-6;
    EXPECT_NEAR(g[d], fd, 1e-7) << d;
  }
}

// A random model with 3 numeric and 1 categorical dimension.
GpModel random_model(int n, uint64_t seed) {
  Rng rng(seed, 0);
  GpInputs in;
  in.n = n;
  in.num_dims = 3;
  in.cat_dims = 1;
  std::vector<double> y;
  for (int i = 0; i < n; ++i) {
    for (int d = 0; d < 3; ++d) in.x.push_back(rng.uniform());
    in.c.push_back(static_cast<int>(rng.uniform_int(3)));
    y.push_back(rng.normal());
  }
  GpHyper h;
  h.log_lengthscale = {std::log(0.3), std::log(0.6), std::log(1.5)};
  h.log_cat_rate = {std::log(0.8)};
  h.log_signal_var = std::log(1.3);
  h.log_noise_var = std::log(1e-3);
  return GpModel(in, y, h);
}

TEST(GpModel, PosteriorGradientsMatchFiniteDifferences) {
  const GpModel m = random_model(25, 3);
  const int c = 1;
  Rng rng(4, 0);
  for (int trial = 0; trial < 5; ++trial) {
    double x[3] = {rng.uniform(), rng.uniform(), rng.uniform()};
    double mean, var, dmean[3], dvar[3];
    m.predict_with_grad(x, &c, &mean, &var, dmean, dvar);
    double bm, bv;
    m.predict(1, x, &c, &bm, &bv);
    EXPECT_NEAR(mean, bm, 1e-12);
    EXPECT_NEAR(var, bv, 1e-12);
    for (int d = 0; d < 3; ++d) {
      double xp[3] = {x[0], x[1], x[2]}, xm[3] = {x[0], x[1], x[2]};
      xp[d] += 1e-6;
      xm[d] -= 1e-6;
      double mp, vp, mm, vm;
      m.predict(1, xp, &c, &mp, &vp);
      m.predict(1, xm, &c, &mm, &vm);
      // Central differences in double: truncation O(h^2) plus rounding eps / h ~ 1e-10.
      EXPECT_NEAR(dmean[d], (mp - mm) / 2e-6, 1e-6 * std::max(1.0, std::fabs(dmean[d]))) << d;
      EXPECT_NEAR(dvar[d], (vp - vm) / 2e-6, 1e-6 * std::max(1.0, std::fabs(dvar[d]))) << d;
    }
  }
}

TEST(GpModel, BatchedPredictionEqualsOneAtATime) {
  const GpModel m = random_model(40, 8);
  Rng rng(9, 0);
  const int k = 17;
  std::vector<double> x(static_cast<size_t>(k) * 3);
  std::vector<int> c(k);
  for (double& v : x) v = rng.uniform();
  for (int& v : c) v = static_cast<int>(rng.uniform_int(3));
  std::vector<double> mean(k), var(k);
  m.predict(k, x.data(), c.data(), mean.data(), var.data());
  for (int j = 0; j < k; ++j) {
    double mj, vj;
    m.predict(1, x.data() + 3 * j, c.data() + j, &mj, &vj);
    EXPECT_NEAR(mean[static_cast<size_t>(j)], mj, 1e-12);
    EXPECT_NEAR(var[static_cast<size_t>(j)], vj, 1e-12);
    EXPECT_GT(var[static_cast<size_t>(j)], 0.0);
  }
}

TEST(GpModel, DuplicatePointsWithoutNoiseGetJitter) {
  // Two identical inputs and (almost) no noise: K is singular, the factorisation adds jitter.
  const GpModel m(inputs_1d({0.3, 0.3, 0.8}), {1.0, 1.0, -1.0}, hyper_1d(0.5, 1.0, 1e-30));
  EXPECT_GT(m.jitter(), 0.0);
  EXPECT_LE(m.jitter(), 1e-4);
  const double x = 0.3;
  double mean, var;
  m.predict(1, &x, nullptr, &mean, &var);
  EXPECT_TRUE(std::isfinite(mean));
  EXPECT_NEAR(mean, 1.0, 1e-3);
  EXPECT_TRUE(std::isfinite(m.log_marginal_likelihood()));
}

TEST(GpModel, RejectsMismatchedTargets) {
  EXPECT_THROW(GpModel(inputs_1d({0.1, 0.2}), {1.0}, hyper_1d(0.5, 1.0, 0.01)), Error);
  GpHyper two_dims = hyper_1d(0.5, 1.0, 0.01);
  two_dims.log_lengthscale.push_back(0.0);
  EXPECT_THROW(GpModel(inputs_1d({0.1, 0.2}), {1.0, 2.0}, two_dims), Error);
}

}  // namespace
}  // namespace gd::tune
