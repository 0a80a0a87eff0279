// Study database schema (version 1), atomic creation and the checks run at open; see
// study_storage_schema.h. docs/studies.md describes the tables for people inspecting a file.
#include "engine/tune/study_storage_schema.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <sstream>
#include <vector>

#include "engine/core/error.h"
#include "engine/tune/pg_conn.h"
#include "engine/tune/sqlite_conn.h"
#include "engine/tune/study_storage_pg_schema.h"

namespace gd::tune {
namespace {

// Times are unix seconds (REAL); JSON columns hold one JSON document as TEXT.
const char* const kSchemaSql = R"sql(
CREATE TABLE studies (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
  direction   TEXT NOT NULL CHECK (direction IN ('maximize', 'minimize')),
  space       TEXT NOT NULL,            -- JSON: the search space
  config      TEXT NOT NULL,            -- JSON: what the objective is (arch, dataset, epochs cap...)
  created_at  REAL NOT NULL
);
CREATE TABLE study_attrs (
  study_id    INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  key         TEXT NOT NULL,
  value       TEXT NOT NULL,            -- JSON (sampler state, notes, ...)
  PRIMARY KEY (study_id, key)
) WITHOUT ROWID;
CREATE TABLE trials (
  id                 INTEGER PRIMARY KEY,
  study_id           INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  number             INTEGER NOT NULL CHECK (number >= 0),
  state              TEXT NOT NULL CHECK (state IN ('running', 'complete', 'pruned', 'failed')),
  params             TEXT NOT NULL,     -- JSON object
  value              REAL,              -- complete: objective; pruned: last reported value
  fail_reason        TEXT NOT NULL DEFAULT '',
  sampler            TEXT NOT NULL,
  device             TEXT NOT NULL,
  duration_s         REAL NOT NULL DEFAULT 0,  -- summed over every run segment
  attrs              TEXT NOT NULL DEFAULT '{}',  -- JSON object
  worker             TEXT NOT NULL,     -- host:pid of the process that ran it last
  worker_start       INTEGER,           -- that process's start time (clock ticks), to detect pid reuse
  heartbeat_at       REAL NOT NULL,
  started_at         REAL NOT NULL,     -- first handed out
  segment_started_at REAL NOT NULL,     -- current run segment (a promotion starts a new one)
  finished_at        REAL,              -- last time it left the running state
  retry_of           INTEGER UNIQUE REFERENCES trials(id),  -- the interrupted trial this one retries
  UNIQUE (study_id, number)
);
CREATE INDEX trials_by_state ON trials(study_id, state);
CREATE TABLE trial_values (
  trial_id    INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  step        INTEGER NOT NULL,         -- epoch (1-based)
  value       REAL NOT NULL,            -- objective after that epoch
  PRIMARY KEY (trial_id, step)
) WITHOUT ROWID;
CREATE TABLE trial_queue (
  id           INTEGER PRIMARY KEY,     -- handed out in this order, before anything is sampled
  study_id     INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  params       TEXT NOT NULL,           -- JSON object
  attrs        TEXT NOT NULL,           -- JSON object carried over to the new trial
  retry_of     INTEGER UNIQUE REFERENCES trials(id),  -- NULL for a user-enqueued trial
  created_at   REAL NOT NULL
);
)sql";

// Version 2: one row per worker process that joined a study (heartbeat while it lives).
const char* const kUpgradeV2Sql = R"sql(
CREATE TABLE workers (
  id            TEXT PRIMARY KEY,        -- host:pid
  study_id      INTEGER REFERENCES studies(id) ON DELETE CASCADE,
  host          TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  state         TEXT NOT NULL,           -- idle | running | stopped
  trial_id      INTEGER,                 -- the trial it runs now
  started_at    REAL NOT NULL,
  heartbeat_at  REAL NOT NULL
);
-- the next_job call that created a trial, so a call repeated after a lost COMMIT finds it
ALTER TABLE trials ADD COLUMN claim_token TEXT;
CREATE UNIQUE INDEX trials_by_claim ON trials(claim_token);
)sql";

// Tables every version has (later ones are added by upgrade_schema).
const char* const kRequiredTables[] = {"studies", "study_attrs", "trials", "trial_values", "trial_queue"};

std::string errno_text(int err) { return std::strerror(err); }

std::string parent_dir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

// First bytes of a file as a printable preview for error messages.
std::string printable_prefix(const std::string& bytes) {
  std::string out;
  for (char c : bytes) out += (c >= 32 && c < 127) ? c : '.';
  return out;
}

