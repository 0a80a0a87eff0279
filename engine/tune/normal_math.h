#pragma once
// The standard normal distribution in log space, computed without overflow, underflow or
// cancellation far into the tails. Used by TPE (truncated Gaussian kernels) and by the GP's
// expected improvement.
//
// For expected improvement with z = (mean - best) / sd:  EI = sd * h(z), h(z) = phi(z) + z Phi(z),
// so log EI = log sd + log_h(z). log_h is accurate for every finite z: directly for z > -1, through
// the scaled complementary error function for -100 <= z <= -1 (h = phi(z) (1 + z sqrt(pi/2)
// erfcx(-z/sqrt 2)), whose rounding error grows like eps z^2, below 2e-12 there), and by the
// asymptotic series h / phi = 1/z^2 - 3/z^4 + 15/z^6 - 105/z^8 + 945/z^10 below -100 (truncation
// error < 1e-17 relative).
namespace gd::tune {

double normal_pdf(double z);
double log_normal_pdf(double z);
double normal_cdf(double z);
// log Phi(z), accurate for z -> -inf (asymptotically -z^2/2 - log(-z sqrt(2 pi))).
double log_normal_cdf(double z);
// log(Phi(b) - Phi(a)) for a < b (either may be infinite); -inf when the interval has no mass
// in double precision.
double log_normal_interval(double a, double b);
// exp(x^2) erfc(x): accurate for x >= 0 (series for x >= 25); for x < 0 it grows like 2 exp(x^2)
// and overflows to inf below about -26.
double erfcx(double x);
// log h(z), h(z) = phi(z) + z Phi(z) (the EI of a unit-variance Gaussian), for every finite z.
double log_h(double z);
// d/dz log h(z) = Phi(z) / h(z) (positive; about -z for z -> -inf).
double dlog_h(double z);

}  // namespace gd::tune
