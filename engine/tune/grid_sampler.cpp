// Grid search (grid_sampler.h).
#include "engine/tune/grid_sampler.h"

#include <string>
#include <utility>

namespace gd::tune {

GridSampler::GridSampler(int resolution, bool shuffle) : resolution_(resolution), shuffle_(shuffle) {
  if (resolution < 2) throw ConfigError("grid sampler: resolution must be >= 2, got " + std::to_string(resolution));
}

std::vector<nlohmann::json> GridSampler::grid_values(const ParamSpec& p) const {
  if (!p.grid.empty()) return p.grid;
  std::vector<nlohmann::json> v;
  if (p.type == ParamType::Categorical || (p.discrete() && p.num_levels() <= resolution_)) {
    for (int64_t k = 0; k < p.num_levels(); ++k) v.push_back(p.level(k));
    return v;
  }
  for (int k = 0; k < resolution_; ++k) {
    const double u = static_cast<double>(k) / static_cast<double>(resolution_ - 1);
    nlohmann::json x = p.from_unit(u);
    if (!p.discrete()) x = clean_decimal(x.get<double>());
    bool seen = false;
    for (const nlohmann::json& e : v) seen = seen || same_value(e, x);
    if (!seen) v.push_back(std::move(x));
  }
  return v;
}

std::vector<nlohmann::json> GridSampler::grid_points(const SearchSpace& space) const {
  std::vector<nlohmann::json> points;
  const bool complete = space.enumerate([this](const ParamSpec& p) { return grid_values(p); },
                                        [&](const nlohmann::json& params) {
                                          if (static_cast<int64_t>(points.size()) >= kMaxPoints) return false;
                                          points.push_back(params);
                                          return true;
                                        });
  if (!complete) {
    throw ConfigError(space.source() + ": the grid has more than " + std::to_string(kMaxPoints) +
                      " points; lower the grid resolution or give shorter `grid` lists");
  }
  return points;
}

nlohmann::json GridSampler::propose(const SampleRequest& request) {
  const SearchSpace& space = request.space;
  if (!shuffle_) {
    // Walk the grid lazily: stop at the first unused point.
    nlohmann::json found;
    int64_t count = 0;
    space.enumerate([this](const ParamSpec& p) { return grid_values(p); },
                    [&](const nlohmann::json& params) {
                      ++count;
                      if (request.used(params)) return true;
                      found = params;
                      return false;
                    });
    if (!found.is_null()) return found;
    throw SpaceExhaustedError(space.source() + ": grid exhausted: all " + std::to_string(count) +
                              " grid points have been proposed already (running, complete, pruned or failed trials)");
  }
  std::vector<nlohmann::json> points = grid_points(space);
  // One permutation per seed (not per trial), so every worker walks the same order.
  Rng rng(request.seed, sampler_stream(0, 0, RngPurpose::Propose));
  for (size_t i = points.size(); i > 1; --i) {
    std::swap(points[i - 1], points[static_cast<size_t>(rng.uniform_int(static_cast<int64_t>(i)))]);
  }
  for (const nlohmann::json& p : points) {
    if (!request.used(p)) return p;
  }
  throw SpaceExhaustedError(space.source() + ": grid exhausted: all " + std::to_string(points.size()) +
                            " grid points have been proposed already (running, complete, pruned or failed trials)");
}

}  // namespace gd::tune
