// StudyStorage: opening the storage and retrying lost connections, studies and their attributes,
// reading trials. Handing out work and recovery are in study_storage_jobs.cpp, reports and tells in
// study_storage_tell.cpp, the workers table in study_storage_registry.cpp.
#include "engine/tune/study_storage.h"

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "engine/tune/pg_conn.h"
#include "engine/tune/sql_conn.h"
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

StudyStorage::StudyStorage(const std::string& location, StorageOptions options)
    : location_(location), options_(options), worker_(this_worker()) {
  if (options_.busy_timeout_ms < 0) throw ConfigError("StorageOptions::busy_timeout_ms must be >= 0");
  if (!(options_.heartbeat_grace_s > 0)) throw ConfigError("StorageOptions::heartbeat_grace_s must be > 0");
  if (options_.max_retries < 0) throw ConfigError("StorageOptions::max_retries must be >= 0");
  if (!(options_.reconnect_timeout_s >= 0)) throw ConfigError("StorageOptions::reconnect_timeout_s must be >= 0");
  name_ = sql::is_postgres_url(location) ? sql::pg_display_url(location) : location;
  db_ = open_study_connection(location, options_.busy_timeout_ms);
  caches_ = std::make_unique<storage_detail::RecordCaches>();
}

StudyStorage::~StudyStorage() = default;

std::unique_ptr<StudyStorage> StudyStorage::reopen(const StorageOptions& options) const {
  return std::make_unique<StudyStorage>(location_, options);
}

bool StudyStorage::is_postgres() const { return sql::is_postgres_url(location_); }

void StudyStorage::with_db(const char* what, const std::function<void(sql::Connection&, int)>& body) {
  const double start = now_s();
  double delay = 0.05;
  std::minstd_rand jitter(static_cast<unsigned>(worker_.pid));
  for (int attempt = 0;; ++attempt) {
    try {
      if (!db_) db_ = open_study_connection(location_, options_.busy_timeout_ms);
      body(*db_, attempt);
      if (attempt > 0 && delay > 1.0) std::fprintf(stderr, "study storage '%s': reconnected\n", name_.c_str());
      return;
    } catch (const sql::TransientError& e) {
      if (!is_postgres()) throw;  // SQLite already waited busy_timeout_ms for the lock
      const bool lost = dynamic_cast<const sql::ConnectionLostError*>(&e) != nullptr;
      if (lost) db_.reset();
      const double waited = now_s() - start;
      if (waited > options_.reconnect_timeout_s) {
        char took[64];
        std::snprintf(took, sizeof(took), "%.1f s (reconnect_timeout_s %.1f)", waited, options_.reconnect_timeout_s);
        throw StorageUnavailableError(std::string("study storage '") + name_ + "': " + what + " failed for " + took +
                                      ", giving up: " + e.what());
      }
      // One line per outage (when the backoff first passes a second), not one per attempt.
      if (lost && delay <= 1.0 && delay * 2 > 1.0) {
        std::fprintf(stderr, "study storage '%s': %s failed (%s); retrying for up to %.0f s\n", name_.c_str(), what,
                     e.what(), options_.reconnect_timeout_s);
      }
      const double sleep_s = delay * (0.5 + std::uniform_real_distribution<double>(0.0, 1.0)(jitter));
      std::this_thread::sleep_for(std::chrono::duration<double>(sleep_s));
      delay = std::min(delay * 2, 5.0);
    }
  }
}

// ---- studies --------------------------------------------------------------------------------------

