// The median stopping rule; see median_pruner.h.
#include "engine/tune/median_pruner.h"

#include <algorithm>
#include <cmath>

#include "engine/core/error.h"

namespace gd::tune {

void validate(const MedianPrunerOptions& o) {
  if (o.n_startup_trials < 0)
    throw ConfigError("median pruner: n_startup_trials must be >= 0, got " + std::to_string(o.n_startup_trials));
  if (o.n_warmup_steps < 0)
    throw ConfigError("median pruner: n_warmup_steps must be >= 0, got " + std::to_string(o.n_warmup_steps));
  if (o.interval_steps < 1)
    throw ConfigError("median pruner: interval_steps must be >= 1, got " + std::to_string(o.interval_steps));
  if (o.n_min_trials < 1)
    throw ConfigError("median pruner: n_min_trials must be >= 1, got " + std::to_string(o.n_min_trials));
}

std::optional<double> median_at_step(const std::vector<Trial>& all, int step, int64_t exclude_id, int min_count) {
  std::vector<double> v;
  for (const Trial& t : all) {
    if (t.id == exclude_id || t.state != TrialState::Complete) continue;
    for (const auto& [s, value] : t.intermediate) {
      if (s == step && std::isfinite(value)) v.push_back(value);
    }
  }
  if (v.empty() || static_cast<int>(v.size()) < min_count) return std::nullopt;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

MedianPruner::MedianPruner(MedianPrunerOptions options) : options_(options) { validate(options_); }

nlohmann::json MedianPruner::to_json() const {
  return {{"type", "median"},
          {"n_startup_trials", options_.n_startup_trials},
          {"n_warmup_steps", options_.n_warmup_steps},
          {"interval_steps", options_.interval_steps},
          {"n_min_trials", options_.n_min_trials}};
}

bool MedianPruner::should_prune(const Trial& trial, int step, const std::vector<Trial>& all, Direction d) const {
  if (step <= options_.n_warmup_steps) return false;
  if ((step - options_.n_warmup_steps - 1) % options_.interval_steps != 0) return false;
  int complete = 0;
  for (const Trial& t : all) complete += t.id != trial.id && t.state == TrialState::Complete;
  if (complete < options_.n_startup_trials) return false;

  // Best value so far; a non-finite one means the trial diverged: prune.
  std::optional<double> best;
  for (const auto& [s, value] : trial.intermediate) {
    if (s > step) continue;
    if (!std::isfinite(value)) return true;
    if (!best || better(d, value, *best)) best = value;
  }
  if (!best) return false;
  const std::optional<double> median = median_at_step(all, step, trial.id, options_.n_min_trials);
  if (!median) return false;
  return better(d, *median, *best);
}

}  // namespace gd::tune
