// Row <-> struct conversions shared by the study storage implementation; see study_storage_rows.h.
#include "engine/tune/study_storage_rows.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>

namespace gd::tune::storage_detail {
namespace {

const char* const kTrialColumns =
    "id, number, state, params, value, fail_reason, sampler, device, duration_s, attrs, worker, retry_of, "
    "started_at, heartbeat_at, finished_at";

TrialRecord read_record(const sql::Row& s, const std::string& db_path) {
  TrialRecord r;
  Trial& t = r.trial;
  t.id = s.int_at(0);
  t.number = static_cast<int>(s.int_at(1));
  const std::string tag = "trial " + std::to_string(t.number) + " (id " + std::to_string(t.id) + ")";
  try {
    t.state = trial_state_from_string(s.text_at(2));
  } catch (const DataError& e) {
    throw DataError("study database '" + db_path + "': " + tag + ": " + e.what());
  }
  t.params = parse_json_column(db_path, s.text_at(3), "params of " + tag);
  t.value = s.optional_double_at(4);
  t.fail_reason = s.text_at(5);
  t.sampler = s.text_at(6);
  t.device = s.text_at(7);
  t.duration_s = s.double_at(8);
  t.attrs = parse_json_column(db_path, s.text_at(9), "attrs of " + tag);
  r.worker = s.text_at(10);
  r.retry_of = s.optional_int_at(11);
  r.started_at = s.double_at(12);
  r.heartbeat_at = s.double_at(13);
  r.finished_at = s.optional_double_at(14);
  if (!t.params.is_object() || !t.attrs.is_object()) {
    throw DataError("study database '" + db_path + "': params and attrs of " + tag + " must be JSON objects");
  }
  return r;
}

}  // namespace

double now_s() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

nlohmann::json parse_json_column(const std::string& db_path, const std::string& text, const std::string& what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw DataError("study database '" + db_path + "': " + what + " is not valid JSON (" + e.what() + ")");
  }
}

std::string json_text(const nlohmann::json& j, const std::string& what) {
  try {
    return j.dump();
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(what + " cannot be stored: " + e.what());
  }
}

std::string json_preview(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<TrialRecord> load_records(sql::Connection& db, int64_t study_id) {
  std::vector<TrialRecord> out;
  std::unordered_map<int64_t, size_t> index;
  for (const sql::Row& s :
       db.query(std::string("SELECT ") + kTrialColumns + " FROM trials WHERE study_id = ?1 ORDER BY number", {study_id})) {
    out.push_back(read_record(s, db.name()));
    index[out.back().trial.id] = out.size() - 1;
  }
  const sql::Rows values = db.query(
      "SELECT v.trial_id, v.step, v.value FROM trial_values v JOIN trials t ON t.id = v.trial_id "
      "WHERE t.study_id = ?1 ORDER BY v.trial_id, v.step",
      {study_id});
  for (const sql::Row& v : values) {
    const auto it = index.find(v.int_at(0));
    if (it == index.end()) continue;  // cannot happen inside one read transaction
    out[it->second].trial.intermediate.emplace_back(static_cast<int>(v.int_at(1)), v.double_at(2));
  }
  return out;
}

namespace {

std::string id_array(const std::vector<int64_t>& ids) {
  std::string out = "{";
  for (int64_t id : ids) out += (out.size() > 1 ? "," : "") + std::to_string(id);
  return out + "}";
}

// Reads the values of `records` (indexed by id in `index`) appended in step order.
void read_values(sql::Connection& db, const std::vector<int64_t>& ids, std::vector<TrialRecord>& records,
                 const std::unordered_map<int64_t, size_t>& index) {
  if (ids.empty()) return;
  for (const sql::Row& v : db.query("SELECT trial_id, step, value FROM trial_values "
                                    "WHERE trial_id = ANY(CAST(?1 AS BIGINT[])) ORDER BY trial_id, step",
                                    {id_array(ids)})) {
    const auto it = index.find(v.int_at(0));
    if (it != index.end()) records[it->second].trial.intermediate.emplace_back(static_cast<int>(v.int_at(1)), v.double_at(2));
  }
}

}  // namespace

std::vector<TrialRecord> load_records_cached(sql::Connection& db, int64_t study_id, StudyRecordCache& cache) {
  std::vector<TrialRecord> fetched;
  std::unordered_map<int64_t, size_t> index;
  std::vector<int64_t> ids;
  for (const sql::Row& s :
       db.query(std::string("SELECT ") + kTrialColumns +
                    " FROM trials WHERE study_id = ?1 AND (id > ?2 OR state <> 'complete' OR id = ANY(CAST(?3 AS BIGINT[])))",
                {study_id, cache.max_id, id_array(cache.others)})) {
    fetched.push_back(read_record(s, db.name()));
    index[fetched.back().trial.id] = fetched.size() - 1;
    ids.push_back(fetched.back().trial.id);
  }
  read_values(db, ids, fetched, index);
  cache.others.clear();
  std::vector<TrialRecord> out;
  out.reserve(cache.complete.size() + fetched.size());
  for (const auto& [id, r] : cache.complete) out.push_back(r);
  for (TrialRecord& r : fetched) {
    cache.max_id = std::max(cache.max_id, r.trial.id);
    if (r.trial.state == TrialState::Complete) {
      cache.complete.emplace(r.trial.id, r);
    } else {
      cache.others.push_back(r.trial.id);
    }
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const TrialRecord& a, const TrialRecord& b) { return a.trial.number < b.trial.number; });
  return out;
}

