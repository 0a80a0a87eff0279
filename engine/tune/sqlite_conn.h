#pragma once
// sql::Connection over one SQLite connection (engine/tune/sqlite_db.h). Write transactions are
// BEGIN IMMEDIATE: writers queue up behind the file's lock (busy timeout) instead of deadlocking
// on a lock upgrade, so a read-then-write transaction never acts on a stale read.
#include <memory>

#include "engine/tune/sql_conn.h"
#include "engine/tune/sqlite_db.h"

namespace gd::tune::sql {

class SqliteConnection : public Connection {
 public:
  explicit SqliteConnection(std::unique_ptr<sqlite::Db> db);
  Dialect dialect() const override { return Dialect::Sqlite; }
  const std::string& name() const override { return db_->path(); }
  Rows query(const std::string& sql, const Params& params = {}) override;
  int64_t exec(const std::string& sql, const Params& params = {}) override;
  void begin(TxnMode mode) override;
  void commit() override;
  void rollback() noexcept override;
  sqlite::Db& db() { return *db_; }

 private:
  std::unique_ptr<sqlite::Db> db_;
};

}  // namespace gd::tune::sql
