#pragma once
// The univariate Parzen estimators of TPE (Bergstra et al., "Algorithms for hyper-parameter
// optimization", NeurIPS 2011), over one parameter's unit coordinate (param_spec.h), so log
// parameters are modelled in log space.
//
// NumericParzen: a mixture of Gaussians truncated to [0, 1], one per observation plus a prior
// component N(0.5, 1). Bandwidths follow the paper's adaptive rule: each observation's sigma is
// the larger distance to its neighbours (the other observations, the prior mean, and the ends 0
// and 1), clipped to [1 / min(100, n + 1), 1] for n observations. Weights: the observations'
// weights and the prior weight, normalised.
// CategoricalParzen: smoothed counts, p(c) proportional to prior_weight / K + sum of the weights
// of the observations equal to c.
//
// MultivariateParzen: the joint version over several parameters (multivariate TPE, as in BOHB
// and Optuna's multivariate mode): one product kernel per observation plus a prior component
// (N(0.5, 1) per numeric coordinate, uniform per categorical). Numeric kernels are truncated
// Gaussians with one Scott-like bandwidth per dimension, sigma = 0.2 * n^(-1/(D+4)) for n
// observations in D dimensions, clipped to [1 / min(100, n + 1), 1]. A categorical kernel puts
// weight 1 on the observed choice plus prior_weight / (n + 1) on every choice, normalised (Optuna's
// smoothing), so it sharpens as observations accumulate. A kernel is conditional on its categories:
// at a point whose categorical choices differ from its observation's, its numeric factors are the
// prior's, not its own (an observation says nothing about where the numeric optimum lies under
// another category). Both changes keep the sampler exploring the other categories when the best
// numeric values depend on the category: with smoothing prior_weight / K and unconditional
// numeric kernels it settled on a wrong category in 17 of 30 seeds of the mixed problem of
// tests/sampler_synthetic_test.cpp, with both in none (docs/tuning-benchmark.md, "Samplers on
// synthetic problems"). Discrete numeric parameters are scored by the mass of their level's unit bin.
#include <vector>

#include "engine/tune/param_spec.h"
#include "engine/tune/sampler_rng.h"

namespace gd::tune {

class NumericParzen {
 public:
  // obs: unit coordinates in [0, 1]; weights: one per observation (> 0); prior_weight > 0.
  NumericParzen(const std::vector<double>& obs, const std::vector<double>& weights, double prior_weight);
  // A draw in [0, 1].
  double sample(Rng& rng) const;
  // log density at u in [0, 1] (continuous parameters).
  double log_density(double u) const;
  // log probability of the bin [lo, hi) (discrete parameters: the level's unit bin).
  double log_mass(double lo, double hi) const;

 private:
  std::vector<double> mu_, sigma_, log_w_, log_z_;  // log_z_: log of each kernel's mass in [0, 1]
  std::vector<double> cum_w_;                       // cumulative weights for component choice
};

class CategoricalParzen {
 public:
  CategoricalParzen(const std::vector<int>& obs, const std::vector<double>& weights, int num_choices,
                    double prior_weight);
  int sample(Rng& rng) const;
  double log_prob(int c) const { return log_p_[static_cast<size_t>(c)]; }

 private:
  std::vector<double> p_, log_p_;
};

class MultivariateParzen {
 public:
  // specs: the (sampled, non-fixed) parameters; obs: one row of unit coordinates per observation
  // (one per spec, from ParamSpec::to_unit); weights: one per observation.
  MultivariateParzen(std::vector<const ParamSpec*> specs, const std::vector<std::vector<double>>& obs,
                     const std::vector<double>& weights, double prior_weight);
  // A draw: unit coordinates, discrete ones snapped to their level's representative.
  std::vector<double> sample(Rng& rng) const;
  // log density (continuous coordinates) times bin masses (discrete ones) at a snapped point.
  double log_pdf(const std::vector<double>& u) const;

 private:
  std::vector<const ParamSpec*> specs_;
  size_t n_comp_ = 0;                  // observations + 1 (the prior, last)
  std::vector<double> mu_, sigma_;     // n_comp x D (numeric dims; unused for categorical)
  std::vector<double> log_z_;          // n_comp x D truncation masses
  std::vector<std::vector<double>> cat_p_;  // per component and categorical dim: choice probabilities
  std::vector<size_t> observed_;            // per component and categorical dim: the observed choice
  std::vector<double> log_w_, cum_w_;
};

// TPE's observation weights in trial order (oldest first): 1 for the newest 25, a linear ramp from
// 1/n up to 1 for the older ones (so old observations fade once there are many).
std::vector<double> tpe_weights(size_t n);

}  // namespace gd::tune
