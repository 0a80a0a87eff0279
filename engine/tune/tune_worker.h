#pragma once
// One tuning worker: loops "get a job from the study (a retry, an ASHA promotion or a new sampled
// trial) -> train it with per-epoch reports and pruning -> tell the study", until this invocation's
// budget of new trials is used up. gpu_tune runs one worker per process (--parallel N forks N), each
// with its own StudyStorage connection, on one machine or many; the storage's transactions keep
// them from ever handing out the same work or duplicate proposals.
//
// While a trial runs, a heartbeat thread (trial_heartbeat.h) keeps it alive in the study. Every
// finished run segment is written to local disk before it is told (pending_results.h) and stays
// there until the study has it: a worker whose database is down keeps retrying, and results left
// by a killed worker are stored by the next worker started on the same host.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/backend/backend.h"
#include "engine/tune/objective.h"
#include "engine/tune/pending_results.h"
#include "engine/tune/pruner.h"
#include "engine/tune/sampler.h"
#include "engine/tune/search_space.h"
#include "engine/tune/study_storage.h"
#include "engine/tune/trial_heartbeat.h"

namespace gd::tune {

class TrialBudget;

struct WorkerOptions {
  int64_t trial_limit = 0;      // stop asking for new trials once the study holds this many (0 = none)
  TrialBudget* budget = nullptr;  // new trials this invocation may still sample (shared by its processes)
  double heartbeat_interval_s = 0;  // > 0: keep the running trial alive from a background thread
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
  // The study total run() works towards (see WorkerOptions::trial_limit).
  void set_trial_limit(int64_t n) { options_.trial_limit = n; }
  void set_budget(TrialBudget* b) { options_.budget = b; }

 private:
  bool run_one(const TrialEventFn& on_event, const std::function<bool()>& should_stop);
  // Tells the study how the segment ended, keeping `r` on disk until it is stored.
  void store(Trial& trial, const PendingResult& r, const std::function<bool()>& should_stop);

  StudyStorage& storage_;
  Study study_;
  WorkerOptions options_;
  SearchSpace space_;
  ObjectiveConfig objective_;
  Direction direction_;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<Pruner> pruner_;
  TrialRunner runner_;
  PendingResults pending_;
  std::unique_ptr<TrialHeartbeat> heartbeat_;  // from the first run(), when heartbeats are on
};

}  // namespace gd::tune
