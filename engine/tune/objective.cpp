#include "engine/tune/objective.h"

#include <chrono>
#include <cmath>
#include <new>

#include "engine/core/error.h"
#include "engine/train/trainer.h"

namespace gd::tune {

TrialRunner::TrialRunner(const ObjectiveConfig& objective, Backend& backend)
    : objective_(objective), be_(backend), data_(load_dataset(objective.data)) {
  validate(objective_);
}

TrialOutcome TrialRunner::run(const nlohmann::json& params, const std::string& run_dir,
                              const EpochReport& report, const std::string& resume_from) {
  const auto t0 = std::chrono::steady_clock::now();
  TrialOutcome out;
  out.checkpoint = run_dir + "/checkpoint.ckpt";
  const bool maximize = metric_direction(objective_.metric) == Direction::Maximize;
  auto objective_of = [&](const EpochRecord& r) { return maximize ? r.val_accuracy : r.val_loss; };
  auto note = [&](const EpochRecord& r) {
    out.value = objective_of(r);
    out.epochs_run = r.epoch;
    out.metrics = {{"val_accuracy", r.val_accuracy}, {"val_loss", r.val_loss},
                   {"train_loss", r.train_loss},     {"train_accuracy", r.train_accuracy},
                   {"epoch", r.epoch},               {"samples_per_sec", r.samples_per_sec}};
  };
  try {
    TrainConfig cfg = trial_train_config(objective_, params, run_dir);
    cfg.resume = resume_from;
    TrainHooks hooks;
    hooks.evaluate_test = false;    // the test set is never used to choose
    hooks.save_final_model = false;
    hooks.after_epoch = [&](const EpochRecord& r) {
      note(r);
      GD_CHECK_T(std::isfinite(objective_of(r)), NumericError,
                 "the objective " << objective_.metric << " is " << objective_of(r) << " at epoch " << r.epoch);
      return report ? report(r.epoch, objective_of(r)) : true;
    };
    SilentProgress quiet;
    const TrainResult r = train(cfg, be_, data_, quiet, hooks);
    out.end = r.stopped_by_hook ? TrialOutcome::End::Stopped : TrialOutcome::End::Complete;
    if (!r.history.records().empty()) note(r.history.records().back());
  } catch (const NumericError& e) {
    out.end = TrialOutcome::End::Failed;
    out.fail_reason = std::string("diverged: ") + e.what();
  } catch (const ConfigError& e) {
    out.end = TrialOutcome::End::Failed;
    out.fail_reason = std::string("invalid configuration: ") + e.what();
  } catch (const std::bad_alloc&) {
    out.end = TrialOutcome::End::Failed;
    out.fail_reason = "out of memory";
  } catch (const std::exception& e) {
    out.end = TrialOutcome::End::Failed;
    out.fail_reason = e.what();
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace gd::tune
