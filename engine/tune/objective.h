#pragma once
// Runs one trial of a study: builds its TrainConfig (trial_config.h), trains on the study's data
// with the test set never touched, reports the objective after every epoch to a callback that may
// stop the trial (pruned, or paused at an ASHA rung), and turns every way a trial can end into an
// outcome instead of an exception: complete, stopped, or failed with the reason (diverged, bad
// configuration, out of memory, ...).
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/backend/backend.h"
#include "engine/data/dataset.h"
#include "engine/tune/trial_config.h"

namespace gd::tune {

struct TrialOutcome {
  enum class End { Complete, Stopped, Failed } end = End::Failed;
  std::optional<double> value;  // objective at the last epoch run (absent when failed before one)
  int epochs_run = 0;           // including epochs before a resume
  std::string fail_reason;
  double seconds = 0.0;          // wall time of this call
  nlohmann::json metrics = nlohmann::json::object();  // last epoch: val_accuracy, val_loss, train_loss, ...
  std::string checkpoint;       // checkpoint.ckpt of the trial's run directory (for resuming)
};

// Called after each epoch with (epoch, objective value); return false to stop the trial there.
using EpochReport = std::function<bool(int epoch, double value)>;

class TrialRunner {
 public:
  // Loads the study's dataset once; every trial of this process reuses it and the backend.
  TrialRunner(const ObjectiveConfig& objective, Backend& backend);

  // Trains `params` in `run_dir` (created). With `resume_from` (a checkpoint.ckpt of this trial),
  // continues from it; epochs run to max_epochs unless `report` stops earlier.
  TrialOutcome run(const nlohmann::json& params, const std::string& run_dir, const EpochReport& report,
                   const std::string& resume_from = "");

  const DatasetSplits& data() const { return data_; }

 private:
  ObjectiveConfig objective_;
  Backend& be_;
  DatasetSplits data_;
};

}  // namespace gd::tune
