// Encodings, value checks and canonical text of one search-space parameter (param_spec.h).
#include "engine/tune/param_spec.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "engine/core/error.h"

namespace gd::tune {

const char* to_string(ParamType t) {
  switch (t) {
    case ParamType::Float: return "float";
    case ParamType::Int: return "int";
    case ParamType::Categorical: return "categorical";
    case ParamType::Fixed: return "fixed";
  }
  return "?";
}

namespace {

// A JSON number that is a whole value (stored as an integer, or a float with no fraction).
bool whole_number(const nlohmann::json& v, double* out) {
  if (v.is_number_integer()) {
    *out = static_cast<double>(v.get<int64_t>());
    return true;
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d)) {
      *out = d;
      return true;
    }
  }
  return false;
}

// Canonical text of an exact scalar (choices, fixed values): whole numbers as integers, other
// numbers with round-trip precision, strings and booleans as JSON.
std::string exact_text(const nlohmann::json& v) {
  double d;
  if (whole_number(v, &d) && std::fabs(d) < 9.007199254740992e15) {
    return std::to_string(static_cast<int64_t>(d));
  }
  if (v.is_number()) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v.get<double>());
    return buf;
  }
  return v.dump();
}

std::string describe(const nlohmann::json& v) { return v.dump(); }

}  // namespace

