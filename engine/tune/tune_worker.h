#pragma once
// One tuning worker: loops "get a job from the study (a retry, an ASHA promotion or a new sampled
// trial) -> train it with per-epoch reports and pruning -> tell the study", until this invocation's
// budget of new trials is used up. gpu_tune runs one worker per process (--parallel N forks N), each
// with its own StudyStorage connection; the storage's transactions keep them from ever handing out
// the same work or duplicate proposals.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/backend/backend.h"
#include "engine/tune/objective.h"
#include "engine/tune/pruner.h"
#include "engine/tune/sampler.h"
#include "engine/tune/search_space.h"
#include "engine/tune/study_storage.h"

namespace gd::tune {

struct WorkerOptions {
  int64_t trial_limit = 0;      // stop asking for new trials once the study holds this many (0 = none)
  std::string sampler = "tpe";
  nlohmann::json sampler_options = nlohmann::json::object();
  nlohmann::json pruner = {{"type", "none"}};
  uint64_t seed = 1;            // sampler seed (each trial number gets its own stream)
  std::string runs_dir = "runs/tune";  // trial run directories: <runs_dir>/<study>/trial-<number>
  std::string device_label = "cpu";    // recorded on trials
};

// One line per finished run segment, for the console.
struct TrialEvent {
  Trial trial;          // as told to the study
  JobKind kind = JobKind::New;
  double seconds = 0.0;  // this segment
  std::string note;      // "paused at rung 1", "pruned at epoch 3 (median rule)", failure reason, ...
};
using TrialEventFn = std::function<void(const TrialEvent&)>;

class TuneWorker {
 public:
  TuneWorker(StudyStorage& storage, const Study& study, Backend& backend, WorkerOptions options);
  // Runs jobs until the budget is used up (and, with ASHA, no promotion is left). Returns the number
  // of run segments this worker finished. `should_stop` is polled between trials (signal handling).
  int run(const TrialEventFn& on_event, const std::function<bool()>& should_stop = nullptr);

 private:
  bool run_one(const TrialEventFn& on_event);

  StudyStorage& storage_;
  Study study_;
  WorkerOptions options_;
  SearchSpace space_;
  ObjectiveConfig objective_;
  Direction direction_;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<Pruner> pruner_;
  TrialRunner runner_;
};

}  // namespace gd::tune
