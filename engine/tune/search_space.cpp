// SearchSpace: semantic validation of the parameter list, activity of conditional parameters,
// params checks, canonical keys, unit encodings and enumeration (search_space.h). Parsing of the
// TOML and JSON forms lives in search_space_parse.cpp.
#include "engine/tune/search_space.h"

#include <cmath>
#include <utility>
#include <sstream>

#include "engine/core/error.h"
#include "engine/ops/activation.h"
#include "engine/optim/init.h"
#include "engine/optim/optimizer.h"
#include "engine/optim/schedule.h"
#include "engine/tune/space_error_site.h"

namespace gd::tune {

namespace {

constexpr double kMaxExactInt = 9007199254740992.0;  // 2^53: larger ints lose precision as doubles

using Site = detail::SpaceErrorSite;

bool is_whole(double x) { return std::isfinite(x) && x == std::floor(x) && std::fabs(x) <= kMaxExactInt; }

bool is_scalar(const nlohmann::json& v) {
  return v.is_string() || v.is_boolean() || (v.is_number() && std::isfinite(v.get<double>()));
}

std::string num(double x) {
  std::ostringstream os;
  os.precision(10);
  os << x;
  return os.str();
}

void check_name(const Site& site, size_t i, const std::string& name) {
  if (name.empty()) site.fail(i, name, "", "the name is empty");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) site.fail(i, name, "", "the name may only contain letters, digits, '_', '-' and '.'");
  }
}

void check_numeric(const Site& site, size_t i, const ParamSpec& p) {
  const bool is_int = p.type == ParamType::Int;
  if (!std::isfinite(p.low)) site.fail(i, p.name, "low", "must be a finite number, got " + num(p.low));
  if (!std::isfinite(p.high)) site.fail(i, p.name, "high", "must be a finite number, got " + num(p.high));
  if (is_int && !is_whole(p.low)) site.fail(i, p.name, "low", "must be an integer (|x| <= 2^53), got " + num(p.low));
  if (is_int && !is_whole(p.high)) site.fail(i, p.name, "high", "must be an integer (|x| <= 2^53), got " + num(p.high));
  if (p.low >= p.high) {
    site.fail(i, p.name, "high",
              "low (" + num(p.low) + ") must be less than high (" + num(p.high) + "); use type = \"fixed\" for a constant");
  }
  if (is_int) {
    if (!is_whole(p.step) || p.step < 1) site.fail(i, p.name, "step", "must be an integer >= 1, got " + num(p.step));
  } else if (!(p.step >= 0.0) || !std::isfinite(p.step)) {
    site.fail(i, p.name, "step", "must be a positive number, got " + num(p.step));
  }
  if (p.log) {
    if (p.low <= 0.0) {
      site.fail(i, p.name, "log", "log = true needs low > 0, got low = " + num(p.low));
    }
    if (is_int && p.step != 1.0) site.fail(i, p.name, "step", "log = true cannot be combined with step " + num(p.step));
    if (!is_int && p.step > 0.0) site.fail(i, p.name, "step", "log = true cannot be combined with step " + num(p.step));
  }
  if (p.step > 0.0) {
    const double n = (p.high - p.low) / p.step;
    const bool divides = is_int ? std::fmod(p.high - p.low, p.step) == 0.0
                                : std::fabs(n - std::round(n)) <= 1e-9 * std::max(1.0, n);
    if (!divides) {
      site.fail(i, p.name, "step",
                "step " + num(p.step) + " does not divide the range high - low = " + num(p.high - p.low));
    }
    if (n > 1e9) site.fail(i, p.name, "step", "step " + num(p.step) + " gives more than 1e9 values; drop the step");
  }
}

void check_choices(const Site& site, size_t i, const ParamSpec& p) {
  if (p.choices.empty()) site.fail(i, p.name, "choices", "needs at least one choice");
  for (size_t a = 0; a < p.choices.size(); ++a) {
    if (!is_scalar(p.choices[a])) {
      site.fail(i, p.name, "choices", "choice " + p.choices[a].dump() + " is not a string, finite number or boolean");
    }
    for (size_t b = 0; b < a; ++b) {
      if (same_value(p.choices[a], p.choices[b])) {
        site.fail(i, p.name, "choices", "choice " + p.choices[a].dump() + " is listed twice");
      }
    }
  }
}

