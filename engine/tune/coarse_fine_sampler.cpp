// Random search, then GP Bayesian optimisation (coarse_fine_sampler.h).
#include "engine/tune/coarse_fine_sampler.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace gd::tune {

namespace {

// The GP part starts modelling at once: the random phase is its start.
GpOptions without_startup(GpOptions gp) {
  gp.n_startup = 0;
  return gp;
}

}  // namespace

CoarseFineSampler::CoarseFineSampler(int n_random, GpOptions gp) : n_random_(n_random), gp_(without_startup(gp)) {
  if (n_random < -1) {
    throw ConfigError("coarse-fine sampler: n_random must be >= 0 (or -1 for the default), got " + std::to_string(n_random));
  }
}

int CoarseFineSampler::random_trials(const SearchSpace& space) const {
  return n_random_ >= 0 ? n_random_ : std::max(10, 2 * space.dims());
}

nlohmann::json CoarseFineSampler::propose(const SampleRequest& request) {
  const int complete = static_cast<int>(std::count_if(request.history.begin(), request.history.end(), [](const Trial& t) {
    return t.state == TrialState::Complete && t.value && std::isfinite(*t.value);
  }));
  if (complete < std::max(1, random_trials(request.space))) {
    set_proposer("random");
    return random_.propose(request);
  }
  set_proposer("gp");
  return gp_.propose(request);
}

}  // namespace gd::tune
