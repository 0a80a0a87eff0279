// sql::Connection over libpq; see pg_conn.h. (Builds without libpq compile pg_conn_unavailable.cpp instead.)
#include "engine/tune/pg_conn.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <memory>

namespace gd::tune::sql {
namespace {

// Type OIDs of the parameters we send (fixed by PostgreSQL's catalog, pg_type.dat): with them the
// server never has to guess a type from context (e.g. a parameter in an INSERT ... SELECT list).
constexpr Oid kInt8Oid = 20, kFloat8Oid = 701, kTextOid = 25;

std::string trimmed(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) c = c == '\n' ? ' ' : c;
  return s;
}

struct OptionsDeleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

// The parsed parts of a connection string or URL; ConfigError (without the text) when unparsable.
std::unique_ptr<PQconninfoOption, OptionsDeleter> parse_conninfo(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (!opts) {
    const std::string why = err ? trimmed(err) : "out of memory";
    PQfreemem(err);
    throw ConfigError("cannot parse the PostgreSQL URL given as the study storage: " + why);
  }
  return std::unique_ptr<PQconninfoOption, OptionsDeleter>(opts);
}

void silent_notices(void*, const char*) {}

bool connection_lost_state(const std::string& sqlstate) {
  // Class 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect now.
  return sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
}

}  // namespace

std::string pg_display_url(const std::string& url) {
  const auto opts = parse_conninfo(url);
  std::string user, host, hostaddr, port, dbname, sslmode;
  for (PQconninfoOption* o = opts.get(); o->keyword; ++o) {
    if (!o->val) continue;
    const std::string k = o->keyword;
    if (k == "user") user = o->val;
    if (k == "host") host = o->val;
    if (k == "hostaddr") hostaddr = o->val;
    if (k == "port") port = o->val;
    if (k == "dbname") dbname = o->val;
    if (k == "sslmode") sslmode = o->val;
  }
  std::string out = "postgresql://" + (user.empty() ? "" : user + "@");
  std::string query;
  if (host.find('/') != std::string::npos) {
    query = "host=" + host;  // a unix-socket directory
  } else {
    out += host.empty() ? hostaddr : host;
  }
  if (!port.empty()) out += ":" + port;
  out += "/" + dbname;
  if (!sslmode.empty()) query += (query.empty() ? "" : "&") + std::string("sslmode=") + sslmode;
  return query.empty() ? out : out + "?" + query;
}

// ---- PgConnection ---------------------------------------------------------------------------------

struct PgConnection::Result {
  PGresult* r = nullptr;
  explicit Result(PGresult* p) : r(p) {}
  ~Result() { PQclear(r); }
  Result(Result&& o) noexcept : r(o.r) { o.r = nullptr; }
};

PgConnection::PgConnection(const std::string& url) : name_(pg_display_url(url)), owner_(::getpid()) {
  // Earlier keywords are defaults that the URL (expanded from "dbname") overrides.
  const char* keys[] = {"connect_timeout", "application_name", "keepalives_idle", "keepalives_interval",
                        "keepalives_count", "dbname", nullptr};
  const char* vals[] = {"10", "gpudigits", "30", "10", "3", url.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, vals, /*expand_dbname=*/1);
  if (!conn_) throw ConnectionLostError("cannot connect to PostgreSQL '" + name_ + "': out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    const std::string why = trimmed(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    throw ConnectionLostError("cannot connect to PostgreSQL '" + name_ + "': " + why);
  }
  PQsetNoticeProcessor(conn_, silent_notices, nullptr);
}

PgConnection::~PgConnection() {
  if (conn_ && ::getpid() == owner_) PQfinish(conn_);
}

void PgConnection::check_process() const {
  if (::getpid() != owner_) {
    throw Error("PostgreSQL connection to '" + name_ + "' used in process " + std::to_string(::getpid()) +
                ", but it was opened by process " + std::to_string(owner_) +
                ": a connection must not cross fork(); open a new one in the child");
  }
}

