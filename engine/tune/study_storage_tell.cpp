// StudyStorage: what a worker records about its Running trial (per-epoch values, heartbeats) and
// how a run segment ends (complete, pruned/paused, failed). Each call is one transaction that first
// checks the trial is still Running for this worker (TrialLostError otherwise).
#include <algorithm>
#include <cmath>

#include "engine/tune/sqlite_db.h"
#include "engine/tune/study_storage.h"
#include "engine/tune/study_storage_rows.h"

namespace gd::tune {

using storage_detail::now_s;

namespace {

std::string value_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return std::to_string(v);
}

// "trial 3 of study 'name'" for the trial with this id (or its id when the row is gone).
std::string describe(sqlite::Db& db, int64_t trial_id) {
  sqlite::Stmt q(db, "SELECT t.number, s.name FROM trials t JOIN studies s ON s.id = t.study_id WHERE t.id = ?1");
  q.bind(1, trial_id);
  if (!q.step()) return "trial id " + std::to_string(trial_id);
  return "trial " + std::to_string(q.int_at(0)) + " of study '" + q.text_at(1) + "'";
}

// Throws unless the trial exists and is Running for worker `me`. Runs inside the caller's
// transaction.
void check_owned(sqlite::Db& db, const Trial& trial, const WorkerIdentity& me) {
  sqlite::Stmt q(db, "SELECT state, worker, fail_reason FROM trials WHERE id = ?1");
  q.bind(1, trial.id);
  if (!q.step()) throw ConfigError("no trial with id " + std::to_string(trial.id) + " in '" + db.path() + "'");
  const std::string state = q.text_at(0), worker = q.text_at(1), reason = q.text_at(2);
  if (state == "running" && worker == me.id()) return;
  std::string msg = describe(db, trial.id) + " is no longer running for worker " + me.id() + ": ";
  if (state != "running") {
    msg += "it is " + state + (reason.empty() ? "" : " (" + reason + ")");
  } else {
    msg += "worker " + worker + " runs it now";
  }
  throw TrialLostError(msg);
}

void upsert_value(sqlite::Db& db, int64_t trial_id, int step, double value) {
  sqlite::Stmt s(db,
                 "INSERT INTO trial_values (trial_id, step, value) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value");
  s.bind(1, trial_id).bind(2, step).bind(3, value).run();
}

void set_intermediate(Trial& t, int step, double value) {
  auto it = std::lower_bound(t.intermediate.begin(), t.intermediate.end(), step,
                             [](const std::pair<int, double>& p, int s) { return p.first < s; });
  if (it != t.intermediate.end() && it->first == step) {
    it->second = value;
  } else {
    t.intermediate.insert(it, {step, value});
  }
}

// Ends the current run segment: writes the final state and adds the segment's wall time to
// duration_s. Updates `trial` to match what was stored.
void finish(sqlite::Db& db, Trial& trial, TrialState state, std::optional<double> value, const std::string& reason,
            const nlohmann::json& attrs_patch) {
  nlohmann::json attrs;
  {
    sqlite::Stmt q(db, "SELECT attrs FROM trials WHERE id = ?1");
    q.bind(1, trial.id);
    q.step();
    attrs = storage_detail::parse_json_column(db.path(), q.text_at(0), "attrs of " + describe(db, trial.id));
  }
  storage_detail::merge_attrs(attrs, attrs_patch, describe(db, trial.id));
  const double now = now_s();
  {
    sqlite::Stmt u(db,
                   "UPDATE trials SET state = ?2, value = ?3, fail_reason = ?4, attrs = ?5, finished_at = ?6, "
                   "heartbeat_at = ?6, duration_s = duration_s + max(0.0, ?6 - segment_started_at) WHERE id = ?1");
    u.bind(1, trial.id)
        .bind(2, to_string(state))
        .bind(3, value)
        .bind(4, reason)
        .bind(5, storage_detail::json_text(attrs, "attrs of " + describe(db, trial.id)))
        .bind(6, now);
    u.run();
  }
  sqlite::Stmt d(db, "SELECT duration_s FROM trials WHERE id = ?1");
  d.bind(1, trial.id);
  d.step();
  trial.state = state;
  trial.value = value;
  trial.fail_reason = reason;
  trial.attrs = std::move(attrs);
  trial.duration_s = d.double_at(0);
}

void check_step(const Trial& trial, int step) {
  if (step < 0) {
    throw ConfigError("trial " + std::to_string(trial.number) + ": step must be >= 0 (an epoch number), got " +
                      std::to_string(step));
  }
}

}  // namespace

void StudyStorage::report(Trial& trial, int step, double value) {
  check_step(trial, step);
  sqlite::Transaction txn(*db_);
  check_owned(*db_, trial, worker_);
  if (!std::isfinite(value)) {
    const std::string reason =
        "diverged: objective value " + value_text(value) + " reported at step " + std::to_string(step);
    finish(*db_, trial, TrialState::Failed, std::nullopt, reason, nlohmann::json::object());
    txn.commit();
    throw NumericError(describe(*db_, trial.id) + " " + reason + "; it is marked failed");
  }
  upsert_value(*db_, trial.id, step, value);
  sqlite::Stmt hb(*db_, "UPDATE trials SET heartbeat_at = ?2 WHERE id = ?1");
  hb.bind(1, trial.id).bind(2, now_s()).run();
  txn.commit();
  set_intermediate(trial, step, value);
}

bool StudyStorage::heartbeat(const Trial& trial) {
  sqlite::Transaction txn(*db_);
  sqlite::Stmt hb(*db_, "UPDATE trials SET heartbeat_at = ?2 WHERE id = ?1 AND state = 'running' AND worker = ?3");
  hb.bind(1, trial.id).bind(2, now_s()).bind(3, worker_.id()).run();
  const bool ok = db_->changes() == 1;
  txn.commit();
  return ok;
}

TrialState StudyStorage::tell_complete(Trial& trial, double value, const nlohmann::json& attrs_patch) {
  sqlite::Transaction txn(*db_);
  check_owned(*db_, trial, worker_);
  if (std::isfinite(value)) {
    finish(*db_, trial, TrialState::Complete, value, "", attrs_patch);
  } else {
    finish(*db_, trial, TrialState::Failed, std::nullopt, "objective value is " + value_text(value), attrs_patch);
  }
  txn.commit();
  return trial.state;
}

TrialState StudyStorage::tell_pruned(Trial& trial, int step, double value, const nlohmann::json& attrs_patch) {
  check_step(trial, step);
  sqlite::Transaction txn(*db_);
  check_owned(*db_, trial, worker_);
  if (std::isfinite(value)) {
    upsert_value(*db_, trial.id, step, value);
    finish(*db_, trial, TrialState::Pruned, value, "", attrs_patch);
    set_intermediate(trial, step, value);
  } else {
    finish(*db_, trial, TrialState::Failed, std::nullopt,
           "diverged: objective value " + value_text(value) + " reported at step " + std::to_string(step), attrs_patch);
  }
  txn.commit();
  return trial.state;
}

void StudyStorage::tell_failed(Trial& trial, const std::string& reason, const nlohmann::json& attrs_patch) {
  if (reason.empty())
    throw ConfigError("tell_failed for trial " + std::to_string(trial.number) + ": the reason is empty");
  sqlite::Transaction txn(*db_);
  check_owned(*db_, trial, worker_);
  finish(*db_, trial, TrialState::Failed, std::nullopt, reason, attrs_patch);
  txn.commit();
}

}  // namespace gd::tune
