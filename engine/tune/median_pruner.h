#pragma once
// The median stopping rule (as in Optuna's MedianPruner, Golovin et al. 2017): a trial is pruned
// at step s when its best value so far is worse than the median of the values that the study's
// Complete trials reported at step s.
#include <optional>

#include "engine/tune/pruner.h"

namespace gd::tune {

struct MedianPrunerOptions {
  int n_startup_trials = 5;  // no pruning until this many trials are Complete
  int n_warmup_steps = 0;    // steps 1..n_warmup_steps of every trial are never pruned
  int interval_steps = 1;    // checks at steps n_warmup_steps + 1, + 1 + interval, + 1 + 2 interval ...
  int n_min_trials = 1;      // at least this many Complete trials must have a value at the step
};

// ConfigError naming the field for a negative count or an interval < 1.
void validate(const MedianPrunerOptions& o);

// Median of the values at exactly `step` of the Complete trials in `all`, other than `exclude_id`
// (the mean of the two middle values for an even count). nullopt when there are fewer than
// `min_count` such values (min_count >= 1).
std::optional<double> median_at_step(const std::vector<Trial>& all, int step, int64_t exclude_id, int min_count = 1);

class MedianPruner : public Pruner {
 public:
  explicit MedianPruner(MedianPrunerOptions options = {});
  const MedianPrunerOptions& options() const { return options_; }
  std::string name() const override { return "median"; }
  nlohmann::json to_json() const override;
  bool should_prune(const Trial& trial, int step, const std::vector<Trial>& all, Direction d) const override;

 private:
  MedianPrunerOptions options_;
};

}  // namespace gd::tune
