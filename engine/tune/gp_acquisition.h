#pragma once
// Expected improvement in its numerically stable log form (Ament et al., "Unexpected improvements
// to expected improvement for Bayesian optimization", NeurIPS 2023), for MAXIMISATION of a
// Gaussian posterior N(mean, var) over the incumbent `best`:
//   EI = sd * h(z),  z = (mean - best) / sd,  h(z) = phi(z) + z Phi(z),
//   log EI = log sd + log_h(z)        (normal_math.h: finite for every finite z, so candidates far
//                                       below the incumbent still rank by how far below they are
//                                       instead of all underflowing to EI = 0).
#include "engine/tune/normal_math.h"

namespace gd::tune {

// log EI; var must be > 0.
double log_expected_improvement(double mean, double var, double best);

// log EI and its gradient with respect to the inputs, given d mean / dx and d var / dx (n entries
// each): d log EI = d sd / sd + dlog_h(z) (d mean - z d sd) / sd,  d sd = d var / (2 sd).
double log_expected_improvement_grad(double mean, double var, double best, const double* dmean, const double* dvar,
                                     int n, double* grad);

}  // namespace gd::tune
