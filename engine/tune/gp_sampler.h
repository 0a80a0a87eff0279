#pragma once
// Gaussian-process Bayesian optimisation.
//
// Start: while the study has fewer than n_startup observations, proposals are points of a
// scrambled Sobol sequence (sobol.h; digital shift fixed by the seed, point index = trial number,
// so parallel workers get different, well-spread points).
//
// Model: inputs from GpEncoder (gp_encoding.h), targets = the scores of Complete trials and of
// Pruned trials (their last reported value, taken at face value as a lower-fidelity observation:
// for a rising learning curve this underrates them, which is in the direction pruning judged
// them; a pruned trial that never reported gets the worst observed score). Scores are oriented
// larger-is-better, bad outliers are clipped at median - 5 * 1.4826 * MAD (a diverged run at 10%
// accuracy would otherwise squash every other difference), then standardised. Running trials
// enter as constant liars at the mean observed score: the posterior variance collapses at
// configurations in flight on other workers, so their neighbourhoods lose expected improvement,
// without the pessimistic lie (the worst score) that repelled proposals from every promising
// region (4 parallel workers on spaces/mlp.toml: median regret after 100 trials 0.0062 with the
// worst score as the lie, 0.0047 with the mean). Failed trials are ignored (except for duplicate
// avoidance).
//
// Hyperparameters (gp_fit.h, MAP with priors): refitted on a schedule, not at every call. With n
// observations the fit uses the first m = gp_fit_size(n) observations in trial order (m = n up to
// 30, then m steps through 30, 33, 37, ... growing by 10%), subsampled to max_fit_points (the best
// quarter plus evenly spaced others). The result is cached by a hash of the fit data, so between
// schedule points a call reuses it, and since the fit is a pure function of that data (fixed
// starts, no randomness), proposals stay a pure function of (seed, history) whether or not the
// cache is warm. The posterior itself uses every observation and liar at every call.
//
// Acquisition: log expected improvement (gp_acquisition.h) over the best standardised score,
// maximised over n_candidates points (half scrambled Sobol, half Gaussian perturbations of the 5
// best observations at scales 0.01, 0.05 and 0.2 in unit space, with categoricals resampled with
// probability 1/dims), the n_refine best of which are refined by box L-BFGS over their active
// numeric coordinates (categoricals held). Every candidate is decoded to a valid configuration
// (ints rounded, conditions applied) and scored again as decoded; the best one whose canonical
// key is unused is returned.
#include <cstdint>
#include <vector>

#include "engine/tune/gp_kernel.h"
#include "engine/tune/sampler.h"

namespace gd::tune {

struct GpOptions {
  int n_startup = -1;         // -1: min(10, dims + 2)
  int n_candidates = 512;     // >= 2
  int n_refine = 4;           // >= 0
  int max_fit_points = 120;   // >= 10
};

// Number of leading observations the hyperparameters are fitted on when n are available.
int gp_fit_size(int n);

class GpSampler : public Sampler {
 public:
  // ConfigError on options out of range.
  explicit GpSampler(GpOptions options = {});
  std::string name() const override { return "gp"; }
  nlohmann::json propose(const SampleRequest& request) override;

  // The startup count for a space (options.n_startup, or its default).
  int startup_trials(const SearchSpace& space) const;
  // Hyperparameter fits performed so far (cache misses); for tests and benchmarks.
  int fits() const { return fits_; }
  void clear_cache() { cache_.clear(); }

 private:
  struct CacheEntry {
    uint64_t key;
    GpHyper hyper;
  };
  GpHyper hyperparameters(const GpInputs& inputs, const std::vector<double>& y);

  GpOptions opt_;
  std::vector<CacheEntry> cache_;  // most recent last, at most kCacheSize
  int fits_ = 0;
};

}  // namespace gd::tune
