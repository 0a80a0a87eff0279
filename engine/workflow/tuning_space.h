#pragma once
// The search space of the tuning step, centred on the regularised model, and that model as the
// study's first trial.
//
// Sampled (docs/search-spaces.md grammar):
//   lr            float, log-uniform in [lr / 4, lr * 4]      around the recipe's learning rate
//   dropout       float in [0, 0.6]                           0 = off, so dropping dropout is possible
//   weight_decay  float, log-uniform in [1e-6, 1e-3]          1e-6 is practically none
//   width         int, log-uniform in [w / 2, w * width_up]   "neurons" (mlp) or "fc" (cnn)
// Fixed at the regularised model's values: the capacity's other sizes (mlp layers = 2; cnn c1, c2),
// batch norm (mlp "batchnorm"; for cnn it is part of the spec template) and augmentation.
#include <nlohmann/json.hpp>
#include <string>

#include "engine/tune/search_space.h"
#include "engine/workflow/model_family.h"

namespace gd::workflow {

inline constexpr double kTuneWeightDecayLow = 1e-6, kTuneWeightDecayHigh = 1e-3;
inline constexpr double kTuneDropoutHigh = 0.6;

// The TOML text of the space (parsed by tune::SearchSpace::from_toml_string). ConfigError when
// lr <= 0 or width_up < 1.
std::string tuning_space_toml(const ModelFamily& family, const Capacity& capacity, const Regularisation& reg, double lr,
                              double width_up);

// The regularised model as a configuration of `space`: its lr, dropout, width and fixed values;
// a weight decay of 0 (or below the range) becomes the range's lower end, 1e-6, and `note` (when
// given) says so. The result passes space.validate_params (ConfigError otherwise).
nlohmann::json seed_trial_params(const tune::SearchSpace& space, const ModelFamily& family, const Capacity& capacity,
                                 const Regularisation& reg, double lr, std::string* note = nullptr);

}  // namespace gd::workflow
