#pragma once
// Random search: every sampled parameter independently uniform in its unit coordinate (so
// log-uniform where the space says log, uniform over the levels of ints and choices), walking the
// space in order so that conditional parameters are drawn only when active. Ignores the history
// except for duplicate avoidance (Sampler::sample).
#include "engine/tune/sampler.h"

namespace gd::tune {

class RandomSampler : public Sampler {
 public:
  std::string name() const override { return "random"; }
  nlohmann::json propose(const SampleRequest& request) override;
};

}  // namespace gd::tune
