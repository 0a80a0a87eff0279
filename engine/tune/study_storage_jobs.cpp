// StudyStorage: handing out work (queued retries and enqueued trials, resumptions, new proposals)
// and recovering trials of lost workers. Each public call is one write transaction that holds the
// study (SQLite: BEGIN IMMEDIATE, the file's write lock; PostgreSQL: the study's row lock), so
// every decision is made on data no other worker can change until it is committed: trial numbers
// are dense and unique, a queued or paused trial is handed to exactly one worker, and every
// proposal sees every trial before it.
#include <atomic>
#include <cstdio>
#include <random>

#include "engine/tune/sql_conn.h"
#include "engine/tune/study_storage.h"
#include "engine/tune/study_storage_rows.h"

namespace gd::tune {

using storage_detail::load_records;
using storage_detail::now_s;
using storage_detail::parse_json_column;
using storage_detail::trials_of;

namespace {

std::string trial_tag(const Study& s, int64_t number) {
  return "trial " + std::to_string(number) + " of study '" + s.name + "'";
}

// How many lost attempts precede trial `id` in its retry chain (0 for an original trial).
int retry_depth(sql::Connection& db, int64_t id) {
  int depth = 0;
  std::optional<int64_t> cur = id;
  while (true) {
    const sql::Rows q = db.query("SELECT retry_of FROM trials WHERE id = ?1", {*cur});
    if (q.empty()) break;
    cur = q[0].optional_int_at(0);
    if (!cur) break;
    ++depth;
  }
  return depth;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f", s);
  return buf;
}

// The study's answer to a lost worker: "retry" (default) or "fail" (study attribute "worker_lost").
bool retries_lost_trials(sql::Connection& db, const Study& s) {
  const sql::Rows q = db.query("SELECT value FROM study_attrs WHERE study_id = ?1 AND key = 'worker_lost'", {s.id});
  if (q.empty()) return true;
  const nlohmann::json v = parse_json_column(db.name(), q[0].text_at(0), "attribute 'worker_lost' of study '" + s.name + "'");
  return !(v.is_string() && v.get<std::string>() == "fail");
}

// Marks lost Running trials Failed ("worker lost: ...") and queues their retries. Runs inside the
// caller's transaction, which holds the study. Returns the ids it marked.
std::vector<int64_t> recover_locked(sql::Connection& db, const Study& s, const StorageOptions& opt,
                                    const WorkerIdentity& me) {
  struct Candidate {
    int64_t id;
    std::string worker;
    std::optional<int64_t> worker_start;
    double heartbeat_at;
  };
  std::vector<Candidate> running;
  // Read without row locks (a tell in progress is not held up); the UPDATE below re-checks the
  // state, waiting for such a tell to commit, so a trial told meanwhile is left alone.
  for (const sql::Row& q : db.query("SELECT id, worker, worker_start, heartbeat_at FROM trials "
                                    "WHERE study_id = ?1 AND state = 'running' ORDER BY number",
                                    {s.id})) {
    running.push_back({q.int_at(0), q.text_at(1), q.optional_int_at(2), q.double_at(3)});
  }
  const double now = now_s();
  std::vector<int64_t> recovered;
  bool retry_setting = true, setting_read = false;
  for (const Candidate& c : running) {
    const bool mine = c.worker == me.id() && (!c.worker_start || !me.start_ticks || *c.worker_start == *me.start_ticks);
    if (mine) continue;
    const double silent = now - c.heartbeat_at;
    std::string why;
    if (worker_liveness(c.worker, c.worker_start) == WorkerLiveness::Dead) {
      why = "process gone";
    } else if (silent > opt.heartbeat_grace_s) {
      why = "no heartbeat for " + seconds_text(silent) + " s, grace " + seconds_text(opt.heartbeat_grace_s) + " s";
    } else {
      continue;
    }
    if (!setting_read) {
      retry_setting = retries_lost_trials(db, s);
      setting_read = true;
    }
    std::string reason = "worker lost: worker " + c.worker + " stopped without finishing (" + why + ")";
    const int depth = retry_depth(db, c.id);
    const bool retry = retry_setting && depth < opt.max_retries;
    if (!retry_setting) {
      reason += "; not retried: the study's worker_lost setting is 'fail'";
    } else if (!retry) {
      reason += "; not retried: lost " + std::to_string(depth + 1) + " times in a row (max_retries " +
                std::to_string(opt.max_retries) + ")";
    }
    const int64_t changed = db.exec(
        "UPDATE trials SET state = 'failed', fail_reason = ?2, value = NULL, finished_at = ?3, "
        "duration_s = duration_s + CASE WHEN heartbeat_at > segment_started_at "
        "THEN heartbeat_at - segment_started_at ELSE 0.0 END "
        "WHERE id = ?1 AND state = 'running'",
        {c.id, reason, now});
    if (changed != 1) continue;  // its worker told it meanwhile
    if (retry) {
      // The retry carries the parameters and attrs (checkpoint path, rung); its intermediate values
      // are copied from this trial when it is handed out.
      db.exec("INSERT INTO trial_queue (study_id, params, attrs, retry_of, created_at) "
              "SELECT study_id, params, attrs, id, ?2 FROM trials WHERE id = ?1",
              {c.id, now});
    }
    recovered.push_back(c.id);
  }
  return recovered;
}

// Hands out the oldest queued trial of the study, or nullopt when the queue is empty.
std::optional<Job> take_queued(sql::Connection& db, const Study& s, const std::string& device, const WorkerIdentity& me,
                               const std::string& token) {
  const std::string skip = db.dialect() == sql::Dialect::Postgres ? " FOR UPDATE SKIP LOCKED" : "";
  const sql::Rows q =
      db.query("SELECT id, params, attrs, retry_of FROM trial_queue WHERE study_id = ?1 ORDER BY id LIMIT 1" + skip, {s.id});
  if (q.empty()) return std::nullopt;
  const int64_t queue_id = q[0].int_at(0);
  const std::optional<int64_t> retry_of = q[0].optional_int_at(3);
  const std::string what = "queued trial " + std::to_string(queue_id) + " of study '" + s.name + "'";
  const nlohmann::json params = parse_json_column(db.name(), q[0].text_at(1), "params of " + what);
  const nlohmann::json attrs = parse_json_column(db.name(), q[0].text_at(2), "attrs of " + what);
  if (!params.is_object() || !attrs.is_object()) {
    throw DataError("study database '" + db.name() + "': params and attrs of " + what + " must be JSON objects");
  }
  std::vector<std::pair<int, double>> intermediate;
  std::string sampler = "enqueued";
  if (retry_of) {
    const sql::Rows o = db.query("SELECT sampler FROM trials WHERE id = ?1", {*retry_of});
    if (!o.empty()) sampler = o[0].text_at(0);
    for (const sql::Row& v : db.query("SELECT step, value FROM trial_values WHERE trial_id = ?1 ORDER BY step", {*retry_of}))
      intermediate.emplace_back(static_cast<int>(v.int_at(0)), v.double_at(1));
  }
  if (db.exec("DELETE FROM trial_queue WHERE id = ?1", {queue_id}) != 1)
    throw Error("could not claim " + what + ": another worker took it");
  Job job;
  job.kind = retry_of ? JobKind::Retry : JobKind::New;
  job.retry_of = retry_of;
  job.trial = storage_detail::insert_running_trial(db, s.id, params, sampler, device, attrs, intermediate, retry_of, me,
                                                   token);
  return job;
}

// Marks the paused trial chosen by a resumer Running for this worker.
Trial claim_resumption(sql::Connection& db, const Study& s, const Resumption& r, const std::string& device,
                       const WorkerIdentity& me, const std::string& token) {
  std::optional<TrialRecord> rec = storage_detail::load_record(db, r.trial_id);
  if (!rec) throw Error("resumer chose trial id " + std::to_string(r.trial_id) + ", which does not exist");
  Trial& t = rec->trial;
  const sql::Rows q = db.query("SELECT study_id FROM trials WHERE id = ?1", {r.trial_id});
  const int64_t study_id = q.empty() ? -1 : q[0].int_at(0);
  if (study_id != s.id) {
    throw Error("resumer chose trial id " + std::to_string(r.trial_id) + ", which is not in study '" + s.name + "'");
  }
  if (t.state != TrialState::Pruned) {
    throw Error("resumer chose " + trial_tag(s, t.number) + ", which is " + to_string(t.state) +
                " (only paused trials can be resumed)");
  }
  storage_detail::merge_attrs(t.attrs, r.attrs_patch, trial_tag(s, t.number));
  const double now = now_s();
  const int64_t changed = db.exec(
      "UPDATE trials SET state = 'running', value = NULL, attrs = ?2, device = ?3, worker = ?4, "
      "worker_start = ?5, heartbeat_at = ?6, segment_started_at = ?6, finished_at = NULL, claim_token = ?7 "
      "WHERE id = ?1 AND state = 'pruned'",
      {t.id, storage_detail::json_text(t.attrs, "attrs of " + trial_tag(s, t.number)), device, me.id(), me.start_ticks,
       now, token});
  if (changed != 1) throw Error("could not claim " + trial_tag(s, t.number) + " for resumption");
  t.state = TrialState::Running;
  t.value.reset();
  t.device = device;
  return t;
}

// A token naming one next_job call (not its attempts): worker, time and a random part.
std::string new_claim_token(const WorkerIdentity& me) {
  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%s/%.6f/%llu/%08x", me.id().c_str(), now_s(),
                static_cast<unsigned long long>(counter++), rd());
  return buf;
}

// After a lost COMMIT: the trial an earlier attempt of this call created or resumed, if that
// attempt was committed (a resumed trial's run segment started after the trial did).
std::optional<Job> claimed_before(sql::Connection& db, const std::string& token) {
  const sql::Rows r =
      db.query("SELECT id, segment_started_at > started_at FROM trials WHERE claim_token = ?1", {token});
  if (r.empty()) return std::nullopt;
  std::optional<TrialRecord> rec = storage_detail::load_record(db, r[0].int_at(0));
  if (!rec) return std::nullopt;
  Job job;
  job.retry_of = rec->retry_of;
  const std::string resumed = r[0].text_at(1);
  job.kind = (resumed == "t" || resumed == "1") ? JobKind::Resumed : rec->retry_of ? JobKind::Retry : JobKind::New;
  job.trial = rec->trial;
  return job;
}

}  // namespace

