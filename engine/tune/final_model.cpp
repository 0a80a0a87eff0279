#include "engine/tune/final_model.h"

#include "engine/core/error.h"
#include "engine/data/registry.h"
#include "engine/train/trainer.h"
#include "engine/tune/trial_config.h"

namespace gd::tune {

nlohmann::json FinalModel::to_json() const {
  return {{"trial_number", trial_number},
          {"params", params},
          {"validation_value", validation_value},
          {"test_accuracy", test_accuracy},
          {"test_loss", test_loss},
          {"epochs", epochs},
          {"run_dir", run_dir},
          {"protocol", "best trial by validation objective, retrained on train+validation, test evaluated once"}};
}

FinalModel retrain_best(StudyStorage& storage, const Study& study, Backend& backend, const std::string& out_dir,
                        ProgressSink& progress) {
  const std::optional<Trial> best = storage.best_trial(study);
  GD_CHECK_T(best.has_value(), ConfigError, "study '" << study.name << "' has no complete trial to retrain");
  if (const auto prev = storage.study_attr(study, "final"); prev && prev->value("trial_number", -1) == best->number) {
    FinalModel f;
    f.trial_number = best->number;
    f.params = prev->at("params");
    f.validation_value = prev->value("validation_value", 0.0);
    f.test_accuracy = prev->value("test_accuracy", 0.0);
    f.test_loss = prev->value("test_loss", 0.0);
    f.epochs = prev->value("epochs", 0);
    f.run_dir = prev->value("run_dir", std::string());
    return f;
  }
  const ObjectiveConfig objective = objective_from_json(study.config);
  TrainConfig cfg = trial_train_config(objective, best->params, out_dir);
  cfg.val_split = 0.0;  // train + validation: nothing is held out any more
  validate(cfg);
  const DatasetSplits data = load_dataset(objective.data);
  progress.message("final model: trial " + std::to_string(best->number) + " retrained on train+validation (" +
                   cfg.spec + ", " + std::to_string(cfg.epochs) + " epochs)");
  const TrainResult r = train(cfg, backend, data, progress);
  FinalModel f;
  f.trial_number = best->number;
  f.params = best->params;
  f.validation_value = best->value.value_or(0.0);
  f.test_accuracy = r.test.accuracy;
  f.test_loss = r.test.loss;
  f.epochs = r.epochs_run;
  f.run_dir = r.run_dir;
  storage.set_study_attr(study, "final", f.to_json());
  return f;
}

}  // namespace gd::tune
