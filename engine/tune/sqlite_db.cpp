// RAII wrappers over the sqlite3 C API; see sqlite_db.h.
#include "engine/tune/sqlite_db.h"

#include <sqlite3.h>

#include <cmath>

#include "engine/tune/sql_conn.h"

namespace gd::tune::sqlite {

using sql::shorten_sql;  // SQL shown in error messages (sql_conn.h)

// ---- Db -------------------------------------------------------------------------------------------

Db::Db(const std::string& path, int flags) : path_(path) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteError("cannot open SQLite database '" + path + "': " + msg, rc);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Db::~Db() {
  // sqlite3_close_v2 defers the close until every statement is finalised, so it cannot fail on
  // a statement leaked by an exception path; the RAII Stmt finalises them anyway.
  if (db_) sqlite3_close_v2(db_);
}

void Db::fail(int rc, const std::string& what) const {
  const char* msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  throw SqliteError(
      "SQLite error on '" + path_ + "' in `" + shorten_sql(what) + "`: " + msg + " (code " + std::to_string(rc) + ")",
      rc);
}

void Db::exec(const std::string& sql) {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, sql);
}

int64_t Db::query_int(const std::string& sql) {
  Stmt s(*this, sql);
  if (!s.step())
    throw SqliteError("SQLite query `" + shorten_sql(sql) + "` on '" + path_ + "' returned no row", SQLITE_ERROR);
  return s.int_at(0);
}

int64_t Db::last_insert_rowid() const { return static_cast<int64_t>(sqlite3_last_insert_rowid(db_)); }

int Db::changes() const { return sqlite3_changes(db_); }

void Db::set_busy_timeout(int ms) {
  const int rc = sqlite3_busy_timeout(db_, ms);
  if (rc != SQLITE_OK) fail(rc, "sqlite3_busy_timeout");
}

// ---- Stmt -----------------------------------------------------------------------------------------

Stmt::Stmt(Db& db, const std::string& sql) : db_(db), sql_(sql) {
  const int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), static_cast<int>(sql.size()) + 1, &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    db_.fail(rc, sql);
  }
  if (!stmt_) db_.fail(SQLITE_MISUSE, sql + " (empty statement)");
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt& Stmt::bind(int i, int64_t v) {
  const int rc = sqlite3_bind_int64(stmt_, i, static_cast<sqlite3_int64>(v));
  if (rc != SQLITE_OK) db_.fail(rc, sql_);
  return *this;
}

Stmt& Stmt::bind(int i, double v) {
  if (!std::isfinite(v)) {
    throw SqliteError("refusing to store the non-finite value " + std::to_string(v) + " as parameter " +
                          std::to_string(i) + " of `" + shorten_sql(sql_) + "` in '" + db_.path() + "'",
                      SQLITE_MISMATCH);
  }
  const int rc = sqlite3_bind_double(stmt_, i, v);
  if (rc != SQLITE_OK) db_.fail(rc, sql_);
  return *this;
}

Stmt& Stmt::bind(int i, const std::string& v) {
  const int rc = sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_.fail(rc, sql_);
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  const int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK) db_.fail(rc, sql_);
  return *this;
}

bool Stmt::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail(rc, sql_);
}

void Stmt::run() {
  while (step()) {
  }
}

void Stmt::reset() {
  sqlite3_reset(stmt_);  // returns the last step's error, which step() has already reported
  const int rc = sqlite3_clear_bindings(stmt_);
  if (rc != SQLITE_OK) db_.fail(rc, sql_);
}

bool Stmt::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

int64_t Stmt::int_at(int col) const { return static_cast<int64_t>(sqlite3_column_int64(stmt_, col)); }

double Stmt::double_at(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Stmt::text_at(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (!p) return "";
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<double> Stmt::optional_double_at(int col) const {
  if (is_null(col)) return std::nullopt;
  return double_at(col);
}

std::optional<int64_t> Stmt::optional_int_at(int col) const {
  if (is_null(col)) return std::nullopt;
  return int_at(col);
}

// ---- Transaction ----------------------------------------------------------------------------------

Transaction::Transaction(Db& db, Mode mode) : db_(db) {
  db_.exec(mode == Mode::Immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  open_ = true;
}

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);  // best effort while unwinding
}

void Transaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

}  // namespace gd::tune::sqlite
