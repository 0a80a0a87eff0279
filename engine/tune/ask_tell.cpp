#include "engine/tune/ask_tell.h"

#include <cmath>

#include "engine/core/error.h"

namespace gd::tune {

AskTellStudy::AskTellStudy(const std::string& storage, const std::string& name, const SearchSpace& space,
                           Direction direction, const std::string& sampler, const nlohmann::json& sampler_options,
                           uint64_t seed)
    : storage_(std::make_unique<StudyStorage>(storage)),
      space_(space),
      direction_(direction),
      sampler_(make_sampler(sampler, sampler_options)),
      seed_(seed) {
  GD_CHECK_T(!space_.empty(), ConfigError, "study '" << name << "': the search space has no parameters");
  study_ = storage_->open_study(name, direction, space_.to_json(), nlohmann::json{{"objective", "ask/tell"}});
}

AskTellStudy::~AskTellStudy() {
  for (auto& [number, trial] : open_) {
    try {
      storage_->tell_failed(trial, "asked but never told");
    } catch (...) {  // a destructor must not throw; the storage's recovery handles what is left
    }
  }
}

AskedTrial AskTellStudy::ask() {
  const ProposeFn propose = [this](const std::vector<Trial>& all) {
    // Trial numbers are dense, so the new trial's number is the count so far.
    return sampler_->sample(space_, all, direction_, seed_, static_cast<int>(all.size()));
  };
  Trial t = storage_->ask(study_, propose, sampler_->name(), "host");
  AskedTrial out{t.number, t.params};
  open_[t.number] = std::move(t);
  return out;
}

Trial& AskTellStudy::open_trial(int number, const char* call) {
  auto it = open_.find(number);
  if (it != open_.end()) return it->second;
  GD_CHECK_T(!told_.count(number), ConfigError,
             call << ": trial " << number << " of study '" << study_.name << "' was already told");
  throw ConfigError(std::string(call) + ": trial " + std::to_string(number) + " of study '" + study_.name +
                    "' was not handed out by this study's ask() (" + std::to_string(open_.size()) +
                    " trial(s) are waiting for a tell)");
}

void AskTellStudy::tell(int number, double value) {
  Trial& t = open_trial(number, "tell");
  GD_CHECK_T(std::isfinite(value), ConfigError,
             "tell: trial " << number << " of study '" << study_.name << "' got the value " << value
                            << "; a failed evaluation is told with tell_failed (or fail=...)");
  storage_->tell_complete(t, value);
  told_[number] = true;
  open_.erase(number);
}

void AskTellStudy::tell_failed(int number, const std::string& reason) {
  Trial& t = open_trial(number, "tell_failed");
  storage_->tell_failed(t, reason.empty() ? std::string("failed") : reason);
  told_[number] = true;
  open_.erase(number);
}

std::vector<Trial> AskTellStudy::trials() { return storage_->trials(study_); }

std::optional<Trial> AskTellStudy::best_trial() { return storage_->best_trial(study_); }

}  // namespace gd::tune
