// A study's parameters as report axes (see study_params.h).
#include "engine/report/study_params.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>

#include "engine/core/error.h"
#include "engine/tune/search_space.h"

namespace gd::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string num_text(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6g", x == 0.0 ? 0.0 : x);
  return buf;
}

std::string join_values(const std::vector<nlohmann::json>& values) {
  std::string s;
  for (const nlohmann::json& v : values) s += (s.empty() ? "" : ", ") + param_value_text(v);
  return s;
}

std::string condition_text(const tune::ParamSpec& p) {
  std::string s;
  for (const tune::Condition& c : p.when) {
    std::string clause;
    if (!c.is_range()) {
      clause = c.values.size() == 1 ? c.parent + " = " + param_value_text(c.values[0])
                                    : c.parent + " in {" + join_values(c.values) + "}";
    } else if (c.min && c.max) {
      clause = num_text(*c.min) + " <= " + c.parent + " <= " + num_text(*c.max);
    } else if (c.min) {
      clause = c.parent + " >= " + num_text(*c.min);
    } else if (c.max) {
      clause = c.parent + " <= " + num_text(*c.max);
    }
    s += (s.empty() ? "" : " and ") + clause;
  }
  return s;
}

StudyParam from_spec(const tune::ParamSpec& p) {
  StudyParam a;
  a.name = p.name;
  a.description = p.description;
  a.conditional = !p.when.empty();
  a.condition_text = condition_text(p);
  if (p.type == tune::ParamType::Categorical) {
    a.kind = StudyParam::Kind::Categorical;
    a.levels = p.choices;
    a.range_text = "{" + join_values(p.choices) + "}";
    return a;
  }
  a.kind = StudyParam::Kind::Numeric;
  a.log = p.log;
  a.integer = p.type == tune::ParamType::Int;
  a.low = p.low;
  a.high = p.high;
  a.range_text = std::string(a.integer ? "int" : "float") + " [" + num_text(p.low) + ", " + num_text(p.high) + "]";
  if (p.log) a.range_text += ", log";
  if (p.step > 0.0 && !(a.integer && p.step == 1.0)) a.range_text += ", step " + num_text(p.step);
  return a;
}

bool is_plain_number(const nlohmann::json& v) {
  return v.is_number() && std::isfinite(v.get<double>());
}

// Axes inferred from the trials when the space is unreadable (see the header). Linear in the
// number of trials and parameters (levels are deduplicated through a set of their texts).
std::vector<StudyParam> infer_params(const std::vector<tune::Trial>& trials) {
  struct Seen {
    StudyParam p;
    bool all_numeric = true, all_whole = true;
    size_t present = 0;
    std::set<std::string> level_keys;
  };
  std::vector<Seen> seen;
  std::map<std::string, size_t> index;
  for (const tune::Trial& t : trials) {
    if (!t.params.is_object()) continue;
    for (auto it = t.params.begin(); it != t.params.end(); ++it) {
      auto [pos, fresh] = index.emplace(it.key(), seen.size());
      if (fresh) {
        seen.emplace_back();
        seen.back().p.name = it.key();
        seen.back().p.low = std::numeric_limits<double>::infinity();
        seen.back().p.high = -std::numeric_limits<double>::infinity();
      }
      Seen& s = seen[pos->second];
      ++s.present;
      const nlohmann::json& v = it.value();
      if (is_plain_number(v)) {
        const double x = v.get<double>();
        s.p.low = std::min(s.p.low, x);
        s.p.high = std::max(s.p.high, x);
        s.all_whole = s.all_whole && x == std::floor(x);
      } else {
        s.all_numeric = false;
      }
      if (!(v.is_string() || v.is_boolean() || is_plain_number(v))) continue;  // objects, arrays, null: no level
      // Numbers by value (1 and 1.0 are one level), other scalars by their JSON text.
      const std::string key = is_plain_number(v) ? "n" + num_text(v.get<double>()) : "j" + v.dump();
      if (s.level_keys.insert(key).second) s.p.levels.push_back(v);
    }
  }
  std::vector<StudyParam> out;
  for (Seen& s : seen) {
    StudyParam& p = s.p;
    p.conditional = s.present < trials.size();
    if (s.all_numeric && p.low <= p.high) {
      p.kind = StudyParam::Kind::Numeric;
      p.integer = s.all_whole;
      p.levels.clear();
      p.range_text = "observed [" + num_text(p.low) + ", " + num_text(p.high) + "]";
    } else {
      p.kind = StudyParam::Kind::Categorical;
      p.low = p.high = 0.0;
      p.range_text = "observed {" + join_values(p.levels) + "}";
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

StudyParams study_params(const nlohmann::json& space, const std::vector<tune::Trial>& trials) {
  StudyParams out;
  try {
    const tune::SearchSpace s = tune::SearchSpace::from_json(space, "the study's search space");
    out.space_description = s.description();
    for (const tune::ParamSpec& p : s.params()) {
      if (p.type == tune::ParamType::Fixed) out.fixed.push_back({p.name, param_value_text(p.value), condition_text(p)});
      else out.params.push_back(from_spec(p));
    }
  } catch (const Error& e) {
    out.params = infer_params(trials);
    out.source_note = std::string("the stored search space could not be read (") + e.what() +
                      "); parameters, ranges and levels are inferred from the trials";
  }
  return out;
}

std::string param_value_text(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number()) return num_text(v.get<double>());
  return v.dump();
}

std::optional<int> fixed_epochs(const StudyParams& params) {
  for (const FixedParam& f : params.fixed) {
    if (f.name != "epochs") continue;
    char* end = nullptr;
    const long v = std::strtol(f.value_text.c_str(), &end, 10);
    if (end != f.value_text.c_str() && *end == '\0' && v > 0 && v <= 1000000) return static_cast<int>(v);
  }
  return std::nullopt;
}

const nlohmann::json& param_of(const nlohmann::json& params, const std::string& name) {
  static const nlohmann::json kNull;
  if (!params.is_object()) return kNull;
  auto it = params.find(name);
  return it == params.end() ? kNull : *it;
}

int level_index(const StudyParam& p, const nlohmann::json& v) {
  if (v.is_null()) return -1;
  for (size_t k = 0; k < p.levels.size(); ++k)
    if (tune::same_value(p.levels[k], v)) return static_cast<int>(k);
  return -1;
}

double numeric_value(const StudyParam& p, const nlohmann::json& v) {
  if (!is_plain_number(v)) return kNaN;
  const double x = v.get<double>();
  if (p.log && x <= 0.0) return kNaN;
  return x;
}

double axis_position(const StudyParam& p, const nlohmann::json& v) {
  if (p.kind == StudyParam::Kind::Categorical) {
    const int k = level_index(p, v);
    if (k < 0) return kNaN;
    return p.levels.size() == 1 ? 0.5 : static_cast<double>(k) / static_cast<double>(p.levels.size() - 1);
  }
  const double x = numeric_value(p, v);
  if (std::isnan(x)) return kNaN;
  const bool log = p.log && p.low > 0.0;
  const double lo = log ? std::log(p.low) : p.low, hi = log ? std::log(p.high) : p.high;
  if (!(hi > lo)) return 0.5;
  const double u = ((log ? std::log(x) : x) - lo) / (hi - lo);
  return std::clamp(u, 0.0, 1.0);
}

}  // namespace gd::report
