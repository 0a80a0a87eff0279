#pragma once
// A zero-mean Gaussian process conditioned on observations, for fixed hyperparameters
// (gp_kernel.h). Targets are expected to be standardised by the caller. With K = k(X, X) +
// noise I (+ jitter, see below), L = chol(K), alpha = K^{-1} y, the posterior of the latent
// function at x is
//   mean(x) = k(x, X) alpha,    var(x) = k(x, x) - |L^{-1} k(X, x)|^2   (no observation noise).
// When K is numerically not positive definite, jitter is added to its diagonal
// (cholesky_with_jitter, up to 1e-4 of the mean diagonal); beyond that, NumericError.
#include <vector>

#include "engine/tune/gp_kernel.h"

namespace gd::tune {

class GpModel {
 public:
  GpModel(GpInputs inputs, std::vector<double> y, const GpHyper& hyper);

  int size() const { return in_.n; }
  const GpInputs& inputs() const { return in_; }
  const GpKernel& kernel() const { return kern_; }
  double jitter() const { return jitter_; }  // relative jitter that was needed (0 normally)
  // log p(y | X, hyperparameters).
  double log_marginal_likelihood() const { return lml_; }

  // Posterior mean and variance at m points (x: m x num_dims, c: m x cat_dims). Variances are
  // floored at 1e-12 * s2 (rounding can make them slightly negative near the data).
  void predict(int m, const double* x, const int* c, double* mean, double* var) const;
  // One point, with the gradients of mean and variance with respect to its numeric coordinates
  // (dmean, dvar: num_dims entries each; dvar is 0 where the variance is floored).
  void predict_with_grad(const double* x, const int* c, double* mean, double* var, double* dmean,
                         double* dvar) const;

 private:
  GpInputs in_;
  std::vector<double> y_;
  GpKernel kern_;
  std::vector<double> l_, alpha_;
  double jitter_ = 0.0, lml_ = 0.0;
};

}  // namespace gd::tune
