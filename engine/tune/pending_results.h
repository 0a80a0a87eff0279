#pragma once
// Finished run segments kept on local disk until the study storage has them. A worker writes the
// result (complete, pruned/paused, failed: everything tell_for needs) to
//   <runs_dir>/<study>/pending/<host>-<pid>-trial-<id>.json
// before telling the study, and removes it once the study has it (or has refused it for good). A
// worker that cannot reach the database keeps retrying with the file in place; one killed
// meanwhile leaves the file for the next worker started on that host with the same runs
// directory, which stores it first (store_pending_results), as told by the dead worker.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/tune/study_storage.h"

namespace gd::tune {

struct PendingResult {
  int64_t trial_id = -1;
  int number = -1;
  std::string worker;                   // host:pid that ran it
  std::optional<int64_t> worker_start;  // that process's start time (to tell it from a reused pid)
  TrialState state = TrialState::Failed;
  std::optional<double> value;
  std::optional<int> step;              // pruned: the step `value` belongs to
  std::string reason;                   // failed
  nlohmann::json attrs = nlohmann::json::object();
  nlohmann::json to_json() const;
  static PendingResult from_json(const nlohmann::json& j, const std::string& file);  // DataError naming file
};

class PendingResults {
 public:
  PendingResults(const std::string& runs_dir, const std::string& study);
  const std::string& dir() const { return dir_; }
  // Writes the result (atomically, fsync'ed); returns its file.
  std::string save(const PendingResult& r) const;
  void remove(const std::string& file) const;
  // The files in dir(), by name, with their results; unreadable ones are skipped with a warning.
  std::vector<std::pair<std::string, PendingResult>> load() const;

 private:
  std::string dir_;
};

// Stores the results left by dead workers of this host (see the top of this file). Returns how
// many were stored; results the study refuses (the trial was retried and finished elsewhere) are
// dropped with a note on stderr; with the database unreachable the files stay.
int store_pending_results(StudyStorage& storage, const PendingResults& pending);

}  // namespace gd::tune
