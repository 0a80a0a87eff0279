#pragma once
// Fitting the GP hyperparameters (gp_kernel.h) by maximum a posteriori: minimise
//   -log p(y | X, h) - log p(h)
// over the log hyperparameters h with box-constrained L-BFGS (gp_lbfgs.h), analytic gradients
//   d(-log p(y|X,h)) / dh = -1/2 tr((alpha alpha^T - K^{-1}) dK/dh),
// from two fixed starts (length scales 0.3 and 1); the better optimum wins. With
// no random starts the fit is a pure function of the data, which the GP sampler's cache relies on.
//
// Priors (independent normals on the log values) and bounds, for inputs in [0, 1] and
// standardised targets:
//   log l_d      ~ N(0, 1.5^2)                in [ln 0.02, ln 100]  (median 1: a function that
//                  changes about once across the range; an irrelevant input drifts to 100)
//   log theta_c  ~ N(0, 1.5^2)                in [ln 1e-3, ln 20]
//   log s2       ~ N(0, 1.5^2)                in [ln 0.01, ln 100]
//   log noise    ~ N(ln 1e-3, 2.5^2)          in [ln 1e-6, ln 1]
#include <vector>

#include "engine/tune/gp_kernel.h"

namespace gd::tune {

// -log p(y | X, h) (+ -log prior when with_prior) and its gradient with respect to
// h = GpHyper::to_vector(). Pairwise input differences are computed once at construction.
// +inf when K cannot be factorised even with jitter.
class GpObjective {
 public:
  GpObjective(const GpInputs& inputs, const std::vector<double>& y, bool with_prior = true);
  double operator()(const std::vector<double>& h, std::vector<double>* grad) const;
  int num_hyper() const { return in_.num_dims + in_.cat_dims + 2; }

 private:
  const GpInputs& in_;
  const std::vector<double>& y_;
  bool with_prior_;
  std::vector<double> sqdiff_;   // pairs (i > j) x num_dims: (x_i,d - x_j,d)^2
  std::vector<double> mismatch_;  // pairs x cat_dims: 1 when the levels differ
};

// -log p(h) and its gradient (added to *grad).
double gp_neg_log_prior(const std::vector<double>& h, int num_dims, int cat_dims, std::vector<double>* grad);
void gp_hyper_bounds(int num_dims, int cat_dims, std::vector<double>* lo, std::vector<double>* hi);

struct GpFitResult {
  GpHyper hyper;
  double objective = 0.0;  // -log posterior at the optimum
  int evals = 0;
};

// MAP fit from the two fixed starts (max_iters L-BFGS iterations each).
GpFitResult fit_gp_hyper(const GpInputs& inputs, const std::vector<double>& y, int max_iters = 60);

}  // namespace gd::tune
