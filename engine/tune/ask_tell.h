#pragma once
// Tuning any function, one trial at a time, in Optuna's ask/tell style: the engine's samplers (TPE,
// GP, random, ...) and a persistent study (a SQLite file, or any location StudyStorage opens) for
// objectives that are not gpu_train runs.
//
//   AskTellStudy study("study.db", "quadratic", SearchSpace::from_toml_file("space.toml"),
//                      Direction::Minimize, "gp");
//   for (int i = 0; i < 30; ++i) {
//     const AskedTrial t = study.ask();
//     study.tell(t.number, f(t.params.at("x").get<double>(), t.params.at("y").get<double>()));
//   }
//   study.best_trial()->params;
//
// ask() proposes parameters from every trial stored so far (other processes' included: the proposal
// is made inside the storage's write transaction) and records them as a Running trial. tell() ends
// it with a finite value, tell_failed() with a reason. Misuse is a ConfigError naming the trial: a
// tell for a trial this object did not hand out, a second tell, a non-finite value. A trial asked and
// never told would look pending to the samplers for ever, so the destructor ends such trials as
// Failed ("asked but never told").
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/tune/sampler.h"
#include "engine/tune/search_space.h"
#include "engine/tune/study_storage.h"

namespace gd::tune {

struct AskedTrial {
  int number = -1;  // the study's trial number (0, 1, ...), what tell() takes
  nlohmann::json params = nlohmann::json::object();
};

class AskTellStudy {
 public:
  // Creates the study or continues it (ConfigError when it exists with another space or direction).
  AskTellStudy(const std::string& storage, const std::string& name, const SearchSpace& space, Direction direction,
               const std::string& sampler = "auto", const nlohmann::json& sampler_options = nlohmann::json::object(),
               uint64_t seed = 1);
  ~AskTellStudy();
  AskTellStudy(const AskTellStudy&) = delete;
  AskTellStudy& operator=(const AskTellStudy&) = delete;

  AskedTrial ask();
  void tell(int number, double value);
  void tell_failed(int number, const std::string& reason);

  std::vector<Trial> trials();            // every trial of the study, by number
  std::optional<Trial> best_trial();      // best Complete trial, or nullopt
  const Study& study() const { return study_; }
  const SearchSpace& space() const { return space_; }
  Direction direction() const { return direction_; }
  std::string sampler_name() const { return sampler_->name(); }

 private:
  Trial& open_trial(int number, const char* call);  // ConfigError for misuse

  std::unique_ptr<StudyStorage> storage_;
  Study study_;
  SearchSpace space_;
  Direction direction_;
  std::unique_ptr<Sampler> sampler_;
  uint64_t seed_;
  std::map<int, Trial> open_;  // asked, not yet told, by number
  std::map<int, bool> told_;   // told by this object
};

}  // namespace gd::tune