// Rejects what is certainly not a study file before SQLite touches it: SQLite would treat an empty
// file as a new database and report other problems only as "file is not a database".
void check_existing_file(const std::string& path, const struct stat& st) {
  if (S_ISDIR(st.st_mode)) throw DataError("study database '" + path + "' is a directory, not a file");
  if (!S_ISREG(st.st_mode)) throw DataError("study database '" + path + "' is not a regular file");
  if (st.st_size == 0) {
    throw DataError("study database '" + path +
                    "' is an empty file (0 bytes), not a study database; remove it to start a new study there");
  }
  // The header is NOT read here: closing any descriptor of the database file drops every POSIX
  // lock this process's SQLite connections hold on it (another StudyStorage of this process would
  // then look dead to other processes, which may reset the WAL under it). A non-SQLite file is
  // reported from SQLITE_NOTADB instead (not_a_database_error), when no connection can hold it.
  if (::access(path.c_str(), W_OK) != 0) {
    throw DataError("study database '" + path + "' is read-only (" + errno_text(errno) +
                    "); workers must be able to write it");
  }
}

// Message for a file SQLite refused as "not a database": shows its first bytes. Reading them is safe
// here, since no connection of this process can be using a file that is not a database.
DataError not_a_database_error(const std::string& path) {
  static const char kMagic[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f', 'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};
  char header[16] = {};
  ssize_t got = -1;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    got = ::read(fd, header, sizeof(header));
    ::close(fd);
  }
  if (got >= 16 && std::memcmp(header, kMagic, 16) == 0)
    return DataError("study database '" + path + "' is damaged: SQLite refuses it as not a database");
  return DataError("study database '" + path + "' is not a SQLite database (its first bytes are \"" +
                   printable_prefix(std::string(header, static_cast<size_t>(std::max<ssize_t>(got, 0)))) +
                   "\", expected \"SQLite format 3\")");
}

void check_dir_writable(const std::string& path) {
  const std::string dir = parent_dir(path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    throw DataError("cannot use study database '" + path + "': directory '" + dir + "': " + errno_text(errno));
  }
  if (!S_ISDIR(st.st_mode))
    throw DataError("cannot use study database '" + path + "': '" + dir + "' is not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    throw DataError("cannot use study database '" + path + "': directory '" + dir + "' is not writable (" +
                    errno_text(errno) + "); SQLite keeps its -wal and -shm files next to the database");
  }
}

void remove_temp(const std::string& tmp) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((tmp + suffix).c_str());
}

