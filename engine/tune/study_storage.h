#pragma once
// Persistent hyperparameter studies, in one SQLite file (worker processes on one machine) or in a
// PostgreSQL database (workers on any number of machines): the location is a file path or a
// postgresql:// (postgres://) URL, and both run the same statements on the same tables
// (sql_conn.h). Each worker opens its own StudyStorage and loops
//   next_job -> (report per epoch, heartbeat) -> tell_complete | tell_pruned | tell_failed.
// Every write is one transaction; once a call returns, its effect is durable (SQLite: WAL with
// synchronous = FULL; PostgreSQL: its commit). The transactions that hand out work hold the study
// (SQLite's write lock, PostgreSQL's row lock on the study), so trial numbers are dense and unique,
// a queued or paused trial goes to exactly one worker, and every proposal sees every trial.
//
// Recovery: a Running trial whose worker is lost (same host and the process is gone, or its
// heartbeat is older than StorageOptions::heartbeat_grace_s, on any host) is marked Failed with
// the reason "worker lost: worker <host:pid> stopped without finishing (...)" and, unless the
// study attribute "worker_lost" is "fail", a retry with the same parameters (and its attrs and
// intermediate values, so it can resume from the checkpoint named there) is queued; the next
// next_job/ask hands it out before anything new is sampled. Recovery runs inside every
// next_job/ask and on demand (recover_interrupted), by whichever worker comes first.
//
// Lost connections (PostgreSQL): every call reconnects and runs its transaction again, with
// backoff, for up to StorageOptions::reconnect_timeout_s (a server restart is survived); a tell
// whose COMMIT went through before the connection dropped is recognised, not told twice.
// Connection errors name the URL without its password (path()).
//
// Attrs updates are JSON merge patches (RFC 7396): keys in the patch replace the trial's keys, a
// null value deletes the key, other keys are kept.
//
// A StudyStorage is one connection: use it from one thread, and never across fork() (open a new
// one in the child, e.g. with reopen()). The tables are described in docs/studies.md.
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/tune/study_storage_worker.h"
#include "engine/tune/trial.h"

namespace gd::tune {

namespace sql {
class Connection;
}
namespace storage_detail {
struct RecordCaches;
}

struct Study {
  int64_t id = -1;
  std::string name;
  Direction direction = Direction::Maximize;
  nlohmann::json space = nlohmann::json::object();   // the search space document
  nlohmann::json config = nlohmann::json::object();  // what the objective is (arch, dataset, epochs cap)
  double created_at = 0.0;                           // unix seconds
};

// A trial plus the bookkeeping only the storage keeps.
struct TrialRecord {
  Trial trial;
  std::string worker;                 // "host:pid" of the process that ran it last
  std::optional<int64_t> retry_of;    // id of the lost trial this one retries
  double started_at = 0.0;            // unix seconds: first handed out
  double heartbeat_at = 0.0;          // unix seconds: last sign of life from its worker
  std::optional<double> finished_at;  // unix seconds: last time it stopped running
};

// A paused (Pruned) trial to run again, chosen by a resumer (e.g. AshaPruner::resumer): the
// storage marks it Running for this worker and applies `attrs_patch`.
struct Resumption {
  int64_t trial_id = -1;
  nlohmann::json attrs_patch = nlohmann::json::object();
};

// Called inside the transaction that hands the work out, with every trial of the study (running
// ones included, with their intermediate values), so concurrent workers always see each other's
// work. Must not call back into the storage.
using ProposeFn = std::function<nlohmann::json(const std::vector<Trial>& all_trials)>;
using ResumeFn = std::function<std::optional<Resumption>(const std::vector<Trial>& all_trials)>;

struct JobRequest {
  ProposeFn propose;    // required: parameters (a JSON object) of a new trial
  ResumeFn resume;      // optional: a paused trial to resume, asked before proposing
  std::string sampler;  // recorded on new trials ("random", "tpe", ...)
  std::string device;   // recorded on every trial handed out ("cpu", "cuda:0")
};

enum class JobKind {
  New,      // proposed now (or enqueued by enqueue_trial)
  Retry,    // retries a trial whose worker died; Job::retry_of names it
  Resumed,  // a paused trial chosen by JobRequest::resume, Running again
};
const char* to_string(JobKind k);

struct Job {
  JobKind kind = JobKind::New;
  Trial trial;                      // state Running, owned by this worker
  std::optional<int64_t> retry_of;  // Retry: the lost trial's id
};

struct StorageOptions {
  int busy_timeout_ms = 60000;       // SQLite: how long a writer waits for another process's lock
  double heartbeat_grace_s = 600.0;  // a Running trial with an older heartbeat is lost
  int max_retries = 3;               // a lost trial is retried at most this many times
  double reconnect_timeout_s = 600;  // PostgreSQL: how long a call retries a lost connection
};

// A worker process as it registered with a study (gpu_tune --list shows the live ones).
struct WorkerRecord {
  std::string id;     // host:pid
  std::string host;
  long pid = 0;
  std::string state;  // "idle", "running", "stopped"
  std::optional<int> trial_number;  // the trial it runs now
  double started_at = 0.0, heartbeat_at = 0.0;  // unix seconds
};

// Thrown by report/tell_*/when the trial is no longer Running for this worker (recovery gave it to
// someone else after a missed heartbeat, or it was already told).
class TrialLostError : public Error {
 public:
  using Error::Error;
};

// The PostgreSQL server stayed unreachable for StorageOptions::reconnect_timeout_s.
class StorageUnavailableError : public DataError {
 public:
  using DataError::DataError;
};

class StudyStorage {
 public:
  // Opens (creating the schema when missing) the study file or PostgreSQL database at `location`
  // (see open_study_connection in study_storage_schema.h for the checks: DataError naming the path,
  // or the URL without its password, for anything that is not a healthy study database of a
  // schema version this build reads; no retries here, so a wrong URL fails at once).
  explicit StudyStorage(const std::string& location, StorageOptions options = {});
  ~StudyStorage();
  StudyStorage(const StudyStorage&) = delete;
  StudyStorage& operator=(const StudyStorage&) = delete;
  // A new connection to the same location (for another thread or process), with these options.
  std::unique_ptr<StudyStorage> reopen() const { return reopen(options_); }
  std::unique_ptr<StudyStorage> reopen(const StorageOptions& options) const;

