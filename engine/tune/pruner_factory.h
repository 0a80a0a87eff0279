#pragma once
// Builds a pruner from its JSON description (a study's config, or a [pruner] TOML table converted
// to JSON):
//   {"type": "none"}
//   {"type": "median", "n_startup_trials": 5, "n_warmup_steps": 0, "interval_steps": 1, "n_min_trials": 1}
//   {"type": "asha", "min_resource": 1, "max_resource": <epochs>, "reduction_factor": 3,
//    "min_early_stopping_rate": 0}
// Omitted fields take the defaults shown; ASHA's max_resource defaults to `max_epochs` (the
// objective's epoch cap). Unknown types or keys, and values of the wrong type or range, are a
// ConfigError naming the field.
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/tune/pruner.h"

namespace gd::tune {

std::unique_ptr<Pruner> make_pruner(const nlohmann::json& cfg, int max_epochs);

}  // namespace gd::tune