bool same_value(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

double clean_decimal(double x) {
  if (!std::isfinite(x)) return x;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", x);
  return std::strtod(buf, nullptr);
}

bool Condition::holds(const nlohmann::json& parent_value) const {
  if (!is_range()) {
    return std::any_of(values.begin(), values.end(),
                       [&](const nlohmann::json& v) { return same_value(v, parent_value); });
  }
  if (!parent_value.is_number()) return false;
  const double x = parent_value.get<double>();
  if (min && x < *min) return false;
  if (max && x > *max) return false;
  return true;
}

bool ParamSpec::discrete() const {
  switch (type) {
    case ParamType::Int:
    case ParamType::Categorical: return true;
    case ParamType::Float: return step > 0.0;
    case ParamType::Fixed: return false;
  }
  return false;
}

int64_t ParamSpec::num_levels() const {
  switch (type) {
    case ParamType::Categorical: return static_cast<int64_t>(choices.size());
    case ParamType::Int:
    case ParamType::Float:
      if (type == ParamType::Float && step <= 0.0) return 0;
      return static_cast<int64_t>(std::llround((high - low) / step)) + 1;
    case ParamType::Fixed: return 0;
  }
  return 0;
}

nlohmann::json ParamSpec::level(int64_t k) const {
  GD_CHECK(discrete() && k >= 0 && k < num_levels(),
           "parameter '" << name << "': level " << k << " out of range (levels: " << num_levels() << ")");
  switch (type) {
    case ParamType::Categorical: return choices[static_cast<size_t>(k)];
    case ParamType::Int: return static_cast<int64_t>(std::llround(low + static_cast<double>(k) * step));
    default: return clean_decimal(std::min(high, low + static_cast<double>(k) * step));
  }
}

int64_t ParamSpec::level_of(const nlohmann::json& v) const {
  if (type == ParamType::Categorical) {
    for (size_t i = 0; i < choices.size(); ++i) {
      if (same_value(choices[i], v)) return static_cast<int64_t>(i);
    }
    return -1;
  }
  if (!discrete() || !v.is_number()) return -1;
  const double x = v.get<double>();
  if (!std::isfinite(x)) return -1;
  if (type == ParamType::Int) {
    double w;
    if (!whole_number(v, &w) || w < low || w > high) return -1;
    const double k = (w - low) / step;
    return k == std::floor(k) ? static_cast<int64_t>(k) : -1;
  }
  // Stepped float: within a millionth of a step of a level.
  const double k = std::round((x - low) / step);
  if (k < 0 || k >= static_cast<double>(num_levels())) return -1;
  const double lv = low + k * step;
  return std::fabs(lv - x) <= 1e-6 * step ? static_cast<int64_t>(k) : -1;
}

std::pair<double, double> ParamSpec::unit_bin(int64_t k) const {
  const double n = static_cast<double>(num_levels());
  if (type == ParamType::Int && log) {
    const double a = std::log(low - 0.5), b = std::log(high + 0.5);
    const double x = low + static_cast<double>(k);
    return {(std::log(x - 0.5) - a) / (b - a), (std::log(x + 0.5) - a) / (b - a)};
  }
  return {static_cast<double>(k) / n, static_cast<double>(k + 1) / n};
}

double ParamSpec::to_unit(const nlohmann::json& v) const {
  switch (type) {
    case ParamType::Fixed: return 0.5;
    case ParamType::Categorical: {
      const int64_t k = level_of(v);
      return (static_cast<double>(std::max<int64_t>(k, 0)) + 0.5) / static_cast<double>(choices.size());
    }
    case ParamType::Int:
      if (log) {
        const double a = std::log(low - 0.5), b = std::log(high + 0.5);
        return std::clamp((std::log(v.get<double>()) - a) / (b - a), 0.0, 1.0);
      }
      [[fallthrough]];
    case ParamType::Float:
      if (discrete()) {
        const int64_t k = std::max<int64_t>(level_of(v), 0);
        return (static_cast<double>(k) + 0.5) / static_cast<double>(num_levels());
      }
      if (log) {
        return std::clamp((std::log(v.get<double>()) - std::log(low)) / (std::log(high) - std::log(low)), 0.0, 1.0);
      }
      return std::clamp((v.get<double>() - low) / (high - low), 0.0, 1.0);
  }
  return 0.5;
}

nlohmann::json ParamSpec::from_unit(double u) const {
  if (!std::isfinite(u)) u = 0.5;
  u = std::clamp(u, 0.0, 1.0);
  switch (type) {
    case ParamType::Fixed: return value;
    case ParamType::Categorical: {
      const int64_t n = static_cast<int64_t>(choices.size());
      return choices[static_cast<size_t>(std::min<int64_t>(n - 1, static_cast<int64_t>(u * static_cast<double>(n))))];
    }
    case ParamType::Int:
      if (log) {
        const double a = std::log(low - 0.5), b = std::log(high + 0.5);
        const double x = std::exp(a + u * (b - a));
        const double k = std::clamp(std::floor(x - (low - 0.5)), 0.0, high - low);
        return static_cast<int64_t>(std::llround(low + k));
      }
      [[fallthrough]];
    case ParamType::Float:
      if (discrete()) {
        const int64_t n = num_levels();
        return level(std::min<int64_t>(n - 1, static_cast<int64_t>(u * static_cast<double>(n))));
      }
      if (u <= 0.0) return low;  // exact ends (exp(log(x)) may be an ulp off)
      if (u >= 1.0) return high;
      if (log) return std::clamp(std::exp(std::log(low) + u * (std::log(high) - std::log(low))), low, high);
      return std::clamp(low + u * (high - low), low, high);
  }
  return nullptr;
}

std::string ParamSpec::check_value(const nlohmann::json& v) const {
  std::ostringstream os;
  switch (type) {
    case ParamType::Fixed:
      if (!same_value(v, value)) os << "is " << describe(v) << " but the parameter is fixed to " << describe(value);
      break;
    case ParamType::Categorical:
      if (level_of(v) < 0) {
        os << "is " << describe(v) << ", not one of the choices [";
        for (size_t i = 0; i < choices.size(); ++i) os << (i ? ", " : "") << describe(choices[i]);
        os << "]";
      }
      break;
    case ParamType::Int: {
      double w;
      if (!whole_number(v, &w)) {
        os << "is " << describe(v) << ", not an integer";
      } else if (w < low || w > high) {
        os << "is " << describe(v) << ", outside [" << low << ", " << high << "]";
      } else if (level_of(v) < 0) {
        os << "is " << describe(v) << ", not on the step " << step << " grid starting at " << low;
      }
      break;
    }
    case ParamType::Float: {
      if (!v.is_number() || !std::isfinite(v.get<double>())) {
        os << "is " << describe(v) << ", not a finite number";
      } else if (v.get<double>() < low || v.get<double>() > high) {
        os << "is " << describe(v) << ", outside [" << low << ", " << high << "]";
      } else if (discrete() && level_of(v) < 0) {
        os << "is " << describe(v) << ", not on the step " << step << " grid starting at " << low;
      }
      break;
    }
  }
  return os.str();
}

std::string ParamSpec::key_text(const nlohmann::json& v) const {
  if (type == ParamType::Int) {
    double w = 0.0;
    whole_number(v, &w);
    return std::to_string(static_cast<int64_t>(w));
  }
  if (type == ParamType::Float) {
    double x = v.get<double>();
    if (discrete()) {
      const int64_t k = level_of(v);
      if (k >= 0) return "#" + std::to_string(k);  // stepped: the level index is exact
    }
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.6g", x == 0.0 ? 0.0 : x);  // -0 and 0 share a key
    return buf;
  }
  return exact_text(v);
}

}  // namespace gd::tune
