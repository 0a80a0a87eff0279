// StudyStorage: handing out work (queued retries and enqueued trials, resumptions, new proposals)
// and recovering trials of dead workers. Each public call is one BEGIN IMMEDIATE transaction, so
// every decision is made on data no other worker can change until it is committed.
#include <cstdio>

#include "engine/tune/sqlite_db.h"
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

// How many interrupted attempts precede trial `id` in its retry chain (0 for an original trial).
int retry_depth(sqlite::Db& db, int64_t id) {
  int depth = 0;
  sqlite::Stmt q(db, "SELECT retry_of FROM trials WHERE id = ?1");
  std::optional<int64_t> cur = id;
  while (true) {
    q.reset();
    q.bind(1, *cur);
    if (!q.step()) break;
    cur = q.optional_int_at(0);
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

// Marks interrupted Running trials Failed and queues their retries. Runs inside the caller's
// IMMEDIATE transaction. Returns the ids it marked.
std::vector<int64_t> recover_locked(sqlite::Db& db, const Study& s, const StorageOptions& opt,
                                    const WorkerIdentity& me) {
  struct Candidate {
    int64_t id;
    int64_t number;
    std::string worker;
    std::optional<int64_t> worker_start;
    double heartbeat_at;
    double segment_started_at;
  };
  std::vector<Candidate> running;
  {
    sqlite::Stmt q(db,
                   "SELECT id, number, worker, worker_start, heartbeat_at, segment_started_at FROM trials "
                   "WHERE study_id = ?1 AND state = 'running' ORDER BY number");
    q.bind(1, s.id);
    while (q.step()) {
      running.push_back({q.int_at(0), q.int_at(1), q.text_at(2), q.optional_int_at(3), q.double_at(4), q.double_at(5)});
    }
  }
  const double now = now_s();
  std::vector<int64_t> recovered;
  for (const Candidate& c : running) {
    const bool mine = c.worker == me.id() && (!c.worker_start || !me.start_ticks || *c.worker_start == *me.start_ticks);
    if (mine) continue;
    const WorkerLiveness live = worker_liveness(c.worker, c.worker_start);
    const double silent = now - c.heartbeat_at;
    std::string why;
    if (live == WorkerLiveness::Dead) {
      why = "process gone";
    } else if (silent > opt.heartbeat_grace_s) {
      why = "no heartbeat for " + seconds_text(silent) + " s, grace " + seconds_text(opt.heartbeat_grace_s) + " s";
    } else {
      continue;
    }
    std::string reason = "interrupted: worker " + c.worker + " stopped without finishing (" + why + ")";
    const int depth = retry_depth(db, c.id);
    const bool retry = depth < opt.max_retries;
    if (!retry) {
      reason += "; not retried: interrupted " + std::to_string(depth + 1) + " times in a row (max_retries " +
                std::to_string(opt.max_retries) + ")";
    }
    sqlite::Stmt upd(db,
                     "UPDATE trials SET state = 'failed', fail_reason = ?2, value = NULL, finished_at = ?3, "
                     "duration_s = duration_s + max(0.0, heartbeat_at - segment_started_at) "
                     "WHERE id = ?1 AND state = 'running'");
    upd.bind(1, c.id).bind(2, reason).bind(3, now).run();
    if (retry) {
      // The retry carries the parameters and attrs (checkpoint path, rung); its intermediate values
      // are copied from this trial when it is handed out.
      sqlite::Stmt ins(db,
                       "INSERT INTO trial_queue (study_id, params, attrs, retry_of, created_at) "
                       "SELECT study_id, params, attrs, id, ?2 FROM trials WHERE id = ?1");
      ins.bind(1, c.id).bind(2, now).run();
    }
    recovered.push_back(c.id);
  }
  return recovered;
}

// Hands out the oldest queued trial of the study, or nullopt when the queue is empty.
std::optional<Job> take_queued(sqlite::Db& db, const Study& s, const std::string& device, const WorkerIdentity& me) {
  int64_t queue_id = 0;
  std::string params_text, attrs_text;
  std::optional<int64_t> retry_of;
  {
    sqlite::Stmt q(db, "SELECT id, params, attrs, retry_of FROM trial_queue WHERE study_id = ?1 ORDER BY id LIMIT 1");
    q.bind(1, s.id);
    if (!q.step()) return std::nullopt;
    queue_id = q.int_at(0);
    params_text = q.text_at(1);
    attrs_text = q.text_at(2);
    retry_of = q.optional_int_at(3);
  }
  const std::string what = "queued trial " + std::to_string(queue_id) + " of study '" + s.name + "'";
  const nlohmann::json params = parse_json_column(db.path(), params_text, "params of " + what);
  const nlohmann::json attrs = parse_json_column(db.path(), attrs_text, "attrs of " + what);
  if (!params.is_object() || !attrs.is_object()) {
    throw DataError("study database '" + db.path() + "': params and attrs of " + what + " must be JSON objects");
  }
  std::vector<std::pair<int, double>> intermediate;
  std::string sampler = "enqueued";
  if (retry_of) {
    sqlite::Stmt o(db, "SELECT sampler FROM trials WHERE id = ?1");
    o.bind(1, *retry_of);
    if (o.step()) sampler = o.text_at(0);
    sqlite::Stmt v(db, "SELECT step, value FROM trial_values WHERE trial_id = ?1 ORDER BY step");
    v.bind(1, *retry_of);
    while (v.step()) intermediate.emplace_back(static_cast<int>(v.int_at(0)), v.double_at(1));
  }
  sqlite::Stmt del(db, "DELETE FROM trial_queue WHERE id = ?1");
  del.bind(1, queue_id).run();
  Job job;
  job.kind = retry_of ? JobKind::Retry : JobKind::New;
  job.retry_of = retry_of;
  job.trial =
      storage_detail::insert_running_trial(db, s.id, params, sampler, device, attrs, intermediate, retry_of, me);
  return job;
}

// Marks the paused trial chosen by a resumer Running for this worker.
Trial claim_resumption(sqlite::Db& db, const Study& s, const Resumption& r, const std::string& device,
                       const WorkerIdentity& me) {
  std::optional<TrialRecord> rec = storage_detail::load_record(db, r.trial_id);
  if (!rec) throw Error("resumer chose trial id " + std::to_string(r.trial_id) + ", which does not exist");
  Trial& t = rec->trial;
  int64_t study_id = -1;
  {
    sqlite::Stmt q(db, "SELECT study_id FROM trials WHERE id = ?1");
    q.bind(1, r.trial_id);
    if (q.step()) study_id = q.int_at(0);
  }
  if (study_id != s.id) {
    throw Error("resumer chose trial id " + std::to_string(r.trial_id) + ", which is not in study '" + s.name + "'");
  }
  if (t.state != TrialState::Pruned) {
    throw Error("resumer chose " + trial_tag(s, t.number) + ", which is " + to_string(t.state) +
                " (only paused trials can be resumed)");
  }
  storage_detail::merge_attrs(t.attrs, r.attrs_patch, trial_tag(s, t.number));
  const double now = now_s();
  sqlite::Stmt upd(db,
                   "UPDATE trials SET state = 'running', value = NULL, attrs = ?2, device = ?3, worker = ?4, "
                   "worker_start = ?5, heartbeat_at = ?6, segment_started_at = ?6, finished_at = NULL "
                   "WHERE id = ?1 AND state = 'pruned'");
  upd.bind(1, t.id)
      .bind(2, storage_detail::json_text(t.attrs, "attrs of " + trial_tag(s, t.number)))
      .bind(3, device)
      .bind(4, me.id())
      .bind(5, me.start_ticks)
      .bind(6, now);
  upd.run();
  if (db.changes() != 1) throw Error("could not claim " + trial_tag(s, t.number) + " for resumption");
  t.state = TrialState::Running;
  t.value.reset();
  t.device = device;
  return t;
}

}  // namespace

Job StudyStorage::next_job(const Study& s, const JobRequest& request) {
  if (!request.propose) throw ConfigError("next_job on study '" + s.name + "': JobRequest::propose is empty");
  sqlite::Transaction txn(*db_);
  recover_locked(*db_, s, options_, worker_);
  if (std::optional<Job> queued = take_queued(*db_, s, request.device, worker_)) {
    txn.commit();
    return *queued;
  }
  const std::vector<Trial> all = trials_of(load_records(*db_, s.id));
  Job job;
  if (request.resume) {
    if (std::optional<Resumption> r = request.resume(all)) {
      job.kind = JobKind::Resumed;
      job.trial = claim_resumption(*db_, s, *r, request.device, worker_);
      txn.commit();
      return job;
    }
  }
  const nlohmann::json params = request.propose(all);
  if (!params.is_object()) {
    throw ConfigError("the sampler's proposal for study '" + s.name + "' must be a JSON object, got " +
                      storage_detail::json_preview(params));
  }
  job.kind = JobKind::New;
  job.trial = storage_detail::insert_running_trial(*db_, s.id, params, request.sampler, request.device,
                                                   nlohmann::json::object(), {}, std::nullopt, worker_);
  txn.commit();
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
  sqlite::Transaction txn(*db_);
  recover_locked(*db_, s, options_, worker_);
  const std::vector<Trial> all = trials_of(load_records(*db_, s.id));
  const std::optional<Resumption> r = chooser(all);
  std::optional<Trial> t;
  if (r) t = claim_resumption(*db_, s, *r, device, worker_);
  txn.commit();  // also keeps what recovery marked
  return t;
}

void StudyStorage::enqueue_trial(const Study& s, const nlohmann::json& params, const nlohmann::json& attrs) {
  if (!params.is_object()) throw ConfigError("enqueued parameters for study '" + s.name + "' must be a JSON object");
  if (!attrs.is_object()) throw ConfigError("enqueued attrs for study '" + s.name + "' must be a JSON object");
  sqlite::Transaction txn(*db_);
  sqlite::Stmt ins(
      *db_, "INSERT INTO trial_queue (study_id, params, attrs, retry_of, created_at) VALUES (?1, ?2, ?3, NULL, ?4)");
  ins.bind(1, s.id)
      .bind(2, storage_detail::json_text(params, "enqueued params"))
      .bind(3, storage_detail::json_text(attrs, "enqueued attrs"))
      .bind(4, now_s())
      .run();
  txn.commit();
}

int64_t StudyStorage::queued_trials(const Study& s) {
  sqlite::Stmt q(*db_, "SELECT count(*) FROM trial_queue WHERE study_id = ?1");
  q.bind(1, s.id);
  q.step();
  return q.int_at(0);
}

std::vector<Trial> StudyStorage::recover_interrupted(const Study& s) {
  sqlite::Transaction txn(*db_);
  const std::vector<int64_t> ids = recover_locked(*db_, s, options_, worker_);
  std::vector<Trial> out;
  for (int64_t id : ids) {
    if (std::optional<TrialRecord> r = storage_detail::load_record(*db_, id)) out.push_back(r->trial);
  }
  txn.commit();
  return out;
}

}  // namespace gd::tune