Job StudyStorage::next_job(const Study& s, const JobRequest& request) {
  if (!request.propose) throw ConfigError("next_job on study '" + s.name + "': JobRequest::propose is empty");
  Job job;
  const std::string token = new_claim_token(worker_);
  with_db("next_job", [&](sql::Connection& db, int attempt) {
    if (attempt > 0) {
      if (std::optional<Job> earlier = claimed_before(db, token)) {
        job = *earlier;
        return;
      }
    }
    // PostgreSQL: read the study before taking its lock (workers do this in parallel), and only
    // what may have changed under it (refresh_records): the lock is held for milliseconds.
    const bool pg = db.dialect() == sql::Dialect::Postgres;
    std::vector<TrialRecord> before;
    if (pg) before = storage_detail::load_records_cached(db, s.id, caches_->by_study[s.id]);
    // The study lock is held until COMMIT returns: that COMMIT does not wait for the disk. The
    // worker's first heartbeat (a flushed commit) makes the hand-out durable before it trains.
    sql::Transaction txn(db, sql::Connection::TxnMode::WriteNoFlush);
    storage_detail::lock_study(db, s);
    recover_locked(db, s, options_, worker_);
    if (std::optional<Job> queued = take_queued(db, s, request.device, worker_, token)) {
      txn.commit();
      job = *queued;
      return;
    }
    const std::vector<Trial> all =
        trials_of(pg ? storage_detail::refresh_records(db, s.id, std::move(before)) : load_records(db, s.id));
    if (request.resume) {
      if (std::optional<Resumption> r = request.resume(all)) {
        job.kind = JobKind::Resumed;
        job.trial = claim_resumption(db, s, *r, request.device, worker_, token);
        txn.commit();
        return;
      }
    }
    const nlohmann::json params = request.propose(all);
    if (!params.is_object()) {
      throw ConfigError("the sampler's proposal for study '" + s.name + "' must be a JSON object, got " +
                        storage_detail::json_preview(params));
    }
    job.kind = JobKind::New;
    job.retry_of.reset();
    job.trial = storage_detail::insert_running_trial(db, s.id, params, request.sampler, request.device,
                                                     nlohmann::json::object(), {}, std::nullopt, worker_, token);
    txn.commit();
  });
  return job;
}

