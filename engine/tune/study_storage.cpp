// StudyStorage: opening the file, studies and their attributes, reading trials. Handing out work
// and recovery are in study_storage_jobs.cpp, reports and tells in study_storage_tell.cpp.
#include "engine/tune/study_storage.h"

#include "engine/tune/sqlite_db.h"
#include "engine/tune/study_storage_rows.h"
#include "engine/tune/study_storage_schema.h"

namespace gd::tune {

using storage_detail::find_study_row;
using storage_detail::now_s;

const char* to_string(JobKind k) {
  switch (k) {
    case JobKind::New:
      return "new";
    case JobKind::Retry:
      return "retry";
    case JobKind::Resumed:
      return "resumed";
  }
  return "?";
}

StudyStorage::StudyStorage(const std::string& path, StorageOptions options)
    : path_(path), options_(options), worker_(this_worker()) {
  if (options_.busy_timeout_ms < 0) throw ConfigError("StorageOptions::busy_timeout_ms must be >= 0");
  if (!(options_.heartbeat_grace_s > 0)) throw ConfigError("StorageOptions::heartbeat_grace_s must be > 0");
  if (options_.max_retries < 0) throw ConfigError("StorageOptions::max_retries must be >= 0");
  db_ = open_study_db(path, options_.busy_timeout_ms);
}

StudyStorage::~StudyStorage() = default;

// ---- studies --------------------------------------------------------------------------------------

namespace {

void check_study_args(const std::string& name, const nlohmann::json& space, const nlohmann::json& config) {
  if (name.empty()) throw ConfigError("study name is empty");
  if (!space.is_object()) throw ConfigError("search space of study '" + name + "' must be a JSON object");
  if (!config.is_object()) throw ConfigError("config of study '" + name + "' must be a JSON object");
}

Study insert_study(sqlite::Db& db, const std::string& name, Direction direction, const nlohmann::json& space,
                   const nlohmann::json& config) {
  Study st;
  st.name = name;
  st.direction = direction;
  st.space = space;
  st.config = config;
  st.created_at = now_s();
  sqlite::Stmt s(db, "INSERT INTO studies (name, direction, space, config, created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
  s.bind(1, name)
      .bind(2, to_string(direction))
      .bind(3, storage_detail::json_text(space, "search space of study '" + name + "'"))
      .bind(4, storage_detail::json_text(config, "config of study '" + name + "'"))
      .bind(5, st.created_at);
  s.run();
  st.id = db.last_insert_rowid();
  return st;
}

// The first key (in either document) whose value differs, for error messages.
std::string first_difference(const nlohmann::json& stored, const nlohmann::json& given) {
  for (auto it = stored.begin(); it != stored.end(); ++it) {
    if (!given.contains(it.key()))
      return "'" + it.key() + "' is missing (stored: " + storage_detail::json_preview(it.value()) + ")";
    if (given.at(it.key()) != it.value()) {
      return "'" + it.key() + "' is " + storage_detail::json_preview(given.at(it.key())) +
             " (stored: " + storage_detail::json_preview(it.value()) + ")";
    }
  }
  for (auto it = given.begin(); it != given.end(); ++it) {
    if (!stored.contains(it.key()))
      return "'" + it.key() + "' is new (" + storage_detail::json_preview(it.value()) + ")";
  }
  return "documents differ";
}

}  // namespace

Study StudyStorage::create_study(const std::string& name, Direction direction, const nlohmann::json& space,
                                 const nlohmann::json& config) {
  check_study_args(name, space, config);
  sqlite::Transaction txn(*db_);
  if (find_study_row(*db_, name)) {
    throw ConfigError("study '" + name + "' already exists in '" + path_ + "' (open it, or choose another name)");
  }
  Study st = insert_study(*db_, name, direction, space, config);
  txn.commit();
  return st;
}

Study StudyStorage::open_study(const std::string& name, Direction direction, const nlohmann::json& space,
                               const nlohmann::json& config) {
  check_study_args(name, space, config);
  sqlite::Transaction txn(*db_);
  std::optional<Study> found = find_study_row(*db_, name);
  if (!found) {
    Study st = insert_study(*db_, name, direction, space, config);
    txn.commit();
    return st;
  }
  const std::string where = "study '" + name + "' in '" + path_ + "'";
  if (found->direction != direction) {
    throw ConfigError(where + " was created to " + to_string(found->direction) + " its objective, not to " +
                      to_string(direction) + "; use another study name");
  }
  if (found->space != space) {
    throw ConfigError(where + " has a different search space: " + first_difference(found->space, space) +
                      "; use another study name");
  }
  if (found->config != config) {
    throw ConfigError(where + " has a different objective config: " + first_difference(found->config, config) +
                      "; use another study name");
  }
  txn.commit();
  return *found;
}

std::optional<Study> StudyStorage::find_study(const std::string& name) { return find_study_row(*db_, name); }

Study StudyStorage::load_study(const std::string& name) {
  if (std::optional<Study> s = find_study_row(*db_, name)) return *s;
  std::string names;
  for (const Study& s : studies()) names += (names.empty() ? "" : ", ") + s.name;
  throw ConfigError("no study '" + name + "' in '" + path_ + "' (studies: " + (names.empty() ? "none" : names) + ")");
}

std::vector<Study> StudyStorage::studies() {
  std::vector<std::string> names;
  {
    sqlite::Stmt s(*db_, "SELECT name FROM studies ORDER BY id");
    while (s.step()) names.push_back(s.text_at(0));
  }
  std::vector<Study> out;
  for (const std::string& n : names) {
    if (std::optional<Study> st = find_study_row(*db_, n)) out.push_back(*st);
  }
  return out;
}

void StudyStorage::delete_study(const std::string& name) {
  sqlite::Transaction txn(*db_);
  const Study st = load_study(name);
  // Children first: retry_of references between trials make a plain cascade order-dependent.
  sqlite::Stmt q(*db_, "DELETE FROM trial_queue WHERE study_id = ?1");
  q.bind(1, st.id).run();
  sqlite::Stmt v(*db_, "DELETE FROM trial_values WHERE trial_id IN (SELECT id FROM trials WHERE study_id = ?1)");
  v.bind(1, st.id).run();
  sqlite::Stmt r(*db_, "UPDATE trials SET retry_of = NULL WHERE study_id = ?1");
  r.bind(1, st.id).run();
  sqlite::Stmt t(*db_, "DELETE FROM trials WHERE study_id = ?1");
  t.bind(1, st.id).run();
  sqlite::Stmt a(*db_, "DELETE FROM study_attrs WHERE study_id = ?1");
  a.bind(1, st.id).run();
  sqlite::Stmt s(*db_, "DELETE FROM studies WHERE id = ?1");
  s.bind(1, st.id).run();
  txn.commit();
}

// ---- study attributes -----------------------------------------------------------------------------

void StudyStorage::set_study_attr(const Study& s, const std::string& key, const nlohmann::json& value) {
  if (key.empty()) throw ConfigError("study attribute key is empty (study '" + s.name + "')");
  sqlite::Transaction txn(*db_);
  if (value.is_null()) {
    sqlite::Stmt d(*db_, "DELETE FROM study_attrs WHERE study_id = ?1 AND key = ?2");
    d.bind(1, s.id).bind(2, key).run();
  } else {
    sqlite::Stmt u(*db_,
                   "INSERT INTO study_attrs (study_id, key, value) VALUES (?1, ?2, ?3) "
                   "ON CONFLICT (study_id, key) DO UPDATE SET value = excluded.value");
    u.bind(1, s.id)
        .bind(2, key)
        .bind(3, storage_detail::json_text(value, "attribute '" + key + "' of study '" + s.name + "'"))
        .run();
  }
  txn.commit();
}

std::optional<nlohmann::json> StudyStorage::study_attr(const Study& s, const std::string& key) {
  sqlite::Stmt q(*db_, "SELECT value FROM study_attrs WHERE study_id = ?1 AND key = ?2");
  q.bind(1, s.id).bind(2, key);
  if (!q.step()) return std::nullopt;
  return storage_detail::parse_json_column(path_, q.text_at(0), "attribute '" + key + "' of study '" + s.name + "'");
}

nlohmann::json StudyStorage::study_attrs(const Study& s) {
  nlohmann::json out = nlohmann::json::object();
  sqlite::Stmt q(*db_, "SELECT key, value FROM study_attrs WHERE study_id = ?1 ORDER BY key");
  q.bind(1, s.id);
  while (q.step()) {
    const std::string key = q.text_at(0);
    out[key] =
        storage_detail::parse_json_column(path_, q.text_at(1), "attribute '" + key + "' of study '" + s.name + "'");
  }
  return out;
}

// ---- reading --------------------------------------------------------------------------------------

std::vector<TrialRecord> StudyStorage::trial_records(const Study& s) {
  sqlite::Transaction txn(*db_, sqlite::Transaction::Mode::Deferred);  // one consistent snapshot
  std::vector<TrialRecord> out = storage_detail::load_records(*db_, s.id);
  txn.commit();
  return out;
}

std::vector<Trial> StudyStorage::trials(const Study& s) { return storage_detail::trials_of(trial_records(s)); }

TrialRecord StudyStorage::trial_record(int64_t trial_id) {
  sqlite::Transaction txn(*db_, sqlite::Transaction::Mode::Deferred);
  std::optional<TrialRecord> r = storage_detail::load_record(*db_, trial_id);
  txn.commit();
  if (!r) throw ConfigError("no trial with id " + std::to_string(trial_id) + " in '" + path_ + "'");
  return *r;
}

std::optional<Trial> StudyStorage::best_trial(const Study& s) {
  std::optional<Trial> best;
  for (Trial& t : trials(s)) {
    if (t.state != TrialState::Complete || !t.value) continue;
    if (!best || better(s.direction, *t.value, *best->value)) best = std::move(t);
  }
  return best;
}

}  // namespace gd::tune