  // The location as shown to people: the file path, or the URL without its password.
  const std::string& path() const { return name_; }
  bool is_postgres() const;
  const StorageOptions& options() const { return options_; }
  const WorkerIdentity& worker() const { return worker_; }  // this process, as recorded on trials

  // ---- studies ----
  // ConfigError when a study of that name exists with another direction, space or config (one that
  // exists with the same ones is returned, so workers started together may all create it).
  // `space` and `config` must be JSON objects.
  Study create_study(const std::string& name, Direction direction, const nlohmann::json& space,
                     const nlohmann::json& config);
  // Creates the study, or loads it when it exists; re-opening with another direction, search space
  // or objective config is a ConfigError naming what differs (use a new study name instead).
  Study open_study(const std::string& name, Direction direction, const nlohmann::json& space,
                   const nlohmann::json& config);
  std::optional<Study> find_study(const std::string& name);
  Study load_study(const std::string& name);  // ConfigError listing the existing studies if missing
  std::vector<Study> studies();
  // Removes the study with all its trials, values and attributes.
  void delete_study(const std::string& name);

  // Study attributes: small JSON values (a sampler's state, notes). A null value deletes the key.
  void set_study_attr(const Study& s, const std::string& key, const nlohmann::json& value);
  std::optional<nlohmann::json> study_attr(const Study& s, const std::string& key);
  nlohmann::json study_attrs(const Study& s);  // object key -> value
  // Stores `value` under `key` only when the key is absent; true when this call stored it (one
  // worker of many wins, e.g. the one that retrains the final model).
  bool claim_study_attr(const Study& s, const std::string& key, const nlohmann::json& value);

  // ---- workers ----
  // Records this process as a worker of the study: its state and the trial it runs (upsert).
  void beat_worker(const Study& s, const std::string& state, std::optional<int64_t> trial_id = std::nullopt);
  // Workers of the study that beat within `within_s` seconds and have not stopped, by id.
  std::vector<WorkerRecord> live_workers(const Study& s, double within_s);

