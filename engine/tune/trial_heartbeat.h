#pragma once
// A worker's pulse: a background thread, on a connection of its own, that every `interval_s`
// refreshes the heartbeat of the trial the worker runs (so a trial whose epochs take longer than
// the grace period is not declared lost) and the worker's row in the workers table (gpu_tune
// --list). When the database is unreachable it keeps trying each interval; it never blocks the
// training thread, and stopping it never waits longer than one short storage call.
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "engine/tune/study_storage.h"

namespace gd::tune {

class TrialHeartbeat {
 public:
  // Opens the thread's own connection (storage.reopen()) and beats at once ("idle").
  TrialHeartbeat(const StudyStorage& storage, const Study& study, double interval_s);
  // Marks the worker "stopped" (best effort) and joins the thread.
  ~TrialHeartbeat();
  TrialHeartbeat(const TrialHeartbeat&) = delete;
  TrialHeartbeat& operator=(const TrialHeartbeat&) = delete;

  // The trial to keep alive from now on (nullopt: idle), beaten at once.
  void set_trial(std::optional<Trial> trial);

 private:
  void loop();
  void beat();  // on the thread; never throws

  std::unique_ptr<StudyStorage> storage_;
  Study study_;
  double interval_s_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Trial> trial_;  // guarded by mu_
  bool dirty_ = true, stop_ = false;
  bool warned_ = false;
  std::thread thread_;
};

}  // namespace gd::tune
