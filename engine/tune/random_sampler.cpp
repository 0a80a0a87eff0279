// Random search (random_sampler.h).
#include "engine/tune/random_sampler.h"

#include <vector>

namespace gd::tune {

nlohmann::json RandomSampler::propose(const SampleRequest& request) {
  Rng rng = request.rng(RngPurpose::Propose);
  std::vector<double> u(static_cast<size_t>(request.space.dims()));
  for (double& x : u) x = rng.uniform();
  return request.space.from_unit(u);
}

}  // namespace gd::tune
