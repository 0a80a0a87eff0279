#pragma once
// A run configuration (any JSON object, e.g. config.json) as a two-column table of settings.
// Nested objects are flattened into dotted keys ("optimizer.lr"); arrays and scalars are shown as
// compact JSON (strings without quotes); keys appear in the object's order (sorted by name for
// nlohmann::json). Everything is escaped.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace gd::report {

// (dotted key, display value) pairs of a JSON value; a non-object top level gives one pair with
// an empty key.
std::vector<std::pair<std::string, std::string>> flatten_config(const nlohmann::json& j);

std::string config_table(const nlohmann::json& j);

}  // namespace gd::report
