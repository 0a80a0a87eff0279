#pragma once
// The sampled parameters of a study as the axes of its report: the best-trials table columns, the
// parallel-coordinate axes, the slice plots and the importance analysis all read them from here.
//
// Source: the study's search space (SearchSpace::from_json of Study::space), in space order, with
// its bounds, log scale, choices and conditions. When the stored space cannot be read (an older or
// foreign document), the axes are inferred from the trials' params instead (names in order of
// first appearance; numeric when every value is a number, else categorical with the values seen;
// bounds = observed range) and `source_note` says so: the report still works, less precisely.
// Fixed parameters are not axes (they never vary); they are listed in `fixed`.
#include <string>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/tune/trial.h"

namespace gd::report {

struct StudyParam {
  enum class Kind { Numeric, Categorical };
  std::string name;
  Kind kind = Kind::Numeric;
  bool log = false;      // numeric: positions and plots in log space (low > 0)
  bool integer = false;  // numeric: values are whole numbers
  double low = 0.0, high = 0.0;       // numeric: axis range (the space's bounds, or observed)
  std::vector<nlohmann::json> levels;  // categorical: the choices, in space order
  bool conditional = false;            // may be inactive (absent from a trial's params)
  std::string range_text;      // "[0.0001, 0.3], log", "{sgd, adam}": plain text for tables
  std::string condition_text;  // "optimizer in {sgd, rmsprop} and layers >= 2", "" = always active
  std::string description;     // the space's free text for the parameter

  bool numeric() const { return kind == Kind::Numeric; }
};

struct FixedParam {
  std::string name, value_text, condition_text;  // condition_text "" = always
};

struct StudyParams {
  std::vector<StudyParam> params;  // sampled parameters, space order
  std::vector<FixedParam> fixed;   // fixed parameters, space order
  std::string space_description;                            // the space's description ("" = none)
  std::string source_note;  // "" when read from the space, else why the axes were inferred
};

// Axes of a study (see the file comment). Never throws for a bad space document: it falls back to
// inference and says why in source_note.
StudyParams study_params(const nlohmann::json& space, const std::vector<tune::Trial>& trials);

// Display text of a parameter value: numbers with up to 6 significant digits ("0.00316", "128"),
// strings as they are, booleans "true"/"false"; "" for an absent (inactive) value (null).
std::string param_value_text(const nlohmann::json& v);

// Index of `v` among a categorical parameter's levels (numbers compare by value), -1 when absent
// or not a level.
int level_index(const StudyParam& p, const nlohmann::json& v);

// Position of a value on the parameter's axis in [0, 1]: numeric (x - low) / (high - low), in log
// space for log parameters, clamped to [0, 1] (a value outside the space's range sits at the
// edge), 0.5 on an axis of zero width; categorical: level k of K at k / (K - 1) (0.5 when K = 1).
// NaN when the value is absent, of the wrong type, not a level, or <= 0 on a log axis.
double axis_position(const StudyParam& p, const nlohmann::json& v);

// The numeric value of `v` for a numeric parameter (NaN when absent, not a number, or <= 0 on a
// log axis).
double numeric_value(const StudyParam& p, const nlohmann::json& v);

// Epochs per trial as the search space sets them: the value of a fixed parameter "epochs", or
// nullopt when it is absent, sampled, or not a whole number.
std::optional<int> fixed_epochs(const StudyParams& params);

// The value of `name` in a trial's params, or null when absent.
const nlohmann::json& param_of(const nlohmann::json& params, const std::string& name);

}  // namespace gd::report