// Parameters whose values name something of the engine's: every value a space can give them
// (choices, grid, fixed value) must be one the engine accepts, checked by the engine's own
// parser, so a misspelt choice fails when the space is loaded instead of failing every trial
// that draws it (issue 19).
void check_engine_names(const Site& site, size_t i, const ParamSpec& p) {
  using Check = void (*)(const std::string&);
  static const std::pair<const char*, Check> kNamed[] = {
      {"optimizer", [](const std::string& v) { OptimizerConfig c; c.name = v; c.nesterov = false; validate(c); }},
      {"schedule", [](const std::string& v) { ScheduleConfig c; c.name = v; validate(c); }},
      {"init", [](const std::string& v) { parse_init_scheme(v); }},
      {"activation", [](const std::string& v) { parse_activation(v); }},
  };
  Check check = nullptr;
  for (const auto& [name, fn] : kNamed)
    if (p.name == name) check = fn;
  if (!check) return;
  auto check_value = [&](const nlohmann::json& v, const char* key, const std::string& what) {
    if (!v.is_string()) site.fail(i, p.name, key, what + " " + v.dump() + " is not a string (the name of a " + p.name + ")");
    try {
      check(v.get<std::string>());
    } catch (const ConfigError& e) {
      site.fail(i, p.name, key, what + " " + v.dump() + " is not a valid " + p.name + ": " + e.what());
    }
  };
  if (p.type == ParamType::Categorical)
    for (const nlohmann::json& v : p.choices) check_value(v, "choices", "choice");
  if (p.type == ParamType::Fixed) check_value(p.value, "value", "value");
  if (p.type == ParamType::Float || p.type == ParamType::Int)
    site.fail(i, p.name, "type", "'" + p.name + "' names a " + p.name + ": it must be categorical or fixed");
}

void check_grid(const Site& site, size_t i, const ParamSpec& p) {
  if (p.grid.empty()) return;
  if (p.type == ParamType::Fixed) site.fail(i, p.name, "grid", "a fixed parameter has no grid");
  for (size_t a = 0; a < p.grid.size(); ++a) {
    const std::string why = p.check_value(p.grid[a]);
    if (!why.empty()) site.fail(i, p.name, "grid", "grid value " + why);
    for (size_t b = 0; b < a; ++b) {
      if (same_value(p.grid[a], p.grid[b])) site.fail(i, p.name, "grid", "grid value " + p.grid[a].dump() + " is listed twice");
    }
  }
}

void check_conditions(const Site& site, size_t i, ParamSpec& p, const std::vector<ParamSpec>& params) {
  for (Condition& c : p.when) {
    const std::string key = "when." + c.parent;
    if (c.parent == p.name) site.fail(i, p.name, key, "a parameter cannot depend on itself (cycle)");
    int parent = -1;
    for (size_t j = 0; j < params.size(); ++j) {
      if (params[j].name == c.parent) parent = static_cast<int>(j);
    }
    if (parent < 0) site.fail(i, p.name, key, "condition on unknown parameter '" + c.parent + "'");
    if (static_cast<size_t>(parent) > i) {
      site.fail(i, p.name, key,
                "condition on '" + c.parent + "', which is defined after '" + p.name +
                    "' (forward reference; a condition may only refer to an earlier parameter, which also rules out cycles)");
    }
    c.parent_index = parent;
    const ParamSpec& q = params[static_cast<size_t>(parent)];
    if (c.is_range()) {
      if (!c.min && !c.max) site.fail(i, p.name, key, "a range condition needs min and/or max");
      if ((c.min && !std::isfinite(*c.min)) || (c.max && !std::isfinite(*c.max))) {
        site.fail(i, p.name, key, "min and max must be finite numbers");
      }
      if (c.min && c.max && *c.min > *c.max) {
        site.fail(i, p.name, key, "min (" + num(*c.min) + ") is greater than max (" + num(*c.max) + ")");
      }
      bool satisfiable;
      if (q.type == ParamType::Fixed) {
        if (!q.value.is_number()) site.fail(i, p.name, key, "a range condition needs a numeric parent; '" + q.name + "' is fixed to " + q.value.dump());
        satisfiable = c.holds(q.value);
      } else if (q.numeric()) {
        const double lo = c.min ? std::max(*c.min, q.low) : q.low, hi = c.max ? std::min(*c.max, q.high) : q.high;
        satisfiable = lo <= hi;
        if (satisfiable && q.discrete()) {  // some level must fall in [lo, hi]
          const double k = std::ceil((lo - q.low) / q.step - 1e-9);
          satisfiable = q.low + k * q.step <= hi + 1e-9 * q.step;
        }
      } else {
        site.fail(i, p.name, key, "a range condition (min/max) needs a numeric parent; '" + q.name + "' is " +
                                      to_string(q.type) + " (list the values instead)");
      }
      if (!satisfiable) {
        site.fail(i, p.name, key, "the range can never hold for '" + q.name + "', so the parameter would never be active");
      }
    } else {
      if (q.type == ParamType::Float && !q.discrete()) {
        site.fail(i, p.name, key, "'" + q.name + "' is a continuous float; use a range { min = ..., max = ... }");
      }
      for (const nlohmann::json& v : c.values) {
        const std::string why = q.check_value(v);
        if (!why.empty()) site.fail(i, p.name, key, "value " + v.dump() + " of '" + q.name + "': " + why);
      }
    }
  }
}

}  // namespace