// Builds a complete, empty study database under a temporary name and links it into place, so no
// other process can ever open a half-initialised (or empty) file at `path`. link() fails with
// EEXIST when another worker created the file first: theirs is kept.
void create_study_file(const std::string& path) {
  const std::string tmp = path + ".init-" + std::to_string(static_cast<long>(::getpid()));
  remove_temp(tmp);  // left over by a process with our pid that was killed while creating
  try {
    sqlite::Db db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    {
      sqlite::Transaction txn(db);
      db.exec(kSchemaSql);
      db.exec(kUpgradeV2Sql);
      db.exec("PRAGMA application_id = " + std::to_string(kStudyApplicationId));
      db.exec("PRAGMA user_version = " + std::to_string(kStudySchemaVersion));
      txn.commit();
    }
    // Persistent: recorded in the file header. The last connection's close checkpoints the WAL
    // into the main file and deletes it, so the file linked below is self-contained.
    sqlite::Stmt wal(db, "PRAGMA journal_mode = WAL");
    if (!wal.step() || wal.text_at(0) != "wal") {
      throw DataError("cannot switch new study database '" + path + "' to WAL mode (journal_mode is '" +
                      wal.text_at(0) + "'); is the file system one SQLite supports WAL on?");
    }
  } catch (const sqlite::SqliteError& e) {
    remove_temp(tmp);
    throw DataError("cannot create study database '" + path + "': " + e.what());
  } catch (...) {
    remove_temp(tmp);
    throw;
  }
  const int rc = ::link(tmp.c_str(), path.c_str());
  const int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && err != EEXIST) {
    throw DataError("cannot create study database '" + path + "': " + errno_text(err));
  }
  // Make the new directory entry durable.
  const int dfd = ::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::vector<std::string> table_names(sqlite::Db& db) {
  sqlite::Stmt s(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
  std::vector<std::string> names;
  while (s.step()) names.push_back(s.text_at(0));
  return names;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

// The checks on an opened file; SqliteErrors they raise (SQLITE_NOTADB, SQLITE_CORRUPT, ...) are
// rewritten by the caller into a DataError naming the path.
void check_schema(sqlite::Db& db, const std::string& path) {
  const auto app_id = static_cast<uint32_t>(db.query_int("PRAGMA application_id"));
  if (app_id != static_cast<uint32_t>(kStudyApplicationId)) {
    const std::vector<std::string> tables = table_names(db);
    if (app_id == 0) {
      throw DataError("'" + path + "' is a SQLite database of another application, not a gpudigits study " +
                      "(no application id; tables: " + join(tables) + ")");
    }
    throw DataError("'" + path + "' is a SQLite database of another application, not a gpudigits study " +
                    "(application_id " + hex32(app_id) + ", expected " + hex32(kStudyApplicationId) + ")");
  }
  const int64_t version = db.query_int("PRAGMA user_version");
  if (version > kStudySchemaVersion) {
    throw DataError("study database '" + path + "' has schema version " + std::to_string(version) +
                    ", newer than this build understands (" + std::to_string(kStudySchemaVersion) +
                    "); use a newer gpudigits");
  }
  if (version < 1) {
    throw DataError("study database '" + path + "' has an invalid schema version " + std::to_string(version));
  }
  std::vector<std::string> problems;
  {
    sqlite::Stmt qc(db, "PRAGMA quick_check(5)");
    while (qc.step()) problems.push_back(qc.text_at(0));
  }
  if (problems.size() != 1 || problems[0] != "ok") {
    std::string what;
    for (std::string p : problems) {
      for (char& c : p) c = c == '\n' ? ' ' : c;
      what += (what.empty() ? "" : "; ") + p;
    }
    throw DataError("study database '" + path + "' is damaged (PRAGMA quick_check: " + what + ")");
  }
  const std::vector<std::string> tables = table_names(db);
  for (const char* t : kRequiredTables) {
    bool found = false;
    for (const std::string& n : tables) found |= n == t;
    if (!found)
      throw DataError("study database '" + path + "' lacks the table '" + t + "' (tables: " + join(tables) + ")");
  }
}

// Brings a file of an older schema version up to kStudySchemaVersion in one transaction (another
// process may have upgraded it meanwhile: the version is read again under the write lock).
void upgrade_schema(sqlite::Db& db) {
  if (db.query_int("PRAGMA user_version") >= kStudySchemaVersion) return;
  sqlite::Transaction txn(db);
  const int64_t version = db.query_int("PRAGMA user_version");
  if (version < 2) db.exec(kUpgradeV2Sql);
  if (version < kStudySchemaVersion) db.exec("PRAGMA user_version = " + std::to_string(kStudySchemaVersion));
  txn.commit();
}

}  // namespace

std::unique_ptr<sql::Connection> open_study_connection(const std::string& location, int busy_timeout_ms) {
  if (sql::is_postgres_url(location)) return open_pg_study_db(location);
  return std::make_unique<sql::SqliteConnection>(open_study_db(location, busy_timeout_ms));
}

std::unique_ptr<sqlite::Db> open_study_db(const std::string& path, int busy_timeout_ms) {
  if (path.empty()) throw ConfigError("study database path is empty");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    check_existing_file(path, st);
    check_dir_writable(path);
  } else if (errno == ENOENT) {
    check_dir_writable(path);
    // A -wal file without its database would be replayed into the new one: refuse. (Re-check the
    // database first: another worker may have just created it, with its own live -wal.)
    struct stat wal {};
    if (::stat((path + "-wal").c_str(), &wal) == 0 && ::stat(path.c_str(), &st) != 0) {
      throw DataError("study database '" + path + "' is missing but its write-ahead log '" + path +
                      "-wal' is there; restore the database file, or remove the -wal and -shm files to start anew");
    }
    create_study_file(path);
  } else {
    throw DataError("cannot use study database '" + path + "': " + errno_text(errno));
  }

  std::unique_ptr<sqlite::Db> db;
  try {
    db = std::make_unique<sqlite::Db>(path, SQLITE_OPEN_READWRITE);
    db->set_busy_timeout(busy_timeout_ms);
    if (sqlite3_db_readonly(db->get(), "main") == 1) {
      throw DataError("study database '" + path + "' can only be opened read-only; workers must be able to write it");
    }
    check_schema(*db, path);
    upgrade_schema(*db);
    sqlite::Stmt mode(*db, "PRAGMA journal_mode");
    if (!mode.step() || mode.text_at(0) != "wal") {
      const std::string was = mode.text_at(0);
      sqlite::Stmt set(*db, "PRAGMA journal_mode = WAL");
      if (!set.step() || set.text_at(0) != "wal") {
        throw DataError("study database '" + path + "' is in journal mode '" + was + "' and cannot switch to WAL");
      }
    }
    db->exec("PRAGMA synchronous = FULL");
    db->exec("PRAGMA foreign_keys = ON");
  } catch (const sqlite::SqliteError& e) {
    const int primary = e.code() & 0xff;
    std::string what = e.what();
    if (primary == SQLITE_NOTADB) throw not_a_database_error(path);
    if (primary == SQLITE_CORRUPT) {
      throw DataError("study database '" + path + "' is damaged or not a SQLite database: " + what);
    }
    throw DataError("cannot open study database '" + path + "': " + what);
  }
  return db;
}

}  // namespace gd::tune
