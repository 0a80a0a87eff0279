#pragma once
// Asynchronous successive halving (ASHA; Li et al., "A System for Massively Parallel
// Hyperparameter Tuning", MLSys 2020), with epochs as the resource.
//
// Rungs: rung k ends after r_k = min_resource * eta^(s + k) epochs (eta = reduction_factor,
// s = min_early_stopping_rate) for every such r_k < max_resource; the last rung is max_resource,
// where a trial completes. A trial is trained to the budget of its target rung; at a rung below the
// last it PAUSES (stored as Pruned, attrs {"asha": {"rung": k}, "checkpoint": path}). A worker
// asking for work first looks for a promotion (next_promotion): going from the highest rung down,
// a paused trial of rung k that ranks in the top floor(n_k / eta) of the n_k trials that reached
// rung k (every trial with a value at step r_k, except Failed ones), best first; it is claimed
// (StudyStorage::next_job with resumer(), attrs {"asha": {"promoted_to": k + 1}}) and resumed from
// its checkpoint up to r_{k+1}. With no promotion possible, a new trial starts at rung 0.
//
// Ties in a rung are broken by trial number (earlier first). Non-finite values rank last.
#include <optional>
#include <string>
#include <vector>

#include "engine/tune/pruner.h"
#include "engine/tune/study_storage.h"

namespace gd::tune {

struct AshaOptions {
  int min_resource = 1;             // r: epochs of the bottom rung (with s = 0)
  int max_resource = 0;             // R: epochs of a complete trial; required, >= min_resource
  int reduction_factor = 3;         // eta >= 2: 1/eta of each rung is promoted
  int min_early_stopping_rate = 0;  // s >= 0: the bottom rung is r * eta^s
};

// ConfigError naming the field when an option is out of range.
void validate(const AshaOptions& o);

// r_0 < r_1 < ... < r_last = max_resource (see the top of this file). A single rung means no
// pausing at all.
std::vector<int> asha_rungs(const AshaOptions& o);

// One trial's standing in a rung.
struct RungEntry {
  int64_t trial_id = -1;
  int number = -1;
  double value = 0.0;   // its value at step r_k
  bool paused = false;  // Pruned, paused at this rung and not yet promoted
};

struct AshaPromotion {
  int64_t trial_id = -1;
  int number = -1;
  int from_rung = 0;
  int to_rung = 1;
  double value = 0.0;  // its value at the rung it leaves
};

class AshaPruner : public Pruner {
 public:
  explicit AshaPruner(AshaOptions options);
  const AshaOptions& options() const { return options_; }
  const std::vector<int>& rungs() const { return rungs_; }
  int last_rung() const { return static_cast<int>(rungs_.size()) - 1; }

  std::string name() const override { return "asha"; }
  nlohmann::json to_json() const override;
  // True when `step` reached the budget of the trial's target rung and that rung is not the last:
  // pause it there (tell_pruned with pause_attrs(target_rung(trial), checkpoint)).
  bool should_prune(const Trial& trial, int step, const std::vector<Trial>& all, Direction d) const override;

  // The rung a Running trial is trained to: attrs.asha.promoted_to, else 0. DataError when the
  // attribute is malformed or outside the rungs.
  int target_rung(const Trial& trial) const;
  // Epochs the trial must have completed before it pauses or completes: rungs()[target_rung].
  int epoch_budget(const Trial& trial) const;
  // The rung a Pruned trial is paused at, awaiting promotion; nullopt for any other trial.
  std::optional<int> paused_rung(const Trial& trial) const;

  // Trials that reached rung k, best first.
  std::vector<RungEntry> rung_standings(int k, const std::vector<Trial>& all, Direction d) const;
  // The promotion a worker asking for work takes now, or nullopt (start a new trial).
  std::optional<AshaPromotion> next_promotion(const std::vector<Trial>& all, Direction d) const;

  // Attrs patch for tell_pruned when pausing at rung k (clears promoted_to; `checkpoint` may be "").
  static nlohmann::json pause_attrs(int rung, const std::string& checkpoint);
  // Attrs patch a claimed promotion applies: {"asha": {"promoted_to": to_rung}}.
  static nlohmann::json promotion_attrs(const AshaPromotion& p);
  // Chooser for JobRequest::resume / StudyStorage::resume: next_promotion as a Resumption.
  ResumeFn resumer(Direction d) const;

 private:
  AshaOptions options_;
  std::vector<int> rungs_;
};

}  // namespace gd::tune
