#pragma once
// The SQL connection the study storage runs on: one interface, two implementations (SQLite in
// sqlite_conn.*, PostgreSQL over libpq in pg_conn.*). Statements are written once, in the SQL both
// databases accept, with numbered parameters ?1, ?2, ... (PostgreSQL's $1, $2 are substituted by
// its implementation). Results are read whole into Rows.
//
// Errors: a failed statement throws sql::SqlError (a DataError) naming the database (a file path,
// or a PostgreSQL URL WITHOUT its password), the statement and the database's message. A lost
// connection (server gone, restarted, network down) throws sql::ConnectionLostError, and a
// transaction the server aborted to break a deadlock or a serialisation conflict throws
// sql::TransientError: both mean "nothing of this transaction was kept (or, for a lost COMMIT,
// possibly all of it); open a new connection and run it again" (see StudyStorage's retries).
//
// A Connection is not thread-safe and must never be used across fork(): open one per thread
// and per process.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/core/error.h"

namespace gd::tune::sql {

class SqlError : public DataError {
 public:
  using DataError::DataError;
};
// The server aborted the transaction to resolve a conflict (deadlock, serialisation failure).
class TransientError : public SqlError {
 public:
  using SqlError::SqlError;
};
// The connection is gone (or the server is shutting down or starting up).
class ConnectionLostError : public TransientError {
 public:
  using TransientError::TransientError;
};

enum class Dialect { Sqlite, Postgres };

// A statement parameter or a result value. Doubles must be finite (SQLite would store NaN as NULL,
// PostgreSQL as a NaN no comparison finds): binding a non-finite one is a SqlError.
struct Value {
  std::variant<std::monostate, int64_t, double, std::string> v;
  Value() = default;
  Value(std::nullopt_t) {}
  Value(int64_t x) : v(x) {}
  Value(int x) : v(static_cast<int64_t>(x)) {}
  Value(long long x) : v(static_cast<int64_t>(x)) {}
  Value(double x) : v(x) {}
  Value(std::string x) : v(std::move(x)) {}
  Value(const char* x) : v(std::string(x)) {}
  template <typename T>
  Value(const std::optional<T>& x) {
    if (x) *this = Value(*x);
  }
  bool is_null() const { return std::holds_alternative<std::monostate>(v); }
};
using Params = std::vector<Value>;

// One result row. PostgreSQL returns text, SQLite typed values: the accessors convert either way
// and throw SqlError (naming `source`) when a value is not what was asked for.
class Row {
 public:
  Row(std::vector<Value> cols, const std::string* source) : cols_(std::move(cols)), source_(source) {}
  size_t size() const { return cols_.size(); }
  bool is_null(size_t col) const { return at(col).is_null(); }
  int64_t int_at(size_t col) const;
  double double_at(size_t col) const;
  std::string text_at(size_t col) const;  // "" for NULL
  std::optional<int64_t> optional_int_at(size_t col) const;
  std::optional<double> optional_double_at(size_t col) const;

 private:
  const Value& at(size_t col) const;
  std::vector<Value> cols_;
  const std::string* source_;  // the statement, for error messages (owned by Rows)
};

class Rows {
 public:
  Rows() : sql_(std::make_unique<std::string>()) {}
  explicit Rows(std::string sql) : sql_(std::make_unique<std::string>(std::move(sql))) {}
  void add(std::vector<Value> cols) { rows_.emplace_back(std::move(cols), sql_.get()); }
  bool empty() const { return rows_.empty(); }
  size_t size() const { return rows_.size(); }
  const Row& operator[](size_t i) const { return rows_.at(i); }
  std::vector<Row>::const_iterator begin() const { return rows_.begin(); }
  std::vector<Row>::const_iterator end() const { return rows_.end(); }

 private:
  std::unique_ptr<std::string> sql_;
  std::vector<Row> rows_;
};

class Connection {
 public:
  enum class TxnMode {
    Write,  // SQLite: BEGIN IMMEDIATE (the file's write lock); PostgreSQL: BEGIN (READ COMMITTED)
    Read,   // one consistent snapshot: SQLite BEGIN DEFERRED; PostgreSQL REPEATABLE READ, READ ONLY
    // Write, but PostgreSQL's COMMIT returns before its WAL reaches the disk (synchronous_commit
    // off for this transaction): it is durable once any later synchronous commit of the server
    // returns, e.g. this session's next write. Only a server crash in between forgets it. SQLite:
    // as Write.
    WriteNoFlush,
  };
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // The database as shown to people: the file path, or the URL without its password.
  virtual const std::string& name() const = 0;
  // Runs one statement and returns its rows (none for INSERT/UPDATE/DELETE without RETURNING).
  virtual Rows query(const std::string& sql, const Params& params = {}) = 0;
  // Runs one statement that returns no rows; returns the number of rows it changed.
  virtual int64_t exec(const std::string& sql, const Params& params = {}) = 0;
  virtual void begin(TxnMode mode) = 0;
  virtual void commit() = 0;
  // Best effort, never throws (used while unwinding).
  virtual void rollback() noexcept = 0;

  // Convenience: the single value of a one-row, one-column query (SqlError when there is no row).
  int64_t query_int(const std::string& sql, const Params& params = {});
};

// begin() ... commit(); rolls back in the destructor unless committed.
class Transaction {
 public:
  explicit Transaction(Connection& c, Connection::TxnMode mode = Connection::TxnMode::Write) : c_(c) {
    c_.begin(mode);
    open_ = true;
  }
  ~Transaction() {
    if (open_) c_.rollback();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    open_ = false;  // a failed COMMIT leaves nothing to roll back
    c_.commit();
  }

 private:
  Connection& c_;
  bool open_ = false;
};

// SQL for error messages: whitespace collapsed, at most ~300 characters.
std::string shorten_sql(const std::string& sql);

// The text a double is sent as: shortest round-trip form (every bit survives).
std::string double_text(double v);

}  // namespace gd::tune::sql
