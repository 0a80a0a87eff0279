#pragma once
// The end of a study: the best trial's configuration retrained on train+validation (the objective's
// training pool, not split) and evaluated ONCE on the test set. Model selection used validation
// only; this is the single honest test number, recorded in the study (attribute "final").
#include <string>

#include <nlohmann/json.hpp>

#include "engine/backend/backend.h"
#include "engine/train/progress.h"
#include "engine/tune/study_storage.h"

namespace gd::tune {

struct FinalModel {
  int trial_number = -1;
  nlohmann::json params;
  double validation_value = 0.0;  // the best trial's objective (what selected it)
  double test_accuracy = 0.0, test_loss = 0.0;
  int epochs = 0;
  std::string run_dir;  // model.ckpt, metrics.json, history of the retrained model
  nlohmann::json to_json() const;
};

// Retrains the best Complete trial (ConfigError when the study has none) into `out_dir` and stores
// the result as the study attribute "final". When "final" already holds the same trial, returns it
// without training (the test set is looked at once per chosen configuration).
FinalModel retrain_best(StudyStorage& storage, const Study& study, Backend& backend, const std::string& out_dir,
                        ProgressSink& progress);

}  // namespace gd::tune
