#pragma once
// "auto", the default sampler: Gaussian-process BO (gp_sampler.h) while it is fast and the
// strongest, multivariate TPE (tpe_sampler.h) beyond. Decided from the study at every proposal,
// so a study that grows past the limits switches by itself:
//   * GP while the study has fewer than kAutoGpMaxTrials finished (Complete or Pruned) trials and
//     the space has at most kAutoGpMaxParams sampled parameters;
//   * TPE otherwise: the GP's posterior costs O(n^3) per suggestion in the finished trials n, and
//     its acquisition search weakens with many dimensions, while TPE's cost grows linearly.
// Measured (docs/tuning-benchmark.md, "Choosing the sampler"): on every synthetic problem and on
// the MNIST mlp objective the GP needed the fewest evaluations; its suggestion stays well under
// 50 ms up to 500 trials of 10 parameters.
// last_proposer() names the part that proposed ("gp", or "tpe"; "random" for the duplicate
// fallback), and gpu_tune stores it with every trial.
#include <string>
#include <vector>

#include "engine/tune/gp_sampler.h"
#include "engine/tune/tpe_sampler.h"

namespace gd::tune {

inline constexpr int kAutoGpMaxTrials = 500;
inline constexpr int kAutoGpMaxParams = 20;

struct AutoChoice {
  std::string sampler;  // "gp" or "tpe"
  std::string reason;   // one sentence with the numbers it was decided on
};

AutoChoice auto_sampler_choice(const SearchSpace& space, const std::vector<Trial>& history);

class AutoSampler : public Sampler {
 public:
  AutoSampler(GpOptions gp = {}, TpeOptions tpe = {});
  std::string name() const override { return "auto"; }
  nlohmann::json propose(const SampleRequest& request) override;

 private:
  GpSampler gp_;
  TpeSampler tpe_;
};

}  // namespace gd::tune
