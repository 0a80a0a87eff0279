#pragma once
// The study database file: its schema, and opening it safely. A study file is a SQLite database
// in WAL mode whose header carries PRAGMA application_id = kStudyApplicationId and PRAGMA
// user_version = kStudySchemaVersion. open_study_db() creates a missing file atomically and
// refuses (DataError naming the path and the problem) anything else: a directory, an empty file,
// a file that is not SQLite, a SQLite database of another application, a newer schema, a damaged
// database (PRAGMA quick_check), a read-only file or directory.
#include <cstdint>
#include <memory>
#include <string>

#include "engine/tune/sql_conn.h"
#include "engine/tune/sqlite_db.h"

namespace gd::tune {

constexpr int32_t kStudyApplicationId = 0x47445354;  // "GDST" (gpudigits study)
// Version 2 added the workers table (live workers for gpu_tune --list) and trials.claim_token
// (the call that created a trial, to recognise it after a lost COMMIT); a version-1 file or
// database is upgraded in place when opened.
constexpr int kStudySchemaVersion = 2;

// Opens (creating when missing) the study database at `path`, checks it as described above, and
// sets the connection up: busy_timeout = busy_timeout_ms, journal_mode = WAL, synchronous = FULL
// (every commit is fsync'ed to the WAL: durable across power loss, not only process crashes),
// foreign_keys = ON.
std::unique_ptr<sqlite::Db> open_study_db(const std::string& path, int busy_timeout_ms);

// Where a study storage lives: a PostgreSQL URL (postgresql://, postgres://) or a SQLite file path.
// Opens it with the checks of open_study_db or open_pg_study_db. Errors name the file, or the URL
// without its password.
std::unique_ptr<sql::Connection> open_study_connection(const std::string& location, int busy_timeout_ms);

}  // namespace gd::tune
