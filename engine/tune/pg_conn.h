#pragma once
// sql::Connection over one PostgreSQL connection (libpq). The URL is anything libpq accepts
// (postgresql://user@host:port/dbname?sslmode=..., postgres://...); the password comes from the URL,
// PGPASSWORD or ~/.pgpass, as libpq finds it, and is never part of a message: name() is the URL
// rebuilt from its parsed parts without the password (pg_display_url).
//
// Write transactions are READ COMMITTED; the study storage takes row locks (SELECT ... FOR UPDATE)
// where it needs exclusion. Errors: see sql_conn.h (ConnectionLostError for SQLSTATE class 08, a
// server shutting down or starting up, or a connection libpq reports as bad; TransientError for
// deadlocks and serialisation failures).
//
// Fork safety: the connection remembers the process that opened it. Used in another process it
// throws instead of talking over the parent's socket, and its destructor there leaves the socket
// alone (PQfinish would send the server a Terminate message on the parent's session).
#include <sys/types.h>

#include <string>

#include "engine/tune/sql_conn.h"

struct pg_conn;

namespace gd::tune::sql {

// True for postgresql:// and postgres:// URLs (what --storage treats as PostgreSQL).
bool is_postgres_url(const std::string& location);

// `url` without its password: postgresql://user@host:port/dbname?sslmode=... rebuilt from libpq's
// parse of it. ConfigError (without the URL) when libpq cannot parse it.
std::string pg_display_url(const std::string& url);

class PgConnection : public Connection {
 public:
  // Connects (connect_timeout 10 s unless the URL sets one). ConnectionLostError naming the
  // display URL and libpq's reason when the server cannot be reached or refuses the login.
  explicit PgConnection(const std::string& url);
  ~PgConnection() override;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Dialect dialect() const override { return Dialect::Postgres; }
  const std::string& name() const override { return name_; }
  Rows query(const std::string& sql, const Params& params = {}) override;
  int64_t exec(const std::string& sql, const Params& params = {}) override;
  void begin(TxnMode mode) override;
  void commit() override;
  void rollback() noexcept override;

 private:
  struct Result;
  Result run(const std::string& sql, const Params& params);
  void check_process() const;

  pg_conn* conn_ = nullptr;
  std::string name_;
  pid_t owner_ = 0;
};

// `sql` with SQLite-style ?N parameters rewritten as $N (outside quoted strings and identifiers).
std::string postgres_placeholders(const std::string& sql);

}  // namespace gd::tune::sql