SearchSpace::SearchSpace(std::vector<ParamSpec> params, std::string source, std::string description,
                         const SourceLines& lines)
    : params_(std::move(params)), source_(std::move(source)), description_(std::move(description)) {
  const Site site(source_, lines);
  for (size_t i = 0; i < params_.size(); ++i) {
    ParamSpec& p = params_[i];
    check_name(site, i, p.name);
    for (size_t j = 0; j < i; ++j) {
      if (params_[j].name == p.name) site.fail(i, p.name, "", "the name is used by two parameters");
    }
    switch (p.type) {
      case ParamType::Float:
      case ParamType::Int: check_numeric(site, i, p); break;
      case ParamType::Categorical: check_choices(site, i, p); break;
      case ParamType::Fixed:
        if (!is_scalar(p.value)) site.fail(i, p.name, "value", "must be a string, finite number or boolean, got " + p.value.dump());
        break;
    }
    check_grid(site, i, p);
    check_engine_names(site, i, p);
    check_conditions(site, i, p, params_);
  }
  dim_of_.assign(params_.size(), -1);
  for (size_t i = 0; i < params_.size(); ++i) {
    if (params_[i].sampled()) {
      dim_of_[i] = static_cast<int>(dims_.size());
      dims_.push_back(static_cast<int>(i));
    }
  }
}