std::vector<TrialRecord> refresh_records(sql::Connection& db, int64_t study_id, std::vector<TrialRecord> before) {
  int64_t max_id = -1;
  std::string changing = "{";
  for (const TrialRecord& r : before) {
    max_id = std::max(max_id, r.trial.id);
    const bool may_change = r.trial.state == TrialState::Running || r.trial.state == TrialState::Pruned ||
                            (r.trial.state == TrialState::Failed && r.trial.fail_reason.rfind("worker lost:", 0) == 0);
    if (may_change) changing += (changing.size() > 1 ? "," : "") + std::to_string(r.trial.id);
  }
  changing += "}";
  std::unordered_map<int64_t, size_t> index;
  for (size_t i = 0; i < before.size(); ++i) index[before[i].trial.id] = i;
  std::vector<int64_t> fresh_ids;
  for (const sql::Row& s : db.query(std::string("SELECT ") + kTrialColumns +
                                        " FROM trials WHERE study_id = ?1 AND (id > ?2 OR id = ANY(CAST(?3 AS BIGINT[])))",
                                    {study_id, max_id, changing})) {
    TrialRecord r = read_record(s, db.name());
    fresh_ids.push_back(r.trial.id);
    const auto it = index.find(r.trial.id);
    if (it != index.end()) {
      before[it->second] = std::move(r);
    } else {
      index[r.trial.id] = before.size();
      before.push_back(std::move(r));
    }
  }
  if (!fresh_ids.empty()) {
    std::string ids = "{";
    for (int64_t id : fresh_ids) ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
    ids += "}";
    for (const sql::Row& v : db.query("SELECT trial_id, step, value FROM trial_values "
                                      "WHERE trial_id = ANY(CAST(?1 AS BIGINT[])) ORDER BY trial_id, step",
                                      {ids})) {
      const auto it = index.find(v.int_at(0));
      if (it != index.end()) before[it->second].trial.intermediate.emplace_back(static_cast<int>(v.int_at(1)), v.double_at(2));
    }
  }
  std::sort(before.begin(), before.end(),
            [](const TrialRecord& a, const TrialRecord& b) { return a.trial.number < b.trial.number; });
  return before;
}

std::optional<TrialRecord> load_record(sql::Connection& db, int64_t trial_id) {
  std::optional<TrialRecord> r;
  {
    const sql::Rows s = db.query(std::string("SELECT ") + kTrialColumns + " FROM trials WHERE id = ?1", {trial_id});
    if (s.empty()) return std::nullopt;
    r = read_record(s[0], db.name());
  }
  for (const sql::Row& v : db.query("SELECT step, value FROM trial_values WHERE trial_id = ?1 ORDER BY step", {trial_id}))
    r->trial.intermediate.emplace_back(static_cast<int>(v.int_at(0)), v.double_at(1));
  return r;
}

