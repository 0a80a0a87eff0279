#pragma once
// One trial of a hyperparameter study, as samplers, pruners and the study storage see it.
// Parameter values live in a JSON object: name -> number (float and int parameters) or string
// (categorical). A conditional parameter that is inactive in a trial is absent from its object.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace gd::tune {

enum class TrialState { Running, Complete, Pruned, Failed };
enum class Direction { Maximize, Minimize };

const char* to_string(TrialState s);
TrialState trial_state_from_string(const std::string& s);  // throws DataError on an unknown name
const char* to_string(Direction d);
Direction direction_from_string(const std::string& s);     // "maximize" | "minimize", else ConfigError

struct Trial {
  int64_t id = -1;              // storage row id, unique within a study file
  int number = -1;              // 0-based position in the study's order of creation
  TrialState state = TrialState::Running;
  nlohmann::json params = nlohmann::json::object();
  std::vector<std::pair<int, double>> intermediate;  // (step = epoch, objective value), by step
  std::optional<double> value;  // objective: set for Complete; for Pruned the last reported value
  std::string fail_reason;      // Failed only: why (e.g. "loss became nan at epoch 3 step 120")
  std::string sampler;          // which sampler proposed the parameters ("random", "tpe", "gp", ...)
  std::string device;           // where it ran ("cpu", "cuda:0")
  double duration_s = 0.0;      // wall time spent training, summed over resumptions
  nlohmann::json attrs = nlohmann::json::object();  // extra results: metrics, checkpoint path, ...
};

// True when `a` is a better objective value than `b` in direction `d`.
inline bool better(Direction d, double a, double b) { return d == Direction::Maximize ? a > b : a < b; }

}  // namespace gd::tune
