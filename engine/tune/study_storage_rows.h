#pragma once
// Internal to engine/tune/study_storage*.cpp: reading study and trial rows into structs, JSON
// columns, the clock. Not for use outside the storage implementation.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/tune/sql_conn.h"
#include "engine/tune/study_storage.h"

namespace gd::tune::storage_detail {

// Wall clock, unix seconds.
double now_s();

// Parses a JSON column; DataError naming the database, `what` (e.g. "params of trial 7") and the
// parse error when the text is not JSON.
nlohmann::json parse_json_column(const std::string& db_path, const std::string& text, const std::string& what);

// JSON text to store; ConfigError naming `what` when a string in it is not valid UTF-8.
std::string json_text(const nlohmann::json& j, const std::string& what);
// JSON text for an error message (invalid UTF-8 replaced, never throws).
std::string json_preview(const nlohmann::json& j);

// Every trial of a study ordered by number, with intermediate values ordered by step.
std::vector<TrialRecord> load_records(sql::Connection& db, int64_t study_id);
std::optional<TrialRecord> load_record(sql::Connection& db, int64_t trial_id);

// What one connection has seen of each study's Complete trials, which never change again: a
// worker reading the study before each hand-out fetches only the rest (load_records_cached).
struct StudyRecordCache {
  int64_t max_id = -1;                                  // the largest trial id read so far
  std::unordered_map<int64_t, TrialRecord> complete;    // by id
  std::vector<int64_t> others;                          // ids not complete at the last read
};
struct RecordCaches {
  std::unordered_map<int64_t, StudyRecordCache> by_study;
};

// load_records(db, study_id) through `cache` (PostgreSQL only): reads the trials created since
// the last call, those not complete then, and those not complete now, with their values.
std::vector<TrialRecord> load_records_cached(sql::Connection& db, int64_t study_id, StudyRecordCache& cache);

// `before` (load_records read before the caller took the study lock) brought up to date inside the
// locked transaction by reading only what can differ: trials created since (ids above the largest
// in `before`: on PostgreSQL trials are only inserted under the study lock, so ids grow in commit
// order) and trials that were running or paused (they may have ended or been resumed). Finished
// trials do not change, except a "worker lost" one that a late tell completes: those are read
// again too. The result equals load_records(db, study_id) as far as any sampler can tell, for a
// fraction of its cost under the lock.
std::vector<TrialRecord> refresh_records(sql::Connection& db, int64_t study_id, std::vector<TrialRecord> before);
std::vector<Trial> trials_of(std::vector<TrialRecord> records);

// PostgreSQL: locks the study's row until the transaction ends, so the transactions that hand out
// work (next_job, resume, recovery) run one at a time per study, as BEGIN IMMEDIATE makes them run
// on SQLite. ConfigError when the study no longer exists.
void lock_study(sql::Connection& db, const Study& s);

// " FOR UPDATE" on PostgreSQL (lock the rows read until the transaction ends), "" on SQLite, whose
// write transactions hold the whole file.
const char* for_update(const sql::Connection& db);

// The study row with this name, or nullopt.
std::optional<Study> find_study_row(sql::Connection& db, const std::string& name);

// Inserts a Running trial for `worker` with the next free number of the study, tagged with the
// handing-out call's `claim_token`; returns it as stored (intermediate values are inserted too).
Trial insert_running_trial(sql::Connection& db, int64_t study_id, const nlohmann::json& params, const std::string& sampler,
                           const std::string& device, const nlohmann::json& attrs,
                           const std::vector<std::pair<int, double>>& intermediate, std::optional<int64_t> retry_of,
                           const WorkerIdentity& worker, const std::string& claim_token);

// Applies an RFC 7396 merge patch to `attrs`; ConfigError when the patch is not an object.
void merge_attrs(nlohmann::json& attrs, const nlohmann::json& patch, const std::string& what);

}  // namespace gd::tune::storage_detail
