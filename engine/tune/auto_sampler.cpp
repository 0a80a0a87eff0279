// The default sampler's rule (auto_sampler.h).
#include "engine/tune/auto_sampler.h"

#include <algorithm>

namespace gd::tune {

AutoChoice auto_sampler_choice(const SearchSpace& space, const std::vector<Trial>& history) {
  const int finished = static_cast<int>(std::count_if(history.begin(), history.end(), [](const Trial& t) {
    return t.state == TrialState::Complete || t.state == TrialState::Pruned;
  }));
  const int params = space.dims();
  const std::string counts = std::to_string(finished) + " finished trial" + (finished == 1 ? "" : "s") + ", " +
                             std::to_string(params) + " sampled parameter" + (params == 1 ? "" : "s");
  if (params > kAutoGpMaxParams)
    return {"tpe", counts + ": more than " + std::to_string(kAutoGpMaxParams) +
                       " parameters, where the GP's acquisition search weakens and TPE scales"};
  if (finished >= kAutoGpMaxTrials)
    return {"tpe", counts + ": from " + std::to_string(kAutoGpMaxTrials) +
                       " trials on, the GP's O(n^3) posterior makes each suggestion slow; TPE scales linearly"};
  return {"gp", counts + ": the GP needs the fewest evaluations while under " +
                    std::to_string(kAutoGpMaxTrials) + " trials and " + std::to_string(kAutoGpMaxParams) +
                    " parameters"};
}

AutoSampler::AutoSampler(GpOptions gp, TpeOptions tpe) : gp_(gp), tpe_(tpe) {}

nlohmann::json AutoSampler::propose(const SampleRequest& request) {
  if (auto_sampler_choice(request.space, request.history).sampler == "gp") {
    set_proposer("gp");
    return gp_.propose(request);
  }
  set_proposer("tpe");
  return tpe_.propose(request);
}

}  // namespace gd::tune
