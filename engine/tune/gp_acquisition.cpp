// Log expected improvement (gp_acquisition.h).
#include "engine/tune/gp_acquisition.h"

#include <cmath>

namespace gd::tune {

double log_expected_improvement(double mean, double var, double best) {
  const double sd = std::sqrt(var);
  return std::log(sd) + log_h((mean - best) / sd);
}

double log_expected_improvement_grad(double mean, double var, double best, const double* dmean, const double* dvar,
                                     int n, double* grad) {
  const double sd = std::sqrt(var);
  const double z = (mean - best) / sd;
  const double dh = dlog_h(z);
  for (int i = 0; i < n; ++i) {
    const double dsd = dvar[i] / (2.0 * sd);
    grad[i] = dsd / sd + dh * (dmean[i] - z * dsd) / sd;
  }
  return std::log(sd) + log_h(z);
}

}  // namespace gd::tune
