#pragma once
// One hyperparameter of a search space: its type, range or choices, the condition under which it
// is active, and the encodings samplers use.
//
// Types and the JSON values a trial stores for them (engine/tune/trial.h):
//   float        number in [low, high]; log = true samples uniformly in log space (low > 0);
//                step > 0 restricts values to low + k*step (not with log).
//   int          integer in [low, high] on the grid low + k*step (step >= 1, default 1);
//                log = true (step 1 only, low >= 1) samples uniformly in log space.
//   categorical  one of `choices` (strings, numbers or booleans), stored as the choice itself.
//   fixed        the constant `value`; never sampled, but present in every trial where active.
//
// Unit encoding (to_unit / from_unit), shared by every sampler: each sampled parameter maps to a
// coordinate u in [0, 1]:
//   continuous float  u = (x - low) / (high - low), or (ln x - ln low) / (ln high - ln low) with log.
//   discrete numeric  (int, stepped float) K levels; level k owns the bin [k/K, (k+1)/K) and encodes
//                     as its centre (k + 0.5)/K. Log ints: level x owns [ln(x-0.5), ln(x+0.5)) of
//                     [ln(low-0.5), ln(high+0.5)], rescaled to [0, 1], and encodes as ln x there.
//   categorical       K choices, choice k owns [k/K, (k+1)/K) and encodes as (k + 0.5)/K.
// from_unit(u) returns the value whose bin contains u (u is clamped to [0, 1]), so any point of
// the unit cube decodes to a valid value and to_unit(from_unit(u)) is the bin's representative.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace gd::tune {

enum class ParamType { Float, Int, Categorical, Fixed };

const char* to_string(ParamType t);

// One clause of a parameter's `when` condition: the parameter is active only when `parent` is
// active and its value is one of `values` (membership), or lies in [min, max] (range; either
// bound may be absent). Exactly one of the two forms is used.
struct Condition {
  std::string parent;
  int parent_index = -1;               // index of `parent` in the space (always an earlier one)
  std::vector<nlohmann::json> values;  // membership form (non-empty) ...
  std::optional<double> min, max;      // ... or range form (values empty)

  bool is_range() const { return values.empty(); }
  // True when the parent's value satisfies the clause. Numbers compare by value (1 == 1.0).
  bool holds(const nlohmann::json& parent_value) const;
};

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::Float;
  double low = 0.0, high = 0.0;             // float / int: inclusive bounds
  bool log = false;                         // float / int
  double step = 0.0;                        // float: 0 = continuous; int: >= 1
  std::vector<nlohmann::json> choices;      // categorical
  nlohmann::json value;                     // fixed
  std::vector<nlohmann::json> grid;         // optional: the values the grid sampler tries
  std::vector<Condition> when;              // all clauses must hold (AND)
  std::string description;                  // free text, for people

  bool sampled() const { return type != ParamType::Fixed; }
  bool numeric() const { return type == ParamType::Float || type == ParamType::Int; }
  // Finitely many values: int, stepped float, categorical.
  bool discrete() const;
  // Number of distinct values when discrete (categorical: choices), else 0.
  int64_t num_levels() const;
  // The k-th value (0 <= k < num_levels()) of a discrete parameter, in increasing order.
  nlohmann::json level(int64_t k) const;
  // Index of `v` among the levels of a discrete parameter, -1 when it is not one.
  int64_t level_of(const nlohmann::json& v) const;
  // Bin [lo, hi) of level k in unit space (discrete parameters).
  std::pair<double, double> unit_bin(int64_t k) const;

  // Encodings (see the file comment). to_unit expects a value that check_value() accepts.
  double to_unit(const nlohmann::json& v) const;
  nlohmann::json from_unit(double u) const;

  // "" when `v` is a valid value of this parameter, else what is wrong with it.
  std::string check_value(const nlohmann::json& v) const;
  // Canonical text of a valid value, for duplicate detection: ints exactly; floats rounded to 6
  // significant digits (so values within ~5e-7 relative of each other usually share a key; two
  // values on either side of a rounding boundary do not); choices and fixed values exactly
  // (numbers that are whole print as integers, so 2 and 2.0 match).
  std::string key_text(const nlohmann::json& v) const;
};

// Two JSON scalars equal as parameter values: numbers by value (1 == 1.0), others by ==.
bool same_value(const nlohmann::json& a, const nlohmann::json& b);

// Rounds x to 15 significant digits, so a computed grid value such as 0.1 * 3 prints as 0.3.
double clean_decimal(double x);

}  // namespace gd::tune