Trial StudyStorage::ask(const Study& s, const ProposeFn& propose, const std::string& sampler,
                        const std::string& device) {
  JobRequest r;
  r.propose = propose;
  r.sampler = sampler;
  r.device = device;
  return next_job(s, r).trial;
}

std::optional<Trial> StudyStorage::resume(const Study& s, const ResumeFn& chooser, const std::string& device) {
  if (!chooser) throw ConfigError("resume on study '" + s.name + "': the resumer is empty");
  std::optional<Trial> t;
  with_db("resume", [&](sql::Connection& db, int) {
    sql::Transaction txn(db);
    storage_detail::lock_study(db, s);
    recover_locked(db, s, options_, worker_);
    const std::vector<Trial> all = trials_of(load_records(db, s.id));
    const std::optional<Resumption> r = chooser(all);
    t.reset();
    if (r) t = claim_resumption(db, s, *r, device, worker_, new_claim_token(worker_));
    txn.commit();  // also keeps what recovery marked
  });
  return t;
}

void StudyStorage::enqueue_trial(const Study& s, const nlohmann::json& params, const nlohmann::json& attrs) {
  if (!params.is_object()) throw ConfigError("enqueued parameters for study '" + s.name + "' must be a JSON object");
  if (!attrs.is_object()) throw ConfigError("enqueued attrs for study '" + s.name + "' must be a JSON object");
  with_db("enqueue_trial", [&](sql::Connection& db, int) {
    db.exec("INSERT INTO trial_queue (study_id, params, attrs, retry_of, created_at) VALUES (?1, ?2, ?3, NULL, ?4)",
            {s.id, storage_detail::json_text(params, "enqueued params"), storage_detail::json_text(attrs, "enqueued attrs"),
             now_s()});
  });
}

int64_t StudyStorage::queued_trials(const Study& s) {
  int64_t n = 0;
  with_db("queued_trials", [&](sql::Connection& db, int) {
    n = db.query_int("SELECT count(*) FROM trial_queue WHERE study_id = ?1", {s.id});
  });
  return n;
}

std::vector<Trial> StudyStorage::recover_interrupted(const Study& s) {
  std::vector<Trial> out;
  with_db("recover_interrupted", [&](sql::Connection& db, int) {
    sql::Transaction txn(db);
    storage_detail::lock_study(db, s);
    const std::vector<int64_t> ids = recover_locked(db, s, options_, worker_);
    out.clear();
    for (int64_t id : ids) {
      if (std::optional<TrialRecord> r = storage_detail::load_record(db, id)) out.push_back(r->trial);
    }
    txn.commit();
  });
  return out;
}

}  // namespace gd::tune
