// Fitting the GP hyperparameters (engine/tune/gp_fit.h) and the box L-BFGS it uses
// (engine/tune/gp_lbfgs.h): the objective against the model's marginal likelihood, its gradient
// against finite differences, and fits that must find what the data say (an irrelevant input,
// the noise level).
#include "engine/tune/gp_fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "engine/tune/gp_lbfgs.h"
#include "engine/tune/gp_model.h"
#include "engine/tune/sampler_rng.h"
#include "engine/tune/sobol.h"
#include "tests/support/test_support.h"

namespace gd::tune {
namespace {

TEST(GpFit, ObjectiveWithoutPriorIsTheNegativeLogMarginalLikelihood) {
  GpInputs in;
  in.n = 2;
  in.num_dims = 1;
  in.x = {0.2, 0.7};
  const std::vector<double> y = {1.0, -0.5};
  GpHyper h;
  h.log_lengthscale = {std::log(0.5)};
  h.log_signal_var = std::log(2.0);
  h.log_noise_var = std::log(0.01);
  const GpObjective objective(in, y, false);
  // Same case as GpModel.TwoPointPosteriorMatchesHandComputation (mpmath reference).
  EXPECT_NEAR(objective(h.to_vector(), nullptr), 2.98254185031797098765, 1e-12);
  EXPECT_NEAR(objective(h.to_vector(), nullptr), -GpModel(in, y, h).log_marginal_likelihood(), 1e-12);
  const GpObjective with_prior(in, y, true);
  EXPECT_NEAR(with_prior(h.to_vector(), nullptr) - objective(h.to_vector(), nullptr),
              gp_neg_log_prior(h.to_vector(), 1, 0, nullptr), 1e-12);
}

struct Data {
  GpInputs in;
  std::vector<double> y;
};

// n points: 2 numeric coordinates and 2 categorical ones (3 and 2 levels, the second with an
// "inactive" extra level), targets random.
Data random_data(int n, uint64_t seed) {
  Rng rng(seed, 0);
  Data d;
  d.in.n = n;
  d.in.num_dims = 2;
  d.in.cat_dims = 2;
  for (int i = 0; i < n; ++i) {
    d.in.x.push_back(rng.uniform());
    d.in.x.push_back(rng.uniform());
    d.in.c.push_back(static_cast<int>(rng.uniform_int(3)));
    d.in.c.push_back(static_cast<int>(rng.uniform_int(3)));
    d.y.push_back(rng.normal());
  }
  return d;
}

TEST(GpFit, ObjectiveGradientMatchesFiniteDifferences) {
  const Data d = random_data(30, 5);
  for (bool prior : {false, true}) {
    const GpObjective objective(d.in, d.y, prior);
    std::vector<double> h = {std::log(0.3), std::log(0.8), std::log(0.5), std::log(2.0), std::log(1.2), std::log(0.05)};
    std::vector<double> grad(h.size());
    objective(h, &grad);
    const double err = test::max_gradient_error(h, [&] { return objective(h, nullptr); }, grad, 1e-6);
    EXPECT_LT(err, 1e-6) << "with_prior=" << prior;
  }
}

TEST(GpFit, PriorGradientMatchesFiniteDifferences) {
  std::vector<double> h = {-1.0, 0.5, 2.0, -0.3, -5.0};
  std::vector<double> grad(h.size(), 0.0);
  gp_neg_log_prior(h, 2, 1, &grad);
  EXPECT_LT(test::max_gradient_error(h, [&] { return gp_neg_log_prior(h, 2, 1, nullptr); }, grad), 1e-7);
  std::vector<double> lo, hi;
  gp_hyper_bounds(2, 1, &lo, &hi);
  ASSERT_EQ(lo.size(), 5u);
  for (size_t k = 0; k < lo.size(); ++k) EXPECT_LT(lo[k], hi[k]);
}

// 40 Sobol points in [0, 1]^2, f = sin(8 x0): x1 is irrelevant.
TEST(GpFit, ArdFindsTheIrrelevantDimension) {
  const SobolSequence s(2);
  GpInputs in;
  in.num_dims = 2;
  std::vector<double> y;
  for (int i = 0; i < 40; ++i) {
    const std::vector<double> p = s.point(static_cast<uint64_t>(i) + 1);
    in.x.insert(in.x.end(), p.begin(), p.end());
    y.push_back(std::sin(8.0 * p[0]));
    ++in.n;
  }
  const GpFitResult r = fit_gp_hyper(in, y);
  EXPECT_TRUE(std::isfinite(r.objective));
  const double l0 = std::exp(r.hyper.log_lengthscale[0]), l1 = std::exp(r.hyper.log_lengthscale[1]);
  std::printf("fitted length scales: l0 %.3f, l1 %.3f\n", l0, l1);
  EXPECT_LT(l0, 1.0);  // sin(8 x) has period 0.79: a longer length scale cannot follow it
  EXPECT_GT(l1, 5.0 * l0);
  // A noiseless function: the fitted noise is small relative to the signal.
  EXPECT_LT(std::exp(r.hyper.log_noise_var), 1e-2 * std::exp(r.hyper.log_signal_var));
}

TEST(GpFit, NoisyDataGetALargerNoiseVariance) {
  const SobolSequence s(1);
  Rng rng(3, 0);
  GpInputs in;
  in.num_dims = 1;
  std::vector<double> clean, noisy;
  for (int i = 0; i < 50; ++i) {
    const double x = s.point(static_cast<uint64_t>(i) + 1)[0];
    in.x.push_back(x);
    ++in.n;
    clean.push_back(std::sin(6.0 * x));
    noisy.push_back(std::sin(6.0 * x) + 0.3 * rng.normal());
  }
  const double noise_clean = std::exp(fit_gp_hyper(in, clean).hyper.log_noise_var);
  const double noise_noisy = std::exp(fit_gp_hyper(in, noisy).hyper.log_noise_var);
  // sin(6x) on [0, 1] has variance ~0.5, so noise sd 0.3 is ~0.09 / 0.5 of the signal.
  EXPECT_GT(noise_noisy, 0.02);
  EXPECT_LT(noise_noisy, 0.5);
  EXPECT_GT(noise_noisy, 100.0 * noise_clean);
}

TEST(Lbfgs, MinimisesRosenbrock) {
  const LbfgsObjective rosen = [](const std::vector<double>& x, std::vector<double>* g) {
    const double a = 1 - x[0], b = x[1] - x[0] * x[0];
    (*g)[0] = -2 * a - 400 * x[0] * b;
    (*g)[1] = 200 * b;
    return a * a + 100 * b * b;
  };
  LbfgsOptions opt;
  opt.max_iters = 500;
  opt.ftol = 0.0;
  const LbfgsResult r = minimize_lbfgs_box(rosen, {-1.2, 1.0}, {-5, -5}, {5, 5}, opt);
  EXPECT_NEAR(r.x[0], 1.0, 1e-5);
  EXPECT_NEAR(r.x[1], 1.0, 1e-5);
  EXPECT_LT(r.f, 1e-10);
}

TEST(Lbfgs, StopsAtTheBoundWhenTheMinimumIsOutside) {
  const LbfgsObjective bowl = [](const std::vector<double>& x, std::vector<double>* g) {
    (*g)[0] = 2 * (x[0] - 2);
    (*g)[1] = 2 * (x[1] + 1);
    (*g)[2] = 2 * (x[2] - 0.3);
    return (x[0] - 2) * (x[0] - 2) + (x[1] + 1) * (x[1] + 1) + (x[2] - 0.3) * (x[2] - 0.3);
  };
  const LbfgsResult r = minimize_lbfgs_box(bowl, {0.5, 0.5, 0.5}, {0, 0, 0}, {1, 1, 1});
  EXPECT_EQ(r.x[0], 1.0);
  EXPECT_EQ(r.x[1], 0.0);
  EXPECT_NEAR(r.x[2], 0.3, 1e-8);
}

TEST(Lbfgs, TreatsInfinityAsTooFar) {
  // (x - 1)^2 but undefined (inf) beyond 0.5: the line search backtracks into the finite region.
  const LbfgsObjective f = [](const std::vector<double>& x, std::vector<double>* g) {
    if (x[0] > 0.5) return std::numeric_limits<double>::infinity();
    (*g)[0] = 2 * (x[0] - 1);
    return (x[0] - 1) * (x[0] - 1);
  };
  const LbfgsResult r = minimize_lbfgs_box(f, {0.0}, {-2}, {2});
  EXPECT_TRUE(std::isfinite(r.f));
  EXPECT_LE(r.x[0], 0.5);
  EXPECT_GT(r.x[0], 0.0);
}

}  // namespace
}  // namespace gd::tune
