// Rows, values and helpers shared by both connections; see sql_conn.h.
#include "engine/tune/sql_conn.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

namespace gd::tune::sql {
namespace {

template <typename T>
bool parse_number(const std::string& s, T& out) {
  if constexpr (std::is_same_v<T, double>) {
    // strtod (not from_chars) also reads PostgreSQL's "Infinity"/"NaN" spellings.
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    return !s.empty() && end == s.c_str() + s.size();
  } else {
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  }
}

}  // namespace

const Value& Row::at(size_t col) const {
  if (col >= cols_.size()) {
    throw SqlError("column " + std::to_string(col) + " asked of a row with " + std::to_string(cols_.size()) +
                   " columns from `" + shorten_sql(*source_) + "`");
  }
  return cols_[col];
}

int64_t Row::int_at(size_t col) const {
  const Value& x = at(col);
  if (const auto* i = std::get_if<int64_t>(&x.v)) return *i;
  if (const auto* d = std::get_if<double>(&x.v)) return static_cast<int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&x.v)) {
    int64_t out = 0;
    if (parse_number(*s, out)) return out;
    throw SqlError("column " + std::to_string(col) + " of `" + shorten_sql(*source_) + "` is '" + *s +
                   "', not an integer");
  }
  throw SqlError("column " + std::to_string(col) + " of `" + shorten_sql(*source_) + "` is NULL, not an integer");
}

double Row::double_at(size_t col) const {
  const Value& x = at(col);
  if (const auto* d = std::get_if<double>(&x.v)) return *d;
  if (const auto* i = std::get_if<int64_t>(&x.v)) return static_cast<double>(*i);
  if (const auto* s = std::get_if<std::string>(&x.v)) {
    double out = 0;
    if (parse_number(*s, out)) return out;
    throw SqlError("column " + std::to_string(col) + " of `" + shorten_sql(*source_) + "` is '" + *s +
                   "', not a number");
  }
  throw SqlError("column " + std::to_string(col) + " of `" + shorten_sql(*source_) + "` is NULL, not a number");
}

std::string Row::text_at(size_t col) const {
  const Value& x = at(col);
  if (const auto* s = std::get_if<std::string>(&x.v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&x.v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&x.v)) return double_text(*d);
  return "";
}

std::optional<int64_t> Row::optional_int_at(size_t col) const {
  if (is_null(col)) return std::nullopt;
  return int_at(col);
}

std::optional<double> Row::optional_double_at(size_t col) const {
  if (is_null(col)) return std::nullopt;
  return double_at(col);
}

int64_t Connection::query_int(const std::string& sql, const Params& params) {
  const Rows r = query(sql, params);
  if (r.empty()) throw SqlError("query `" + shorten_sql(sql) + "` on '" + name() + "' returned no row");
  return r[0].int_at(0);
}

std::string shorten_sql(const std::string& sql) {
  std::string out;
  out.reserve(sql.size());
  bool space = false;
  for (char c : sql) {
    const bool ws = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (ws) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  if (out.size() > 300) out = out.substr(0, 297) + "...";
  return out;
}

std::string double_text(double v) {
  char buf[32];
  const auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest exact form
  if (ec != std::errc()) {
    std::snprintf(buf, sizeof(buf), "%.17g", v);
    return buf;
  }
  return std::string(buf, p);
}

}  // namespace gd::tune::sql
