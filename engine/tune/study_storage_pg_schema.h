#pragma once
// The study database on PostgreSQL: the same tables as the SQLite file (study_storage_schema.h),
// in the database the URL names, plus a table gpudigits_meta holding the application name and the
// schema version (kStudySchemaVersion). open_pg_study_db() connects, creates the tables in an empty
// database (several workers may race: an advisory lock lets one create them), upgrades an older
// schema in place, and refuses with one DataError naming the URL (never its password):
// an unreachable server, a refused login, a newer schema version, or a database whose tables
// belong to something else.
#include <memory>
#include <string>

#include "engine/tune/sql_conn.h"

namespace gd::tune {

std::unique_ptr<sql::Connection> open_pg_study_db(const std::string& url);

}  // namespace gd::tune
