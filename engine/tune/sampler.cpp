// Sampler::sample: the duplicate-free proposal loop shared by every sampler (sampler.h).
#include "engine/tune/sampler.h"

#include <string>
#include <vector>

namespace gd::tune {

namespace {

// An unused configuration drawn uniformly: from the enumeration of a finite space (so the last
// free one is always found), else by rejection from uniform unit points.
nlohmann::json random_unused(const SampleRequest& req) {
  const SearchSpace& space = req.space;
  Rng rng = req.rng(RngPurpose::Fallback);
  if (const auto size = space.finite_size()) {
    std::vector<nlohmann::json> unused;
    space.enumerate(
        [](const ParamSpec& p) {
          std::vector<nlohmann::json> v;
          for (int64_t k = 0; k < p.num_levels(); ++k) v.push_back(p.level(k));
          return v;
        },
        [&](const nlohmann::json& params) {
          if (!req.used(params)) unused.push_back(params);
          return true;
        });
    if (unused.empty()) {
      throw SpaceExhaustedError(space.source() + ": all " + std::to_string(*size) +
                                " configurations of the search space have been proposed already (running, "
                                "complete, pruned or failed trials); nothing is left to sample");
    }
    return unused[static_cast<size_t>(rng.uniform_int(static_cast<int64_t>(unused.size())))];
  }
  constexpr int kTries = 10000;
  std::vector<double> u(static_cast<size_t>(space.dims()));
  for (int i = 0; i < kTries; ++i) {
    for (double& x : u) x = rng.uniform();
    nlohmann::json params = space.from_unit(u);
    if (!req.used(params)) return params;
  }
  throw Error(space.source() + ": no unused configuration found in " + std::to_string(kTries) +
              " random draws; the space is nearly exhausted at the 6-significant-digit resolution of "
              "canonical keys");
}

}  // namespace

nlohmann::json Sampler::sample(const SearchSpace& space, const std::vector<Trial>& history, Direction direction,
                               uint64_t seed, int trial_number) {
  if (space.empty()) throw ConfigError(space.source() + ": the search space has no parameters");
  if (trial_number < 0) throw ConfigError("sampler '" + name() + "': negative trial number " + std::to_string(trial_number));
  std::unordered_set<std::string> used;
  used.reserve(history.size() * 2);
  for (const Trial& t : history) used.insert(space.canonical_key(t.params));

  for (int attempt = 0; attempt < kModelAttempts; ++attempt) {
    const SampleRequest req{space, history, direction, seed, trial_number, attempt, used};
    last_proposer_ = name();
    nlohmann::json params = propose(req);
    if (!req.used(params)) {
      space.validate_params(params);  // a sampler bug must not reach a trial
      return params;
    }
  }
  const SampleRequest req{space, history, direction, seed, trial_number, kModelAttempts, used};
  last_proposer_ = "random";
  return random_unused(req);
}

}  // namespace gd::tune