std::vector<Trial> trials_of(std::vector<TrialRecord> records) {
  std::vector<Trial> out;
  out.reserve(records.size());
  for (TrialRecord& r : records) out.push_back(std::move(r.trial));
  return out;
}

void lock_study(sql::Connection& db, const Study& s) {
  if (db.dialect() != sql::Dialect::Postgres) return;
  // NO KEY UPDATE: other transactions may still insert rows referencing the study (attributes).
  if (db.query("SELECT id FROM studies WHERE id = ?1 FOR NO KEY UPDATE", {s.id}).empty())
    throw ConfigError("study '" + s.name + "' no longer exists in '" + db.name() + "'");
}

const char* for_update(const sql::Connection& db) {
  return db.dialect() == sql::Dialect::Postgres ? " FOR UPDATE" : "";
}

std::optional<Study> find_study_row(sql::Connection& db, const std::string& name) {
  const sql::Rows rows = db.query("SELECT id, name, direction, space, config, created_at FROM studies WHERE name = ?1", {name});
  if (rows.empty()) return std::nullopt;
  const sql::Row& s = rows[0];
  Study st;
  st.id = s.int_at(0);
  st.name = s.text_at(1);
  try {
    st.direction = direction_from_string(s.text_at(2));
  } catch (const ConfigError& e) {
    throw DataError("study database '" + db.name() + "': study '" + name + "': " + e.what());
  }
  st.space = parse_json_column(db.name(), s.text_at(3), "search space of study '" + name + "'");
  st.config = parse_json_column(db.name(), s.text_at(4), "config of study '" + name + "'");
  st.created_at = s.double_at(5);
  return st;
}

Trial insert_running_trial(sql::Connection& db, int64_t study_id, const nlohmann::json& params, const std::string& sampler,
                           const std::string& device, const nlohmann::json& attrs,
                           const std::vector<std::pair<int, double>>& intermediate, std::optional<int64_t> retry_of,
                           const WorkerIdentity& worker, const std::string& claim_token) {
  // The caller's transaction holds the study (lock_study, or SQLite's write lock): numbers are dense.
  const double now = now_s();
  const sql::Rows ins = db.query(
      "INSERT INTO trials (study_id, number, state, params, sampler, device, attrs, worker, "
      "worker_start, heartbeat_at, started_at, segment_started_at, retry_of, claim_token) "
      "VALUES (?1, (SELECT COALESCE(MAX(number) + 1, 0) FROM trials WHERE study_id = ?1), 'running', ?2, ?3, ?4, ?5, "
      "?6, ?7, ?8, ?8, ?8, ?9, ?10) RETURNING id, number",
      {study_id, json_text(params, "params of a new trial"), sampler, device, json_text(attrs, "attrs of a new trial"),
       worker.id(), worker.start_ticks, now, retry_of, claim_token});
  if (ins.empty()) throw DataError("study database '" + db.name() + "': inserting a trial returned no row");
  const int64_t id = ins[0].int_at(0), number = ins[0].int_at(1);
  for (const auto& [step, value] : intermediate)
    db.exec("INSERT INTO trial_values (trial_id, step, value) VALUES (?1, ?2, ?3)", {id, step, value});
  Trial t;
  t.id = id;
  t.number = static_cast<int>(number);
  t.state = TrialState::Running;
  t.params = params;
  t.intermediate = intermediate;
  t.sampler = sampler;
  t.device = device;
  t.attrs = attrs;
  return t;
}

void merge_attrs(nlohmann::json& attrs, const nlohmann::json& patch, const std::string& what) {
  if (patch.is_null()) return;
  if (!patch.is_object()) {
    throw ConfigError("attrs update for " + what + " must be a JSON object (a merge patch), got " +
                      json_preview(patch));
  }
  attrs.merge_patch(patch);
}

}  // namespace gd::tune::storage_detail
