#pragma once
// Thin RAII layer over the sqlite3 C API: a connection (Db), a prepared statement (Stmt) and a
// transaction (Transaction). Every sqlite3 call is checked; a failure throws SqliteError whose
// message names the database file, the SQL text and sqlite3_errmsg(). Nothing here knows about
// studies; engine/tune/study_storage.* builds on it.
//
// Ownership: Db owns the sqlite3 handle and closes it in its destructor; a Stmt must not outlive
// the Db it was prepared on. None of these objects may be shared between threads or carried
// across fork(): open a new Db in each thread or process.
#include <cstdint>
#include <optional>
#include <string>

#include "engine/core/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace gd::tune::sqlite {

// A failed sqlite3 call. `code()` is the extended result code (e.g. SQLITE_BUSY, SQLITE_CORRUPT).
class SqliteError : public DataError {
 public:
  SqliteError(const std::string& msg, int code) : DataError(msg), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class Db {
 public:
  // Opens `path` with sqlite3_open_v2(flags) (SQLITE_OPEN_* flags; SQLITE_OPEN_NOMUTEX is implied:
  // one connection per thread). Throws SqliteError naming the path when the open fails.
  Db(const std::string& path, int flags);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

  // Runs one or more ';'-separated statements that return no rows of interest.
  void exec(const std::string& sql);
  // Runs a single-row, single-column query (PRAGMA user_version, SELECT count(*) ...).
  int64_t query_int(const std::string& sql);
  // Row id of the last successful INSERT, and rows changed by the last INSERT/UPDATE/DELETE.
  int64_t last_insert_rowid() const;
  int changes() const;
  // Milliseconds a writer waits for another connection's lock before SQLITE_BUSY.
  void set_busy_timeout(int ms);
  // Throws SqliteError for result code `rc` of `what` (the SQL or the API call), with errmsg.
  [[noreturn]] void fail(int rc, const std::string& what) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// A prepared statement. Parameters are 1-based (as in sqlite3_bind_*), columns 0-based.
class Stmt {
 public:
  Stmt(Db& db, const std::string& sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  // Doubles must be finite: SQLite stores NaN as NULL, so a NaN would silently vanish.
  Stmt& bind(int i, double v);
  Stmt& bind(int i, const std::string& v);
  Stmt& bind(int i, const char* v) { return bind(i, std::string(v)); }
  Stmt& bind_null(int i);
  Stmt& bind(int i, const std::optional<double>& v) { return v ? bind(i, *v) : bind_null(i); }
  Stmt& bind(int i, const std::optional<int64_t>& v) { return v ? bind(i, *v) : bind_null(i); }

  // Advances: true when a row is available, false when the statement is done.
  bool step();
  // Runs a statement that returns no rows (INSERT/UPDATE/DELETE) to completion.
  void run();
  // Clears bindings and rewinds so the statement can run again.
  void reset();

  bool is_null(int col) const;
  int64_t int_at(int col) const;
  double double_at(int col) const;
  std::string text_at(int col) const;  // "" for NULL
  std::optional<double> optional_double_at(int col) const;
  std::optional<int64_t> optional_int_at(int col) const;

  const std::string& sql() const { return sql_; }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  Db& db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

// BEGIN (DEFERRED or IMMEDIATE) ... COMMIT; rolls back in the destructor unless committed.
// IMMEDIATE takes the write lock at BEGIN (waiting up to the busy timeout), so a read-then-write
// transaction can never deadlock with another writer or act on a stale read.
class Transaction {
 public:
  enum class Mode { Deferred, Immediate };
  explicit Transaction(Db& db, Mode mode = Mode::Immediate);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Db& db_;
  bool open_ = false;
};

}  // namespace gd::tune::sqlite
