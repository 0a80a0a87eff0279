#pragma once
// "Coarse then fine": random search until the study has n_random Complete trials, then Gaussian-
// process Bayesian optimisation (gp_sampler.h) over everything observed so far. The switch is
// decided from the history alone, so it also covers a study that was run with the random sampler
// and is continued with this one (or with "gp"): every trial counts, whoever proposed it.
// last_proposer() names the part that proposed ("random" or "gp").
#include "engine/tune/gp_sampler.h"
#include "engine/tune/random_sampler.h"

namespace gd::tune {

class CoarseFineSampler : public Sampler {
 public:
  // n_random: -1 = max(10, 2 * dims) for the space at hand; else >= 0.
  explicit CoarseFineSampler(int n_random = -1, GpOptions gp = {});
  std::string name() const override { return "coarse-fine"; }
  nlohmann::json propose(const SampleRequest& request) override;

  int random_trials(const SearchSpace& space) const;

 private:
  int n_random_;
  RandomSampler random_;
  GpSampler gp_;
};

}  // namespace gd::tune