int SearchSpace::index_of(const std::string& name) const {
  for (size_t i = 0; i < params_.size(); ++i) {
    if (params_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

const ParamSpec& SearchSpace::param(const std::string& name) const {
  const int i = index_of(name);
  if (i < 0) throw ConfigError(source_ + ": no parameter named '" + name + "'");
  return params_[static_cast<size_t>(i)];
}

bool SearchSpace::is_active(const std::string& name, const nlohmann::json& params) const {
  const int i = index_of(name);
  if (i < 0) throw ConfigError(source_ + ": no parameter named '" + name + "'");
  return is_active(i, params);
}

bool SearchSpace::is_active(int param_index, const nlohmann::json& params) const {
  const ParamSpec& p = params_[static_cast<size_t>(param_index)];
  for (const Condition& c : p.when) {
    if (!is_active(c.parent_index, params)) return false;
    auto it = params.find(c.parent);
    if (it == params.end() || !c.holds(*it)) return false;
  }
  return true;
}

std::string SearchSpace::check_params(const nlohmann::json& params) const {
  if (!params.is_object()) return "params must be a JSON object, got " + params.dump();
  for (auto it = params.begin(); it != params.end(); ++it) {
    if (index_of(it.key()) < 0) return "unknown parameter '" + it.key() + "'";
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    const ParamSpec& p = params_[i];
    const bool active = is_active(static_cast<int>(i), params);
    auto it = params.find(p.name);
    if (active && it == params.end()) return "parameter '" + p.name + "' is active but missing";
    if (!active && it != params.end()) return "parameter '" + p.name + "' is inactive (its condition does not hold) but present";
    if (active) {
      const std::string why = p.check_value(*it);
      if (!why.empty()) return "parameter '" + p.name + "' " + why;
    }
  }
  return "";
}

void SearchSpace::validate_params(const nlohmann::json& params) const {
  const std::string why = check_params(params);
  if (!why.empty()) throw ConfigError(source_ + ": params " + params.dump() + " do not belong to the space: " + why);
}

std::string SearchSpace::canonical_key(const nlohmann::json& params) const {
  std::string key;
  if (!params.is_object()) return key;
  for (const ParamSpec& p : params_) {
    auto it = params.find(p.name);
    if (it == params.end()) continue;
    key += p.name;
    key += '=';
    // A value the parameter cannot take (params from another space) keys exactly.
    key += p.check_value(*it).empty() ? p.key_text(*it) : "!" + it->dump();
    key += ';';
  }
  return key;
}

std::vector<double> SearchSpace::to_unit(const nlohmann::json& params) const {
  std::vector<double> u(dims_.size(), std::nan(""));
  for (size_t d = 0; d < dims_.size(); ++d) {
    const ParamSpec& p = params_[static_cast<size_t>(dims_[d])];
    auto it = params.find(p.name);
    if (it != params.end()) u[d] = p.to_unit(*it);
  }
  return u;
}

nlohmann::json SearchSpace::from_unit(const std::vector<double>& u) const {
  GD_CHECK(u.size() == dims_.size(), "from_unit: " << u.size() << " coordinates for a space of " << dims_.size() << " dimensions");
  nlohmann::json params = nlohmann::json::object();
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!is_active(static_cast<int>(i), params)) continue;
    const ParamSpec& p = params_[i];
    params[p.name] = p.sampled() ? p.from_unit(u[static_cast<size_t>(dim_of_[i])]) : p.value;
  }
  return params;
}

bool SearchSpace::enumerate(const std::function<std::vector<nlohmann::json>(const ParamSpec&)>& levels,
                            const std::function<bool(const nlohmann::json&)>& visit) const {
  std::vector<std::vector<nlohmann::json>> values(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    values[i] = params_[i].sampled() ? levels(params_[i]) : std::vector<nlohmann::json>{params_[i].value};
  }
  nlohmann::json params = nlohmann::json::object();
  // Depth-first over parameters in order; an inactive parameter contributes one branch (absent).
  std::function<bool(size_t)> rec = [&](size_t i) -> bool {
    if (i == params_.size()) return visit(params);
    if (!is_active(static_cast<int>(i), params)) return rec(i + 1);
    const std::string& name = params_[i].name;
    for (const nlohmann::json& v : values[i]) {
      params[name] = v;
      if (!rec(i + 1)) return false;
    }
    params.erase(name);
    return true;
  };
  return rec(0);
}

std::optional<int64_t> SearchSpace::finite_size(int64_t cap) const {
  for (const ParamSpec& p : params_) {
    if (p.sampled() && (!p.discrete() || p.num_levels() > cap)) return std::nullopt;
  }
  // Without conditions the count is a product; with them, enumerate (up to the cap).
  bool conditional = false;
  double product = 1.0;
  for (const ParamSpec& p : params_) {
    conditional = conditional || !p.when.empty();
    if (p.sampled()) product *= static_cast<double>(p.num_levels());
  }
  if (!conditional) {
    if (product > static_cast<double>(cap)) return std::nullopt;
    return static_cast<int64_t>(product);
  }
  int64_t count = 0;
  const bool complete = enumerate(
      [](const ParamSpec& p) {
        std::vector<nlohmann::json> v;
        for (int64_t k = 0; k < p.num_levels(); ++k) v.push_back(p.level(k));
        return v;
      },
      [&](const nlohmann::json&) { return ++count <= cap; });
  if (!complete) return std::nullopt;
  return count;
}

}  // namespace gd::tune
