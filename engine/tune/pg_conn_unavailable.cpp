// Builds without libpq (configured where libpq-dev is missing, e.g. the lent GPU machine): a
// PostgreSQL study storage is refused with one clear error; SQLite studies work as always.
#include <string>

#include "engine/core/error.h"
#include "engine/tune/pg_conn.h"

namespace gd::tune::sql {
namespace {

[[noreturn]] void unavailable(const std::string& url) {
  throw ConfigError("cannot open the study storage " + url +
                    ": this build of gpudigits has no PostgreSQL support (libpq was not found when it was "
                    "configured; install libpq-dev and rebuild)");
}

}  // namespace

// Without libpq's parser: the URL with any password between "user:" and "@" removed.
std::string pg_display_url(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t at = url.find('@', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos) return url;
  const size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + url.substr(at);
}

PgConnection::PgConnection(const std::string& url) : name_(pg_display_url(url)) { unavailable(name_); }
PgConnection::~PgConnection() = default;
Rows PgConnection::query(const std::string&, const Params&) { unavailable(name_); }
int64_t PgConnection::exec(const std::string&, const Params&) { unavailable(name_); }
void PgConnection::begin(TxnMode) { unavailable(name_); }
void PgConnection::commit() { unavailable(name_); }
void PgConnection::rollback() noexcept {}

}  // namespace gd::tune::sql