  // ---- handing out work ----
  // In one transaction holding the study: recover lost trials, then hand out (in this order) the
  // oldest queued trial (a retry or an enqueued one), a trial chosen by request.resume, or a new
  // trial with request.propose's parameters and the next number. Two workers can never get the
  // same trial or proposals made without seeing each other's. On PostgreSQL the commit does not
  // wait for the disk (the study lock is released sooner): the hand-out is durable once this
  // worker's next write (e.g. its first heartbeat()) returns; a server crash before that forgets
  // it, and the worker's next call on the trial says so (false / TrialLostError).
  Job next_job(const Study& s, const JobRequest& request);
  // next_job without resumptions; returns the trial handed out.
  Trial ask(const Study& s, const ProposeFn& propose, const std::string& sampler, const std::string& device);
  // Claims only a resumption (no queue, no new trial): nullopt when `chooser` picks none.
  std::optional<Trial> resume(const Study& s, const ResumeFn& chooser, const std::string& device);
  // Queues a trial with fixed parameters, handed out before anything is sampled (FIFO).
  void enqueue_trial(const Study& s, const nlohmann::json& params,
                     const nlohmann::json& attrs = nlohmann::json::object());
  int64_t queued_trials(const Study& s);

  // ---- while a trial runs (this worker's Running trial, else TrialLostError) ----
  // Records the objective after epoch `step` (replacing a value already there, as after a resume
  // from an earlier checkpoint), refreshes the heartbeat, and appends to trial.intermediate.
  // A non-finite value ends the trial as Failed ("diverged: ...") and throws NumericError.
  void report(Trial& trial, int step, double value);
  // Refreshes the heartbeat. false when the trial is no longer Running for this worker.
  bool heartbeat(const Trial& trial);

  // ---- ending a run segment ----
  // Complete with `value`; a non-finite value makes it Failed instead. Returns the state recorded.
  TrialState tell_complete(Trial& trial, double value, const nlohmann::json& attrs_patch = nlohmann::json::object());
  // Pruned (stopped by the median rule, or paused at an ASHA rung) after `step` with `value`,
  // which is also recorded as the intermediate value of that step. Non-finite -> Failed.
  TrialState tell_pruned(Trial& trial, int step, double value,
                         const nlohmann::json& attrs_patch = nlohmann::json::object());
  // Failed with `reason` (non-empty). The study goes on.
  void tell_failed(Trial& trial, const std::string& reason,
                   const nlohmann::json& attrs_patch = nlohmann::json::object());
  // What the three above store, for the trial as run by worker `worker_id` (this process's id, or
  // a former worker's whose finished result was kept on disk: pending_results.h). `step` records
  // `value` as the intermediate value of that step too (pruned). Accepted while the trial is
  // Running for that worker, or Failed as "worker lost" (recovery gave up on a worker that was in
  // fact finishing: the result is kept and its queued retry withdrawn); TrialLostError otherwise.
  void tell_for(const std::string& worker_id, Trial& trial, TrialState state, std::optional<double> value,
                const std::string& reason, const nlohmann::json& attrs_patch, std::optional<int> step);

  // Marks the study's Running trials of lost workers Failed and queues their retries (see the top
  // of this file). Returns the trials it marked, as they are now.
  std::vector<Trial> recover_interrupted(const Study& s);

  // ---- reading ----
  std::vector<Trial> trials(const Study& s);  // by number, with intermediate values
  std::vector<TrialRecord> trial_records(const Study& s);
  TrialRecord trial_record(int64_t trial_id);  // ConfigError when there is no such trial
  // Best Complete trial (ties: lowest number), or nullopt.
  std::optional<Trial> best_trial(const Study& s);

 private:
  // Runs `body(connection, attempt)`; on PostgreSQL, reconnects and runs it again (attempt 1, 2...)
  // after a lost connection or a transient conflict, with backoff, for up to reconnect_timeout_s.
  void with_db(const char* what, const std::function<void(sql::Connection&, int)>& body);

  std::unique_ptr<sql::Connection> db_;
  std::unique_ptr<storage_detail::RecordCaches> caches_;  // PostgreSQL: complete trials seen
  std::string location_;  // as given (a URL may hold the password): never shown
  std::string name_;      // as shown
  StorageOptions options_;
  WorkerIdentity worker_;
};

}  // namespace gd::tune
