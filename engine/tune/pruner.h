#pragma once
// The pruner interface: after a trial reports the objective for an epoch, should it stop now?
// Implementations: NopPruner (never), MedianPruner (median_pruner.h), AshaPruner (asha.h, where
// "prune" means pause at a rung until promoted). make_pruner (pruner_factory.h) builds one from
// its JSON description.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/tune/trial.h"

namespace gd::tune {

class Pruner {
 public:
  virtual ~Pruner() = default;
  // "none", "median", "asha".
  virtual std::string name() const = 0;
  // The options, as make_pruner accepts them ({"type": name(), ...}).
  virtual nlohmann::json to_json() const = 0;
  // `trial` has just reported `step` (an epoch, 1-based): trial.intermediate holds its values up to
  // that step. `all` is every trial of the study; it may hold an older copy of `trial` (same id),
  // which implementations ignore. True: stop the trial now (tell_pruned).
  virtual bool should_prune(const Trial& trial, int step, const std::vector<Trial>& all, Direction d) const = 0;
};

// Never prunes: every trial runs its full budget.
class NopPruner : public Pruner {
 public:
  std::string name() const override { return "none"; }
  nlohmann::json to_json() const override { return {{"type", "none"}}; }
  bool should_prune(const Trial&, int, const std::vector<Trial>&, Direction) const override { return false; }
};

}  // namespace gd::tune
