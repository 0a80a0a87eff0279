#include "engine/tune/tune_worker.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "engine/core/error.h"
#include "engine/tune/asha.h"
#include "engine/tune/pruner_factory.h"
#include "engine/tune/trial_budget.h"

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
      runner_(objective_, backend),
      pending_(options_.runs_dir, study.name) {}

int TuneWorker::run(const TrialEventFn& on_event, const std::function<bool()>& should_stop) {
  store_pending_results(storage_, pending_);
  // Started once and kept until the worker is destroyed: between run() calls (gpu_tune --worker
  // waiting for work) it keeps the worker listed as idle.
  if (!heartbeat_ && options_.heartbeat_interval_s > 0)
    heartbeat_ = std::make_unique<TrialHeartbeat>(storage_, study_, options_.heartbeat_interval_s);
  int segments = 0;
  while (!(should_stop && should_stop()) && run_one(on_event, should_stop)) ++segments;
  return segments;
}

void TuneWorker::store(Trial& trial, const PendingResult& r, const std::function<bool()>& should_stop) {
  const std::string file = pending_.save(r);
  for (double wait_s = 5;; wait_s = std::min(2 * wait_s, 60.0)) {
    try {
      storage_.tell_for(r.worker, trial, r.state, r.value, r.reason, r.attrs, r.step);
      pending_.remove(file);
      return;
    } catch (const TrialLostError&) {
      pending_.remove(file);  // the study has decided otherwise; the file would be refused again
      throw;
    } catch (const StorageUnavailableError& e) {
      // The result stays in `file`; a killed worker's is stored by the next one on this host.
      std::fprintf(stderr, "worker %s: trial %d is finished but not stored yet (kept in %s): %s\n", r.worker.c_str(),
                   trial.number, file.c_str(), e.what());
      if (should_stop && should_stop()) throw;
      std::this_thread::sleep_for(std::chrono::duration<double>(wait_s));
    }
  }
}

bool TuneWorker::run_one(const TrialEventFn& on_event, const std::function<bool()>& should_stop) {
  const auto* asha = dynamic_cast<const AshaPruner*>(pruner_.get());
  JobRequest request;
  request.sampler = options_.sampler;
  request.device = options_.device_label;
  if (asha) request.resume = asha->resumer(direction_);
  // Units of this invocation's budget taken by proposals (a call retried after a lost connection
  // proposes again); all but the one a new sampled trial used go back.
  int64_t taken = 0;
  request.propose = [&](const std::vector<Trial>& all) -> nlohmann::json {
    if (options_.trial_limit > 0 && static_cast<int64_t>(all.size()) >= options_.trial_limit) throw BudgetReached{};
    if (options_.budget) {
      if (!options_.budget->take()) throw BudgetReached{};
      ++taken;
    }
    return sampler_->sample(space_, all, direction_, options_.seed, static_cast<int>(all.size()));
  };
  auto settle_budget = [&](bool sampled) {
    if (options_.budget) options_.budget->give_back(taken - (sampled ? 1 : 0));
    taken = 0;
  };
  Job job;
  try {
    job = storage_.next_job(study_, request);
    settle_budget(job.kind == JobKind::New && job.trial.sampler != "enqueued");
  } catch (const BudgetReached&) {
    settle_budget(false);
    // No new trials: with ASHA, paused trials may still deserve a promotion.
    if (!asha) return false;
    std::optional<Trial> promoted = storage_.resume(study_, asha->resumer(direction_), options_.device_label);
    if (!promoted) return false;
    job.kind = JobKind::Resumed;
    job.trial = *promoted;
  } catch (const SpaceExhaustedError&) {
    settle_budget(false);
    return false;  // a finite space or grid is fully explored
  } catch (...) {
    settle_budget(false);
    throw;
  }
  // The first heartbeat is a flushed commit: after it the hand-out is durable (next_job's own
  // commit does not wait for the disk). False: the trial is not ours (any more); skip it.
  if (!storage_.heartbeat(job.trial)) {
    std::fprintf(stderr, "worker %s: trial %d was handed out but is not running for this worker; skipped\n",
                 storage_.worker().id().c_str(), job.trial.number);
    return true;
  }
  if (heartbeat_) heartbeat_->set_trial(job.trial);
  Trial& trial = job.trial;
  const std::string proposer = job.kind == JobKind::New ? sampler_->last_proposer() : "";
  const std::string run_dir = trial_dir(options_.runs_dir, study_.name, trial.number);

  // Where to continue from: a promoted trial from its own checkpoint; a retry from the checkpoint
  // its lost predecessor left (if it got that far).
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
    last_epoch = epoch;
    bool reported = true;
    try {
      storage_.report(trial, epoch, value);
    } catch (const StorageUnavailableError& e) {
      // Training goes on without the database: this epoch's value is not recorded (the final
      // result will be, from disk if need be) and no pruning decision is taken on it.
      std::fprintf(stderr, "worker %s: trial %d epoch %d not reported, training on: %s\n",
                   storage_.worker().id().c_str(), trial.number, epoch, e.what());
      reported = false;
    }
    if (asha) {
      if (asha->target_rung(trial) < asha->last_rung() && epoch >= asha->epoch_budget(trial)) paused = true;
      return !paused;
    }
    if (reported && pruner_->should_prune(trial, epoch, storage_.trials(study_), direction_)) pruned = true;
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
  PendingResult r;
  r.trial_id = trial.id;
  r.number = trial.number;
  r.worker = storage_.worker().id();
  r.worker_start = storage_.worker().start_ticks;
  if (out.end == TrialOutcome::End::Failed) {
    r.state = TrialState::Failed;
    r.reason = out.fail_reason;
    ev.note = out.fail_reason;
  } else if (out.end == TrialOutcome::End::Stopped && paused) {
    const int rung = asha->target_rung(trial);
    attrs.merge_patch(AshaPruner::pause_attrs(rung, out.checkpoint));
    r.state = TrialState::Pruned;
    ev.note = "paused at rung " + std::to_string(rung) + " (epoch " + std::to_string(last_epoch) + ")";
  } else if (out.end == TrialOutcome::End::Stopped) {
    attrs["pruned_by"] = pruner_->name();
    r.state = TrialState::Pruned;
    ev.note = "pruned at epoch " + std::to_string(last_epoch) + " (" + pruner_->name() + ")";
  } else {
    GD_CHECK_T(out.value.has_value(), DataError, "trial " << trial.number << " completed without a value");
    r.state = TrialState::Complete;
  }
  if (r.state != TrialState::Failed) {
    r.value = *out.value;
    if (r.state == TrialState::Pruned) r.step = last_epoch;
    if (!std::isfinite(*r.value)) {
      r.reason = "objective value is " + std::to_string(*r.value);
      r.state = TrialState::Failed;
      r.value.reset();
      r.step.reset();
    }
  }
  r.attrs = attrs;
  try {
    store(trial, r, should_stop);
  } catch (const TrialLostError& e) {
    // Recovery handed this trial to another worker after a missed heartbeat, or report() already
    // ended it as Failed (non-finite objective): its record stands as the storage has it.
    ev.note = std::string("not recorded by this worker: ") + e.what();
  }
  if (heartbeat_) heartbeat_->set_trial(std::nullopt);
  ev.trial = trial;
  if (on_event) on_event(ev);
  return true;
}

}  // namespace gd::tune
