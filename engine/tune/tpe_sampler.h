#pragma once
// Tree-structured Parzen Estimator (Bergstra et al. 2011).
//
// multivariate (default): the unconditional sampled parameters are drawn jointly from one pair of
// multivariate Parzen estimators (parzen_estimator.h), which captures interactions (a curved
// valley such as Branin's, lr x batch size); then the conditional parameters are drawn in space
// order, each from its own univariate pair, modelled only on the trials where it was active.
// univariate (multivariate = false, Optuna's default): every parameter from its own pair.
//
// For a proposal with n Complete trials (n >= n_startup; before that, uniform random draws):
//   * "good" = the best ceil(gamma * n) Complete trials, at most gamma_max (at least 1);
//   * "bad"  = the other Complete trials, every Pruned trial (pruning judged them worse than
//     their peers at the same step, whatever value they reached) and every Running trial (a
//     constant liar: configurations in flight on other workers are treated as bad, which steers
//     parallel proposals apart);
//   * l(x), g(x): Parzen estimators of the parameter over the good and bad trials where it is
//     active, observation weights by tpe_weights() in trial order, plus the prior component;
//   * n_ei_candidates draws from l; the one maximising log l(x) - log g(x) is chosen (discrete
//     parameters: probabilities of the level's unit bin; categorical: smoothed counts).
//     Maximising l/g maximises expected improvement under the TPE model.
// Failed trials are ignored (except for duplicate avoidance).
#include "engine/tune/sampler.h"

namespace gd::tune {

struct TpeOptions {
  int n_startup = 10;
  int n_ei_candidates = 24;
  double gamma = 0.1;
  int gamma_max = 25;
  double prior_weight = 1.0;
  bool multivariate = true;
};

class TpeSampler : public Sampler {
 public:
  // ConfigError on options out of range (n_startup < 0, n_ei_candidates < 1, gamma not in (0, 1],
  // gamma_max < 1, prior_weight <= 0).
  explicit TpeSampler(TpeOptions options = {});
  std::string name() const override { return "tpe"; }
  nlohmann::json propose(const SampleRequest& request) override;

 private:
  TpeOptions opt_;
};

}  // namespace gd::tune