PgConnection::Result PgConnection::run(const std::string& sql, const Params& params) {
  check_process();
  std::vector<std::string> texts(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  std::vector<Oid> types(params.size(), 0);
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& v = params[i].v;
    if (const auto* x = std::get_if<int64_t>(&v)) {
      texts[i] = std::to_string(*x);
      types[i] = kInt8Oid;
    } else if (const auto* d = std::get_if<double>(&v)) {
      if (!std::isfinite(*d)) {
        throw SqlError("refusing to store the non-finite value " + std::to_string(*d) + " as parameter " +
                       std::to_string(i + 1) + " of `" + shorten_sql(sql) + "` in '" + name_ + "'");
      }
      texts[i] = double_text(*d);
      types[i] = kFloat8Oid;
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      texts[i] = *s;
      types[i] = kTextOid;
    }
    if (!params[i].is_null()) values[i] = texts[i].c_str();
  }
  // Without parameters: the simple protocol, which also runs several ';'-separated statements.
  Result res(params.empty() ? PQexec(conn_, sql.c_str())
                            : PQexecParams(conn_, postgres_placeholders(sql).c_str(), static_cast<int>(params.size()),
                                           types.data(), values.data(), nullptr, nullptr, 0));
  const ExecStatusType st = res.r ? PQresultStatus(res.r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return res;

  const char* state_field = res.r ? PQresultErrorField(res.r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state_field ? state_field : "";
  const std::string why = trimmed(res.r && *PQresultErrorMessage(res.r) ? PQresultErrorMessage(res.r)
                                                                        : PQerrorMessage(conn_));
  const std::string msg = "PostgreSQL error on '" + name_ + "' in `" + shorten_sql(sql) + "`: " + why +
                          (sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")");
  if (PQstatus(conn_) == CONNECTION_BAD || connection_lost_state(sqlstate)) throw ConnectionLostError(msg);
  if (sqlstate == "40001" || sqlstate == "40P01") throw TransientError(msg);
  throw SqlError(msg);
}

Rows PgConnection::query(const std::string& sql, const Params& params) {
  const Result res = run(sql, params);
  Rows out(sql);
  const int n = PQntuples(res.r), m = PQnfields(res.r);
  for (int i = 0; i < n; ++i) {
    std::vector<Value> cols;
    cols.reserve(static_cast<size_t>(m));
    for (int j = 0; j < m; ++j) {
      if (PQgetisnull(res.r, i, j)) {
        cols.emplace_back();
      } else {
        cols.emplace_back(std::string(PQgetvalue(res.r, i, j), static_cast<size_t>(PQgetlength(res.r, i, j))));
      }
    }
    out.add(std::move(cols));
  }
  return out;
}

int64_t PgConnection::exec(const std::string& sql, const Params& params) {
  const Result res = run(sql, params);
  const char* n = PQcmdTuples(res.r);
  return (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
}

void PgConnection::begin(TxnMode mode) {
  switch (mode) {
    case TxnMode::Write:
      exec("BEGIN");
      break;
    case TxnMode::Read:
      exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      break;
    case TxnMode::WriteNoFlush:
      exec("BEGIN; SET LOCAL synchronous_commit TO off");  // one round trip (simple protocol)
      break;
  }
}

void PgConnection::commit() {
  const Result res = run("COMMIT", {});
  // COMMIT of a transaction the server already aborted "succeeds" with the status ROLLBACK.
  if (std::string(PQcmdStatus(res.r)) == "ROLLBACK") {
    throw SqlError("PostgreSQL rolled back a transaction on '" + name_ + "' instead of committing it");
  }
}

void PgConnection::rollback() noexcept {
  if (!conn_ || ::getpid() != owner_ || PQstatus(conn_) != CONNECTION_OK) return;
  PQclear(PQexec(conn_, "ROLLBACK"));
}

}  // namespace gd::tune::sql