namespace {

void check_study_args(const std::string& name, const nlohmann::json& space, const nlohmann::json& config) {
  if (name.empty()) throw ConfigError("study name is empty");
  if (!space.is_object()) throw ConfigError("search space of study '" + name + "' must be a JSON object");
  if (!config.is_object()) throw ConfigError("config of study '" + name + "' must be a JSON object");
}

Study insert_study(sql::Connection& db, const std::string& name, Direction direction, const nlohmann::json& space,
                   const nlohmann::json& config) {
  Study st;
  st.name = name;
  st.direction = direction;
  st.space = space;
  st.config = config;
  st.created_at = now_s();
  st.id = db.query_int(
      "INSERT INTO studies (name, direction, space, config, created_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
      {name, to_string(direction), storage_detail::json_text(space, "search space of study '" + name + "'"),
       storage_detail::json_text(config, "config of study '" + name + "'"), st.created_at});
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

// Creates the study or returns the stored one when it matches; ConfigError naming what differs.
// PostgreSQL: two workers creating it at once both insert; the loser's unique violation is turned
// into a lookup by retrying under ON CONFLICT DO NOTHING.
Study create_or_match(sql::Connection& db, const std::string& name, Direction direction, const nlohmann::json& space,
                      const nlohmann::json& config) {
  sql::Transaction txn(db);
  if (db.dialect() == sql::Dialect::Postgres) {
    db.exec("INSERT INTO studies (name, direction, space, config, created_at) VALUES (?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT (name) DO NOTHING",
            {name, to_string(direction), storage_detail::json_text(space, "search space of study '" + name + "'"),
             storage_detail::json_text(config, "config of study '" + name + "'"), now_s()});
  }
  std::optional<Study> found = find_study_row(db, name);
  if (!found) {
    Study st = insert_study(db, name, direction, space, config);
    txn.commit();
    return st;
  }
  const std::string where = "study '" + name + "' in '" + db.name() + "'";
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

}  // namespace

Study StudyStorage::create_study(const std::string& name, Direction direction, const nlohmann::json& space,
                                 const nlohmann::json& config) {
  return open_study(name, direction, space, config);
}

Study StudyStorage::open_study(const std::string& name, Direction direction, const nlohmann::json& space,
                               const nlohmann::json& config) {
  check_study_args(name, space, config);
  Study st;
  with_db("open_study", [&](sql::Connection& db, int) { st = create_or_match(db, name, direction, space, config); });
  return st;
}

std::optional<Study> StudyStorage::find_study(const std::string& name) {
  std::optional<Study> s;
  with_db("find_study", [&](sql::Connection& db, int) { s = find_study_row(db, name); });
  return s;
}

Study StudyStorage::load_study(const std::string& name) {
  if (std::optional<Study> s = find_study(name)) return *s;
  std::string names;
  for (const Study& s : studies()) names += (names.empty() ? "" : ", ") + s.name;
  throw ConfigError("no study '" + name + "' in '" + name_ + "' (studies: " + (names.empty() ? "none" : names) + ")");
}

std::vector<Study> StudyStorage::studies() {
  std::vector<Study> out;
  with_db("studies", [&](sql::Connection& db, int) {
    out.clear();
    for (const sql::Row& r : db.query("SELECT name FROM studies ORDER BY id")) {
      if (std::optional<Study> st = find_study_row(db, r.text_at(0))) out.push_back(*st);
    }
  });
  return out;
}

void StudyStorage::delete_study(const std::string& name) {
  const Study st = load_study(name);
  with_db("delete_study", [&](sql::Connection& db, int) {
    sql::Transaction txn(db);
    storage_detail::lock_study(db, st);
    // Children first: retry_of references between trials make a plain cascade order-dependent.
    db.exec("DELETE FROM trial_queue WHERE study_id = ?1", {st.id});
    db.exec("DELETE FROM trial_values WHERE trial_id IN (SELECT id FROM trials WHERE study_id = ?1)", {st.id});
    db.exec("UPDATE trials SET retry_of = NULL WHERE study_id = ?1", {st.id});
    db.exec("DELETE FROM trials WHERE study_id = ?1", {st.id});
    db.exec("DELETE FROM study_attrs WHERE study_id = ?1", {st.id});
    db.exec("DELETE FROM workers WHERE study_id = ?1", {st.id});
    db.exec("DELETE FROM studies WHERE id = ?1", {st.id});
    txn.commit();
    caches_->by_study.erase(st.id);
  });
}

// ---- study attributes -----------------------------------------------------------------------------

void StudyStorage::set_study_attr(const Study& s, const std::string& key, const nlohmann::json& value) {
  if (key.empty()) throw ConfigError("study attribute key is empty (study '" + s.name + "')");
  const std::string text =
      value.is_null() ? "" : storage_detail::json_text(value, "attribute '" + key + "' of study '" + s.name + "'");
  with_db("set_study_attr", [&](sql::Connection& db, int) {
    if (value.is_null()) {
      db.exec("DELETE FROM study_attrs WHERE study_id = ?1 AND key = ?2", {s.id, key});
    } else {
      db.exec("INSERT INTO study_attrs (study_id, key, value) VALUES (?1, ?2, ?3) "
              "ON CONFLICT (study_id, key) DO UPDATE SET value = excluded.value",
              {s.id, key, text});
    }
  });
}

bool StudyStorage::claim_study_attr(const Study& s, const std::string& key, const nlohmann::json& value) {
  if (key.empty()) throw ConfigError("study attribute key is empty (study '" + s.name + "')");
  const std::string text = storage_detail::json_text(value, "attribute '" + key + "' of study '" + s.name + "'");
  bool stored = false;
  with_db("claim_study_attr", [&](sql::Connection& db, int attempt) {
    stored = db.exec("INSERT INTO study_attrs (study_id, key, value) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT (study_id, key) DO NOTHING",
                     {s.id, key, text}) == 1;
    // A retry after a lost COMMIT finds its own value there.
    if (!stored && attempt > 0) {
      const sql::Rows r = db.query("SELECT value FROM study_attrs WHERE study_id = ?1 AND key = ?2", {s.id, key});
      stored = !r.empty() && r[0].text_at(0) == text;
    }
  });
  return stored;
}

std::optional<nlohmann::json> StudyStorage::study_attr(const Study& s, const std::string& key) {
  std::optional<nlohmann::json> out;
  with_db("study_attr", [&](sql::Connection& db, int) {
    const sql::Rows q = db.query("SELECT value FROM study_attrs WHERE study_id = ?1 AND key = ?2", {s.id, key});
    out.reset();
    if (!q.empty())
      out = storage_detail::parse_json_column(name_, q[0].text_at(0), "attribute '" + key + "' of study '" + s.name + "'");
  });
  return out;
}

nlohmann::json StudyStorage::study_attrs(const Study& s) {
  nlohmann::json out = nlohmann::json::object();
  with_db("study_attrs", [&](sql::Connection& db, int) {
    out = nlohmann::json::object();
    for (const sql::Row& q : db.query("SELECT key, value FROM study_attrs WHERE study_id = ?1 ORDER BY key", {s.id})) {
      const std::string key = q.text_at(0);
      out[key] =
          storage_detail::parse_json_column(name_, q.text_at(1), "attribute '" + key + "' of study '" + s.name + "'");
    }
  });
  return out;
}

// ---- reading --------------------------------------------------------------------------------------

std::vector<TrialRecord> StudyStorage::trial_records(const Study& s) {
  std::vector<TrialRecord> out;
  with_db("trial_records", [&](sql::Connection& db, int) {
    sql::Transaction txn(db, sql::Connection::TxnMode::Read);  // one consistent snapshot
    out = storage_detail::load_records(db, s.id);
    txn.commit();
  });
  return out;
}

std::vector<Trial> StudyStorage::trials(const Study& s) { return storage_detail::trials_of(trial_records(s)); }

TrialRecord StudyStorage::trial_record(int64_t trial_id) {
  std::optional<TrialRecord> r;
  with_db("trial_record", [&](sql::Connection& db, int) {
    sql::Transaction txn(db, sql::Connection::TxnMode::Read);
    r = storage_detail::load_record(db, trial_id);
    txn.commit();
  });
  if (!r) throw ConfigError("no trial with id " + std::to_string(trial_id) + " in '" + name_ + "'");
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
