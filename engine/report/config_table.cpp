// Configuration JSON -> settings table (see config_table.h).
#include "engine/report/config_table.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "engine/report/html_table.h"

namespace gd::report {
namespace {

// The shortest decimal that reads back as `v`; values that are exactly a float (settings stored as
// float, e.g. 0.1f = 0.10000000149011612) get the shortest decimal of that float ("0.1").
std::string shortest_number(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "NaN" : (v > 0 ? "inf" : "-inf");
  const bool is_float = static_cast<double>(static_cast<float>(v)) == v;
  char buf[40];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    const double back = std::strtod(buf, nullptr);
    if (is_float ? static_cast<float>(back) == static_cast<float>(v) : back == v) break;
  }
  return buf;
}

void flatten_into(const nlohmann::json& j, const std::string& prefix,
                  std::vector<std::pair<std::string, std::string>>& out) {
  if (j.is_object() && !j.empty()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      flatten_into(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    return;
  }
  std::string value;
  if (j.is_string()) {
    value = j.get<std::string>();
  } else if (j.is_number_float()) {
    value = shortest_number(j.get<double>());
  } else {
    value = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  out.emplace_back(prefix, value);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> flatten_config(const nlohmann::json& j) {
  std::vector<std::pair<std::string, std::string>> out;
  flatten_into(j, "", out);
  return out;
}

std::string config_table(const nlohmann::json& j) {
  HtmlTable t({{"setting"}, {"value", HtmlTable::Align::Left, true}});
  for (const auto& [k, v] : flatten_config(j)) t.add_row({k, v});
  return t.html();
}

}  // namespace gd::report
