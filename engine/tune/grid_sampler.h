#pragma once
// Grid search. The grid is the set of configurations obtained when each active parameter takes
// each of its grid values (conditional parameters only where active, so no configuration appears
// twice):
//   * the parameter's `grid` list when the space gives one;
//   * categorical: every choice;
//   * int / stepped float: every level when there are at most `resolution`, else `resolution`
//     levels evenly spaced in unit space (log spacing where log), ends included;
//   * continuous float: `resolution` values evenly spaced in unit space, ends included.
// Proposals walk the grid in order (depth first in space order; with `shuffle`, in a permutation
// fixed by the seed) and return the first point whose canonical key no trial in the history has,
// whatever its state: Running points count as used, so parallel workers get different points.
// When every point is used: SpaceExhaustedError ("grid exhausted").
#include <cstdint>
#include <vector>

#include "engine/tune/sampler.h"

namespace gd::tune {

class GridSampler : public Sampler {
 public:
  static constexpr int64_t kMaxPoints = 1000000;

  // ConfigError when resolution < 2.
  explicit GridSampler(int resolution = 5, bool shuffle = false);
  std::string name() const override { return "grid"; }
  nlohmann::json propose(const SampleRequest& request) override;

  // The grid values of one parameter (see above).
  std::vector<nlohmann::json> grid_values(const ParamSpec& p) const;
  // Every grid point in proposal order without shuffling; ConfigError beyond kMaxPoints.
  std::vector<nlohmann::json> grid_points(const SearchSpace& space) const;

 private:
  int resolution_;
  bool shuffle_;
};

}  // namespace gd::tune
