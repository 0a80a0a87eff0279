#pragma once
// A study's trials sorted the way the model-based samplers (TPE, GP) use them. Every score is
// oriented so that LARGER IS BETTER (the value for Maximize, minus the value for Minimize).
//   complete  Complete trials with a finite value.
//   pruned    Pruned trials; score from their value (the last intermediate value reported), else
//             from the last finite intermediate value, else NaN (no report at all).
//   running   Running trials (parameters proposed to a worker, no result yet).
// Failed trials and Complete trials with a non-finite value are left out (they only count for
// duplicate avoidance), and so are trials whose params do not belong to the space (a study
// continued with an edited space): the samplers cannot encode them.
// Within each list trials keep the order of `history`, sorted by trial number.
#include <vector>

#include "engine/tune/search_space.h"
#include "engine/tune/trial.h"

namespace gd::tune {

struct ScoredTrial {
  const Trial* trial;
  double score;  // larger is better; NaN for a pruned trial that never reported
};

struct HistoryView {
  std::vector<ScoredTrial> complete;
  std::vector<ScoredTrial> pruned;
  std::vector<const Trial*> running;
};

HistoryView view_history(const SearchSpace& space, const std::vector<Trial>& history, Direction direction);

}  // namespace gd::tune
