// StudyStorage: what a worker records about its Running trial (per-epoch values, heartbeats) and
// how a run segment ends (complete, pruned/paused, failed). Each call is one transaction that first
// checks (and on PostgreSQL locks) the trial's row: it must still be Running for this worker
// (TrialLostError otherwise). A call repeated after a lost connection whose COMMIT may have gone
// through finds its own result there and takes it as done.
#include <algorithm>
#include <cmath>

#include "engine/tune/sql_conn.h"
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
std::string describe(sql::Connection& db, int64_t trial_id) {
  const sql::Rows q =
      db.query("SELECT t.number, s.name FROM trials t JOIN studies s ON s.id = t.study_id WHERE t.id = ?1", {trial_id});
  if (q.empty()) return "trial id " + std::to_string(trial_id);
  return "trial " + std::to_string(q[0].int_at(0)) + " of study '" + q[0].text_at(1) + "'";
}

struct Owned {
  std::string state, worker, reason;
  std::optional<double> value;
};

// Locks the trial's row (PostgreSQL) and reads who runs it. Runs inside the caller's transaction.
Owned read_owner(sql::Connection& db, const Trial& trial) {
  const sql::Rows q = db.query(std::string("SELECT state, worker, fail_reason, value FROM trials WHERE id = ?1") +
                                   storage_detail::for_update(db),
                               {trial.id});
  if (q.empty()) {
    // Deleted with its study, or forgotten by a server crash right after it was handed out.
    throw TrialLostError("trial " + std::to_string(trial.number) + " (id " + std::to_string(trial.id) +
                         ") is no longer in '" + db.name() + "'");
  }
  return {q[0].text_at(0), q[0].text_at(1), q[0].text_at(2), q[0].optional_double_at(3)};
}

// Throws unless the trial exists and is Running for worker `me`.
void check_owned(sql::Connection& db, const Trial& trial, const std::string& me) {
  const Owned o = read_owner(db, trial);
  if (o.state == "running" && o.worker == me) return;
  std::string msg = describe(db, trial.id) + " is no longer running for worker " + me + ": ";
  if (o.state != "running") {
    msg += "it is " + o.state + (o.reason.empty() ? "" : " (" + o.reason + ")");
  } else {
    msg += "worker " + o.worker + " runs it now";
  }
  throw TrialLostError(msg);
}

// After a retried call: true when this worker's earlier attempt already stored `state` (and
// `value`) for the trial, i.e. the lost connection took only the reply to COMMIT.
bool already_told(sql::Connection& db, const Trial& trial, const std::string& me, TrialState state,
                  std::optional<double> value) {
  const Owned o = read_owner(db, trial);
  return o.worker == me && o.state == to_string(state) && o.value == value;
}

// True when `me` may still store the end of the trial: it runs it, or recovery declared it lost
// while it was in fact finishing (its heartbeats did not get through, e.g. while the database was
// down). Then the result is kept and the retry queued for it is withdrawn (one already handed out
// runs on: duplicated work, but nothing computed is lost).
bool reclaim(sql::Connection& db, const Trial& trial, const std::string& me) {
  const Owned o = read_owner(db, trial);
  if (o.worker != me) return false;
  if (o.state == "running") return true;
  if (o.state != "failed" || o.reason.rfind("worker lost:", 0) != 0) return false;
  db.exec("DELETE FROM trial_queue WHERE retry_of = ?1", {trial.id});
  return true;
}

