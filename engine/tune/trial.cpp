#include "engine/tune/trial.h"

#include "engine/core/error.h"

namespace gd::tune {

const char* to_string(TrialState s) {
  switch (s) {
    case TrialState::Running: return "running";
    case TrialState::Complete: return "complete";
    case TrialState::Pruned: return "pruned";
    case TrialState::Failed: return "failed";
  }
  return "?";
}

TrialState trial_state_from_string(const std::string& s) {
  if (s == "running") return TrialState::Running;
  if (s == "complete") return TrialState::Complete;
  if (s == "pruned") return TrialState::Pruned;
  if (s == "failed") return TrialState::Failed;
  throw DataError("unknown trial state '" + s + "' (expected running, complete, pruned or failed)");
}

const char* to_string(Direction d) { return d == Direction::Maximize ? "maximize" : "minimize"; }

Direction direction_from_string(const std::string& s) {
  if (s == "maximize") return Direction::Maximize;
  if (s == "minimize") return Direction::Minimize;
  throw ConfigError("unknown direction '" + s + "' (expected maximize or minimize)");
}

}  // namespace gd::tune
