// Asynchronous successive halving: rungs, standings, the promotion rule; see asha.h.
#include "engine/tune/asha.h"

#include <algorithm>
#include <cmath>

#include "engine/core/error.h"

namespace gd::tune {
namespace {

// attrs.asha.<key> as an int, nullopt when absent or null; DataError when present but not an int.
std::optional<int> asha_attr(const Trial& t, const char* key) {
  const auto a = t.attrs.find("asha");
  if (a == t.attrs.end() || a->is_null()) return std::nullopt;
  if (!a->is_object())
    throw DataError("trial " + std::to_string(t.number) + ": attrs.asha must be an object, got " +
                    a->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  const auto v = a->find(key);
  if (v == a->end() || v->is_null()) return std::nullopt;
  if (!v->is_number_integer()) {
    throw DataError("trial " + std::to_string(t.number) + ": attrs.asha." + key + " must be an integer, got " +
                    v->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return v->get<int>();
}

// The trial's value at exactly `step`, if it reported one.
std::optional<double> value_at(const Trial& t, int step) {
  for (const auto& [s, v] : t.intermediate) {
    if (s == step) return v;
  }
  return std::nullopt;
}

}  // namespace

void validate(const AshaOptions& o) {
  if (o.min_resource < 1)
    throw ConfigError("asha: min_resource must be >= 1 epoch, got " + std::to_string(o.min_resource));
  if (o.max_resource < o.min_resource) {
    throw ConfigError("asha: max_resource (" + std::to_string(o.max_resource) + ") must be >= min_resource (" +
                      std::to_string(o.min_resource) + ")");
  }
  if (o.reduction_factor < 2)
    throw ConfigError("asha: reduction_factor must be >= 2, got " + std::to_string(o.reduction_factor));
  if (o.min_early_stopping_rate < 0) {
    throw ConfigError("asha: min_early_stopping_rate must be >= 0, got " + std::to_string(o.min_early_stopping_rate));
  }
}

std::vector<int> asha_rungs(const AshaOptions& o) {
  validate(o);
  int64_t r = o.min_resource;
  for (int i = 0; i < o.min_early_stopping_rate && r < o.max_resource; ++i) r *= o.reduction_factor;
  std::vector<int> rungs;
  for (; r < o.max_resource; r *= o.reduction_factor) rungs.push_back(static_cast<int>(r));
  rungs.push_back(o.max_resource);
  return rungs;
}

AshaPruner::AshaPruner(AshaOptions options) : options_(options), rungs_(asha_rungs(options)) {}

nlohmann::json AshaPruner::to_json() const {
  return {{"type", "asha"},
          {"min_resource", options_.min_resource},
          {"max_resource", options_.max_resource},
          {"reduction_factor", options_.reduction_factor},
          {"min_early_stopping_rate", options_.min_early_stopping_rate}};
}

int AshaPruner::target_rung(const Trial& trial) const {
  const std::optional<int> to = asha_attr(trial, "promoted_to");
  if (!to) return 0;
  if (*to < 1 || *to > last_rung()) {
    throw DataError("trial " + std::to_string(trial.number) + ": attrs.asha.promoted_to = " + std::to_string(*to) +
                    " is outside the rungs 1.." + std::to_string(last_rung()) + " of this ASHA configuration");
  }
  return *to;
}

int AshaPruner::epoch_budget(const Trial& trial) const { return rungs_[static_cast<size_t>(target_rung(trial))]; }

std::optional<int> AshaPruner::paused_rung(const Trial& trial) const {
  if (trial.state != TrialState::Pruned) return std::nullopt;
  const std::optional<int> rung = asha_attr(trial, "rung");
  if (!rung || asha_attr(trial, "promoted_to")) return std::nullopt;
  if (*rung < 0 || *rung >= last_rung()) return std::nullopt;  // not a pausing rung of this configuration
  return rung;
}

bool AshaPruner::should_prune(const Trial& trial, int step, const std::vector<Trial>&, Direction) const {
  const int target = target_rung(trial);
  return target < last_rung() && step >= rungs_[static_cast<size_t>(target)];
}

std::vector<RungEntry> AshaPruner::rung_standings(int k, const std::vector<Trial>& all, Direction d) const {
  if (k < 0 || k > last_rung()) {
    throw ConfigError("asha: rung " + std::to_string(k) + " does not exist (rungs 0.." + std::to_string(last_rung()) +
                      ")");
  }
  const int step = rungs_[static_cast<size_t>(k)];
  std::vector<RungEntry> out;
  for (const Trial& t : all) {
    if (t.state == TrialState::Failed) continue;  // its retry, if any, stands in for it
    const std::optional<double> v = value_at(t, step);
    if (!v) continue;
    const std::optional<int> paused = paused_rung(t);
    out.push_back({t.id, t.number, *v, paused && *paused == k});
  }
  std::stable_sort(out.begin(), out.end(), [d](const RungEntry& a, const RungEntry& b) {
    const bool fa = std::isfinite(a.value), fb = std::isfinite(b.value);
    if (fa != fb) return fa;  // non-finite values rank last
    if (fa && a.value != b.value) return better(d, a.value, b.value);
    return a.number < b.number;
  });
  return out;
}

std::optional<AshaPromotion> AshaPruner::next_promotion(const std::vector<Trial>& all, Direction d) const {
  for (int k = last_rung() - 1; k >= 0; --k) {
    const std::vector<RungEntry> standings = rung_standings(k, all, d);
    const size_t top = standings.size() / static_cast<size_t>(options_.reduction_factor);
    for (size_t i = 0; i < top; ++i) {
      const RungEntry& e = standings[i];
      if (e.paused && std::isfinite(e.value)) return AshaPromotion{e.trial_id, e.number, k, k + 1, e.value};
    }
  }
  return std::nullopt;
}

nlohmann::json AshaPruner::pause_attrs(int rung, const std::string& checkpoint) {
  nlohmann::json patch = {{"asha", {{"rung", rung}, {"promoted_to", nullptr}}}};
  if (!checkpoint.empty()) patch["checkpoint"] = checkpoint;
  return patch;
}

nlohmann::json AshaPruner::promotion_attrs(const AshaPromotion& p) { return {{"asha", {{"promoted_to", p.to_rung}}}}; }

ResumeFn AshaPruner::resumer(Direction d) const {
  const AshaPruner self = *this;
  return [self, d](const std::vector<Trial>& all) -> std::optional<Resumption> {
    const std::optional<AshaPromotion> p = self.next_promotion(all, d);
    if (!p) return std::nullopt;
    return Resumption{p->trial_id, promotion_attrs(*p)};
  };
}

}  // namespace gd::tune
