// The parts of pg_conn.h that need no libpq (compiled in every build): recognising a PostgreSQL URL
// and rewriting SQLite-style placeholders.
#include <cctype>
#include <string>

#include "engine/tune/pg_conn.h"

namespace gd::tune::sql {

bool is_postgres_url(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::string postgres_placeholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?' && i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      out.push_back('$');
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace gd::tune::sql
