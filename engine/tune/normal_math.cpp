// Log-space standard normal functions (normal_math.h).
#include "engine/tune/normal_math.h"

#include <cmath>
#include <limits>

namespace gd::tune {

namespace {
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kLogSqrt2Pi = 0.91893853320467274178;   // log(sqrt(2 pi))
constexpr double kSqrtPiOver2 = 1.2533141373155002512;   // sqrt(pi / 2)
constexpr double kInvSqrtPi = 0.56418958354775628695;     // 1 / sqrt(pi)
}  // namespace

double log_normal_pdf(double z) { return -0.5 * z * z - kLogSqrt2Pi; }
double normal_pdf(double z) { return std::exp(log_normal_pdf(z)); }
double normal_cdf(double z) { return 0.5 * std::erfc(-z * kInvSqrt2); }

double erfcx(double x) {
  if (x < 25.0) return std::exp(x * x) * std::erfc(x);
  // erfcx(x) = 1/(x sqrt(pi)) * sum_k (-1)^k (2k-1)!! / (2x^2)^k; the terms fall by >= 1000x each.
  const double t = 1.0 / (2.0 * x * x);
  const double s = 1.0 - t * (1.0 - 3.0 * t * (1.0 - 5.0 * t * (1.0 - 7.0 * t * (1.0 - 9.0 * t))));
  return kInvSqrtPi / x * s;
}

double log_normal_cdf(double z) {
  if (z > 0.0) return std::log1p(-0.5 * std::erfc(z * kInvSqrt2));
  if (z > -5.0) return std::log(normal_cdf(z));
  if (std::isinf(z)) return -std::numeric_limits<double>::infinity();
  // Phi(z) = 0.5 erfcx(-z/sqrt2) exp(-z^2/2).
  return std::log(0.5 * erfcx(-z * kInvSqrt2)) - 0.5 * z * z;
}

double log_normal_interval(double a, double b) {
  const double neg_inf = -std::numeric_limits<double>::infinity();
  if (!(a < b)) return neg_inf;
  if (a >= 0.0) {  // both in the upper tail: Q(a) - Q(b) with Q(x) = Phi(-x)
    const double la = log_normal_cdf(-a), lb = log_normal_cdf(-b);
    return la + std::log(-std::expm1(lb - la));
  }
  if (b <= 0.0) {
    const double la = log_normal_cdf(a), lb = log_normal_cdf(b);
    return lb + std::log(-std::expm1(la - lb));
  }
  return std::log1p(-(normal_cdf(a) + normal_cdf(-b)));
}

double log_h(double z) {
  if (z > -1.0) return std::log(normal_pdf(z) + z * normal_cdf(z));
  if (z >= -100.0) return log_normal_pdf(z) + std::log1p(z * kSqrtPiOver2 * erfcx(-z * kInvSqrt2));
  const double r = 1.0 / (z * z);
  return log_normal_pdf(z) + std::log(r * (1.0 - r * (3.0 - r * (15.0 - r * (105.0 - r * 945.0)))));
}

double dlog_h(double z) { return std::exp(log_normal_cdf(z) - log_h(z)); }

}  // namespace gd::tune
