// Log expected improvement and the log-space normal functions (engine/tune/gp_acquisition.h,
// normal_math.h): against direct formulas where those are accurate, against long-double
// references in the tails, finite and monotone far below the incumbent, and derivatives against
// finite differences.
#include "engine/tune/gp_acquisition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/tune/normal_math.h"
#include "engine/tune/sampler_rng.h"

namespace gd::tune {
namespace {

// log(phi(z) + z Phi(z)) in long double (64-bit mantissa). The sum cancels for z < 0 with
// relative error ~ eps_ld * z^2 (eps_ld = 1.1e-19), i.e. < 2e-16 for z >= -40: a reference for
// the double implementation there.
double log_h_long_double(double zd) {
  const long double z = zd;
  const long double phi = std::exp(-z * z / 2) / std::sqrt(2 * 3.14159265358979323846264338327950288L);
  const long double cdf = 0.5L * std::erfc(-z / std::sqrt(2.0L));
  return static_cast<double>(std::log(phi + z * cdf));
}

TEST(LogEi, LogHMatchesALongDoubleReferenceDownToMinus40) {
  // Tolerance: the double implementation's error bound (normal_math.h) is eps * z^2 relative,
  // 3.6e-13 at z = -40; a 3x margin.
  for (double z = -40.0; z <= 20.0; z += 0.125) {
    const double want = log_h_long_double(z);
    ASSERT_NEAR(log_h(z), want, 1e-12 * std::max(1.0, std::fabs(want))) << "z = " << z;
  }
}

TEST(LogEi, MatchesTheLogOfDirectEiWhereBothAreFinite) {
  // Direct EI in double is accurate for moderate z (|z| <= 5: the cancellation costs < 5 digits).
  Rng rng(1, 0);
  for (int i = 0; i < 500; ++i) {
    const double mean = rng.uniform(-3, 3), var = std::exp(rng.uniform(-6, 2)), best = rng.uniform(-3, 3);
    const double sd = std::sqrt(var), z = (mean - best) / sd;
    if (std::fabs(z) > 5.0) continue;
    const double ei = sd * (normal_pdf(z) + z * normal_cdf(z));
    ASSERT_GT(ei, 0.0);
    ASSERT_NEAR(log_expected_improvement(mean, var, best), std::log(ei), 1e-9) << "z = " << z;
  }
}

TEST(LogEi, FiniteAndMonotoneFarBelowTheIncumbent) {
  // Direct EI underflows to 0 (log = -inf) below z ~ -38; log_h stays finite and keeps ranking.
  EXPECT_EQ(normal_pdf(-40.0) + -40.0 * normal_cdf(-40.0), 0.0);
  double prev = log_h(-1.0);
  for (double z = -1.0 - 1e-3; z > -1e8; z *= 1.05) {
    const double v = log_h(z);
    ASSERT_TRUE(std::isfinite(v)) << z;
    ASSERT_LT(v, prev) << "not decreasing at z = " << z;
    prev = v;
  }
  // Asymptote: h / phi = 1/z^2 - 3/z^4 + 15/z^6 - ..., so log_h(z) - log phi(z) + 2 log|z| =
  // -3/z^2 + 10.5/z^4 + O(z^-6). The subtraction of log phi(z) (~ -z^2/2) in this check costs
  // ~eps z^2 absolute, hence the second term of the tolerance.
  for (double z : {-50.0, -1e3, -1e6}) {
    const double tol = 11.0 / (z * z * z * z) + 4.0 * 2.2e-16 * 0.5 * z * z;
    EXPECT_NEAR(log_h(z) - log_normal_pdf(z) + 2.0 * std::log(-z), -3.0 / (z * z), tol) << z;
  }
}

TEST(LogEi, ContinuousAcrossTheBranchPoints) {
  for (double z0 : {-1.0, -100.0}) {
    const double below = log_h(std::nextafter(z0, -1e9)), at = log_h(z0), above = log_h(std::nextafter(z0, 0.0));
    EXPECT_NEAR(below, at, 1e-11 * std::fabs(at)) << z0;
    EXPECT_NEAR(above, at, 1e-11 * std::fabs(at)) << z0;
  }
}

TEST(LogEi, DerivativeOfLogHMatchesFiniteDifferences) {
  for (double z = -300.0; z <= 8.0; z += 1.37) {
    const double h = 1e-5 * std::max(1.0, std::fabs(z));
    const double fd = (log_h(z + h) - log_h(z - h)) / (2 * h);
    ASSERT_NEAR(dlog_h(z), fd, 1e-6 * std::max(1.0, std::fabs(fd))) << "z = " << z;
    ASSERT_GT(dlog_h(z), 0.0);
  }
}

TEST(LogEi, InputGradientMatchesFiniteDifferences) {
  // mean(x) and var(x) of two inputs, through the chain rule of log_expected_improvement_grad.
  auto mv = [](const double* x, double* mean, double* var, double* dmean, double* dvar) {
    *mean = std::sin(3 * x[0]) + 0.5 * x[1];
    *var = 0.2 + x[0] * x[0] + std::exp(-x[1]);
    dmean[0] = 3 * std::cos(3 * x[0]);
    dmean[1] = 0.5;
    dvar[0] = 2 * x[0];
    dvar[1] = -std::exp(-x[1]);
  };
  for (double best : {-0.5, 1.0, 6.0}) {  // z from positive to about -8
    const double x[2] = {0.3, 0.7};
    double mean, var, dmean[2], dvar[2], grad[2];
    mv(x, &mean, &var, dmean, dvar);
    const double lei = log_expected_improvement_grad(mean, var, best, dmean, dvar, 2, grad);
    EXPECT_NEAR(lei, log_expected_improvement(mean, var, best), 1e-14);
    for (int d = 0; d < 2; ++d) {
      double xp[2] = {x[0], x[1]}, xm[2] = {x[0], x[1]}, m2, v2, dm[2], dv[2];
      xp[d] += 1e-6;
      xm[d] -= 1e-6;
      mv(xp, &m2, &v2, dm, dv);
      const double fp = log_expected_improvement(m2, v2, best);
      mv(xm, &m2, &v2, dm, dv);
      const double fm = log_expected_improvement(m2, v2, best);
      EXPECT_NEAR(grad[d], (fp - fm) / 2e-6, 1e-6 * std::max(1.0, std::fabs(grad[d]))) << "best " << best << " d " << d;
    }
  }
}

TEST(NormalMath, LogCdfAndErfcxMatchLongDoubleInTheTails) {
  for (double z = -35.0; z <= 8.0; z += 0.25) {
    const long double want = std::log(0.5L * std::erfc(-static_cast<long double>(z) / std::sqrt(2.0L)));
    ASSERT_NEAR(log_normal_cdf(z), static_cast<double>(want), 1e-13 * std::max(1.0L, std::fabs(want))) << z;
  }
  EXPECT_NEAR(log_normal_cdf(10.0), -7.619853024160526e-24, 1e-36);  // -Q(10): log1p keeps it
  for (double x = 0.0; x <= 100.0; x += 0.5) {
    const long double lx = x;
    const long double want = std::exp(lx * lx) * std::erfc(lx);
    ASSERT_NEAR(erfcx(x), static_cast<double>(want), 1e-13 * static_cast<double>(want)) << x;
  }
}

TEST(NormalMath, LogIntervalMatchesDirectDifferences) {
  const double pts[] = {-30.0, -8.0, -2.0, -0.3, 0.0, 0.4, 1.5, 7.0, 30.0};
  for (double a : pts) {
    for (double b : pts) {
      if (!(a < b)) continue;
      const long double la = a, lb = b;
      const long double direct = 0.5L * std::erfc(-lb / std::sqrt(2.0L)) - 0.5L * std::erfc(-la / std::sqrt(2.0L));
      const long double upper = 0.5L * std::erfc(la / std::sqrt(2.0L)) - 0.5L * std::erfc(lb / std::sqrt(2.0L));
      const long double want = std::log(a >= 0 ? upper : direct);
      EXPECT_NEAR(log_normal_interval(a, b), static_cast<double>(want), 1e-10 * std::max(1.0L, std::fabs(want)))
          << a << " " << b;
    }
  }
  EXPECT_EQ(log_normal_interval(1.0, 1.0), -std::numeric_limits<double>::infinity());
  EXPECT_NEAR(log_normal_interval(-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()), 0.0, 1e-15);
}

}  // namespace
}  // namespace gd::tune
