#pragma once
// Building blocks for the sampler tests: a Trial record as the storage would return it, and the
// one-parameter search space x in [0, 1].
#include <optional>

#include <nlohmann/json.hpp>

#include "engine/tune/search_space.h"
#include "engine/tune/trial.h"

namespace gd::test {

inline tune::Trial trial(int number, const nlohmann::json& params, tune::TrialState state,
                         std::optional<double> value = std::nullopt) {
  tune::Trial t;
  t.id = number;
  t.number = number;
  t.params = params;
  t.state = state;
  t.value = value;
  return t;
}

inline tune::SearchSpace unit_line() {
  return tune::SearchSpace::from_toml_string("[params.x]\ntype = \"float\"\nlow = 0.0\nhigh = 1.0\n", "line");
}

}  // namespace gd::test
