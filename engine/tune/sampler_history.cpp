// Splitting a study's trials into the groups the model-based samplers use (sampler_history.h).
#include "engine/tune/sampler_history.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gd::tune {

HistoryView view_history(const SearchSpace& space, const std::vector<Trial>& history, Direction direction) {
  const double sign = direction == Direction::Maximize ? 1.0 : -1.0;
  std::vector<const Trial*> order;
  order.reserve(history.size());
  for (const Trial& t : history) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](const Trial* a, const Trial* b) { return a->number < b->number; });

  HistoryView view;
  for (const Trial* t : order) {
    if (t->state == TrialState::Failed) continue;
    if (t->state == TrialState::Complete && !(t->value && std::isfinite(*t->value))) continue;
    if (!space.check_params(t->params).empty()) continue;
    switch (t->state) {
      case TrialState::Complete: view.complete.push_back({t, sign * *t->value}); break;
      case TrialState::Pruned: {
        double v = std::numeric_limits<double>::quiet_NaN();
        if (t->value && std::isfinite(*t->value)) {
          v = *t->value;
        } else {
          for (auto it = t->intermediate.rbegin(); it != t->intermediate.rend(); ++it) {
            if (std::isfinite(it->second)) {
              v = it->second;
              break;
            }
          }
        }
        view.pruned.push_back({t, sign * v});
        break;
      }
      case TrialState::Running: view.running.push_back(t); break;
      case TrialState::Failed: break;
    }
  }
  return view;
}

}  // namespace gd::tune
