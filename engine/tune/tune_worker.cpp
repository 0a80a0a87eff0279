#include "engine/tune/tune_worker.h"

#include <filesystem>

#include "engine/core/error.h"
#include "engine/tune/asha.h"
#include "engine/tune/pruner_factory.h"

namespace gd::tune {
namespace {

// Thrown from inside the proposal transaction when this invocation's trial budget is used up
// (the storage rolls the transaction back, so nothing is inserted).
struct BudgetReached {};

std::string trial_dir(const std::string& runs_dir, const std::string& study, int number) {
  return runs_dir + "/" + study + "/trial-" + std::to_string(number);
}

}  // namespace

TuneWorker::TuneWorker(StudyStorage& storage, const Study& study, Backend& backend, WorkerOptions options)
    : storage_(storage),
      study_(study),
      options_(std::move(options)),
      space_(SearchSpace::from_json(study.space, "study '" + study.name + "'")),
      objective_(objective_from_json(study.config)),
      direction_(study.direction),
      sampler_(make_sampler(options_.sampler, options_.sampler_options)),
      pruner_(make_pruner(options_.pruner, objective_.max_epochs)),
      runner_(objective_, backend) {}

int TuneWorker::run(const TrialEventFn& on_event, const std::function<bool()>& should_stop) {
  int segments = 0;
  while (!(should_stop && should_stop()) && run_one(on_event)) ++segments;
  return segments;
}

bool TuneWorker::run_one(const TrialEventFn& on_event) {
  const auto* asha = dynamic_cast<const AshaPruner*>(pruner_.get());
  JobRequest request;
  request.sampler = options_.sampler;
  request.device = options_.device_label;
  if (asha) request.resume = asha->resumer(direction_);
  request.propose = [&](const std::vector<Trial>& all) -> nlohmann::json {
    if (options_.trial_limit > 0 && static_cast<int64_t>(all.size()) >= options_.trial_limit) throw BudgetReached{};
    return sampler_->sample(space_, all, direction_, options_.seed, static_cast<int>(all.size()));
  };
  Job job;
  try {
    job = storage_.next_job(study_, request);
  } catch (const BudgetReached&) {
    // No new trials: with ASHA, paused trials may still deserve a promotion.
    if (!asha) return false;
    std::optional<Trial> promoted = storage_.resume(study_, asha->resumer(direction_), options_.device_label);
    if (!promoted) return false;
    job.kind = JobKind::Resumed;
    job.trial = *promoted;
  } catch (const SpaceExhaustedError&) {
    return false;  // a finite space or grid is fully explored
  }
  Trial& trial = job.trial;
  const std::string proposer = job.kind == JobKind::New ? sampler_->last_proposer() : "";
  const std::string run_dir = trial_dir(options_.runs_dir, study_.name, trial.number);

  // Where to continue from: a promoted trial from its own checkpoint; a retry from the checkpoint
  // its interrupted predecessor left (if it got that far).
  std::string resume_from;
  if (job.kind == JobKind::Resumed) {
    resume_from = run_dir + "/checkpoint.ckpt";
  } else if (job.kind == JobKind::Retry && job.retry_of) {
    const TrialRecord old = storage_.trial_record(*job.retry_of);
    resume_from = trial_dir(options_.runs_dir, study_.name, old.trial.number) + "/checkpoint.ckpt";
  }
  if (!resume_from.empty() && !std::filesystem::exists(resume_from)) resume_from.clear();

  int last_epoch = 0;
  bool paused = false, pruned = false;
  auto report = [&](int epoch, double value) -> bool {
    storage_.report(trial, epoch, value);
    last_epoch = epoch;
    if (asha) {
      if (asha->target_rung(trial) < asha->last_rung() && epoch >= asha->epoch_budget(trial)) paused = true;
      return !paused;
    }
    if (pruner_->should_prune(trial, epoch, storage_.trials(study_), direction_)) pruned = true;
    return !pruned;
  };
  const TrialOutcome out = runner_.run(trial.params, run_dir, report, resume_from);

  nlohmann::json attrs = {{"run_dir", run_dir},
                          {"metrics", out.metrics},
                          {"seconds", trial.attrs.value("seconds", 0.0) + out.seconds}};
  if (!proposer.empty()) attrs["proposer"] = proposer;
  TrialEvent ev;
  ev.kind = job.kind;
  ev.seconds = out.seconds;
  try {
    if (out.end == TrialOutcome::End::Failed) {
      storage_.tell_failed(trial, out.fail_reason, attrs);
      ev.note = out.fail_reason;
    } else if (out.end == TrialOutcome::End::Stopped && paused) {
      const int rung = asha->target_rung(trial);
      attrs.merge_patch(AshaPruner::pause_attrs(rung, out.checkpoint));
      storage_.tell_pruned(trial, last_epoch, *out.value, attrs);
      ev.note = "paused at rung " + std::to_string(rung) + " (epoch " + std::to_string(last_epoch) + ")";
    } else if (out.end == TrialOutcome::End::Stopped) {
      attrs["pruned_by"] = pruner_->name();
      storage_.tell_pruned(trial, last_epoch, *out.value, attrs);
      ev.note = "pruned at epoch " + std::to_string(last_epoch) + " (" + pruner_->name() + ")";
    } else {
      GD_CHECK_T(out.value.has_value(), DataError, "trial " << trial.number << " completed without a value");
      storage_.tell_complete(trial, *out.value, attrs);
    }
  } catch (const TrialLostError& e) {
    // Recovery handed this trial to another worker after a missed heartbeat, or report() already
    // ended it as Failed (non-finite objective): its record stands as the storage has it.
    ev.note = std::string("not recorded by this worker: ") + e.what();
  }
  ev.trial = trial;
  if (on_event) on_event(ev);
  return true;
}

}  // namespace gd::tune