void upsert_value(sql::Connection& db, int64_t trial_id, int step, double value) {
  db.exec("INSERT INTO trial_values (trial_id, step, value) VALUES (?1, ?2, ?3) "
          "ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value",
          {trial_id, step, value});
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
void finish(sql::Connection& db, Trial& trial, TrialState state, std::optional<double> value, const std::string& reason,
            const nlohmann::json& attrs_patch) {
  const std::string tag = describe(db, trial.id);
  const sql::Rows current = db.query("SELECT attrs FROM trials WHERE id = ?1", {trial.id});
  nlohmann::json attrs =
      storage_detail::parse_json_column(db.name(), current.empty() ? "" : current[0].text_at(0), "attrs of " + tag);
  storage_detail::merge_attrs(attrs, attrs_patch, tag);
  const double now = now_s();
  const sql::Rows d = db.query(
      "UPDATE trials SET state = ?2, value = ?3, fail_reason = ?4, attrs = ?5, finished_at = ?6, heartbeat_at = ?6, "
      "duration_s = duration_s + CASE WHEN ?6 > segment_started_at THEN ?6 - segment_started_at ELSE 0.0 END "
      "WHERE id = ?1 RETURNING duration_s",
      {trial.id, to_string(state), value, reason, storage_detail::json_text(attrs, "attrs of " + tag), now});
  trial.state = state;
  trial.value = value;
  trial.fail_reason = reason;
  trial.attrs = std::move(attrs);
  if (!d.empty()) trial.duration_s = d[0].double_at(0);
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
  std::string diverged;
  with_db("report", [&](sql::Connection& db, int) {
    sql::Transaction txn(db);
    check_owned(db, trial, worker_.id());
    if (!std::isfinite(value)) {
      diverged = "diverged: objective value " + value_text(value) + " reported at step " + std::to_string(step);
      finish(db, trial, TrialState::Failed, std::nullopt, diverged, nlohmann::json::object());
      diverged = describe(db, trial.id) + " " + diverged;
      txn.commit();
      return;
    }
    upsert_value(db, trial.id, step, value);
    db.exec("UPDATE trials SET heartbeat_at = ?2 WHERE id = ?1", {trial.id, now_s()});
    txn.commit();
  });
  if (!diverged.empty()) throw NumericError(diverged + "; it is marked failed");
  set_intermediate(trial, step, value);
}

bool StudyStorage::heartbeat(const Trial& trial) {
  bool ok = false;
  with_db("heartbeat", [&](sql::Connection& db, int) {
    ok = db.exec("UPDATE trials SET heartbeat_at = ?2 WHERE id = ?1 AND state = 'running' AND worker = ?3",
                 {trial.id, now_s(), worker_.id()}) == 1;
  });
  return ok;
}

// One transaction, idempotent across a lost COMMIT (see study_storage.h).
void StudyStorage::tell_for(const std::string& worker_id, Trial& trial, TrialState state, std::optional<double> value,
                            const std::string& reason, const nlohmann::json& attrs_patch, std::optional<int> step) {
  if (state == TrialState::Running) throw ConfigError("tell_for: a run segment cannot end as running");
  if (step && !value) throw ConfigError("tell_for: a step needs its value");
  with_db("tell", [&](sql::Connection& db, int attempt) {
    sql::Transaction txn(db);
    if (attempt > 0 && already_told(db, trial, worker_id, state, value)) {
      trial.state = state;
      trial.value = value;
      trial.fail_reason = reason;
      return;
    }
    if (!reclaim(db, trial, worker_id)) check_owned(db, trial, worker_id);
    if (step) upsert_value(db, trial.id, *step, *value);
    finish(db, trial, state, value, reason, attrs_patch);
    txn.commit();
  });
  if (step && state == TrialState::Pruned) set_intermediate(trial, *step, *value);
}

TrialState StudyStorage::tell_complete(Trial& trial, double value, const nlohmann::json& attrs_patch) {
  if (std::isfinite(value)) {
    tell_for(worker_.id(), trial, TrialState::Complete, value, "", attrs_patch, std::nullopt);
  } else {
    tell_for(worker_.id(), trial, TrialState::Failed, std::nullopt, "objective value is " + value_text(value),
             attrs_patch, std::nullopt);
  }
  return trial.state;
}

TrialState StudyStorage::tell_pruned(Trial& trial, int step, double value, const nlohmann::json& attrs_patch) {
  check_step(trial, step);
  if (std::isfinite(value)) {
    tell_for(worker_.id(), trial, TrialState::Pruned, value, "", attrs_patch, step);
  } else {
    tell_for(worker_.id(), trial, TrialState::Failed, std::nullopt,
         "diverged: objective value " + value_text(value) + " reported at step " + std::to_string(step), attrs_patch,
         std::nullopt);
  }
  return trial.state;
}

void StudyStorage::tell_failed(Trial& trial, const std::string& reason, const nlohmann::json& attrs_patch) {
  if (reason.empty())
    throw ConfigError("tell_failed for trial " + std::to_string(trial.number) + ": the reason is empty");
  tell_for(worker_.id(), trial, TrialState::Failed, std::nullopt, reason, attrs_patch, std::nullopt);
}

}  // namespace gd::tune
