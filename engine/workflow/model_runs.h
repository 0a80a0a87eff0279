#pragma once
// Training one model of the workflow: its tuner parameter point becomes a TrainConfig through
// tune::trial_train_config (the tuner's own protocol), the model trains with the test set never
// touched (TrainHooks::evaluate_test = false), and the result is recorded in
// <run_dir>/workflow_model.json.
//
// Resuming: when <run_dir>/workflow_model.json exists with the same TrainConfig, the model is not
// trained again (its record is reused); when only <run_dir>/checkpoint.ckpt exists with the same
// configuration (a run killed mid-training), training continues from it; anything else in the
// directory is stale and the model trains from scratch.
#include <cstdint>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/backend/backend.h"
#include "engine/data/dataset.h"
#include "engine/train/history.h"
#include "engine/train/train_config.h"
#include "engine/tune/trial_config.h"
#include "engine/workflow/model_family.h"
#include "engine/workflow/regulariser_selection.h"

namespace gd::workflow {

struct ModelRun {
  std::string name;  // shown in tables and progress lines
  ModelPoint point;
  std::string run_dir;
  std::string spec;
  int64_t parameters = 0;
  int64_t train_samples = 0, val_samples = 0;
  int epochs = 0;
  History history;
  // Last epoch (NaN when not measured, e.g. no validation set for the final model).
  double train_loss = std::numeric_limits<double>::quiet_NaN();
  double train_accuracy = std::numeric_limits<double>::quiet_NaN();
  double val_loss = std::numeric_limits<double>::quiet_NaN();
  double val_accuracy = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0.0;  // training time when it was trained
  bool reused = false;   // loaded from an earlier invocation

  VariantScore score() const { return {name, val_accuracy, val_loss}; }
  // Everything but the history (step details keep it in their curves). Non-finite numbers -> null.
  nlohmann::json summary() const;
  // Inverse of summary() plus the history. DataError on a bad document.
  static ModelRun from_summary(const nlohmann::json& j, History history);
};

using LineSink = std::function<void(const std::string&)>;

class ModelTrainer {
 public:
  // `base`: dataset, limit_train, val_split, seed, device, threads of every model (its arch and
  // max_epochs are replaced per model). `data` must stay alive; its test split is not used.
  // verbose: per-epoch console lines; otherwise one line per model through `say`.
  ModelTrainer(tune::ObjectiveConfig base, Backend& backend, const DatasetSplits& data, bool verbose, LineSink say);

  // The TrainConfig of `point` in `run_dir`; hold_out_validation = false trains on the whole
  // training pool (train + validation, val_split 0): the final model. With --limit-train L the
  // final model's limit is L + the validation split's size (the data the other models saw).
  TrainConfig config(const ModelPoint& point, const std::string& run_dir, bool hold_out_validation = true) const;

  // Trains `point` (or reuses / resumes it, see above) and prints one line tagged `[step]`.
  ModelRun run(const std::string& step, const std::string& name, const ModelPoint& point, const std::string& run_dir,
               bool hold_out_validation = true);

  const tune::ObjectiveConfig& objective() const { return base_; }

 private:
  tune::ObjectiveConfig base_;
  Backend& be_;
  const DatasetSplits& data_;
  bool verbose_;
  LineSink say_;
};

// "<name>: 15 epochs on 54,000 samples, val acc 98.72% loss 0.0541, 62.3 s" (one progress line).
std::string describe_run(const ModelRun& r);

}  // namespace gd::workflow
