#pragma once
// A hyperparameter search space: an ordered list of parameters (param_spec.h), some of them
// conditional on earlier ones. Loaded from a TOML file (grammar: docs/search-spaces.md) or from
// the JSON form a study stores; every inconsistency is a ConfigError naming the source, the
// parameter and the key.
//
// Order matters: a parameter's condition may only refer to parameters defined before it, so a
// space is evaluated front to back and cycles cannot exist. A parameter is active when every clause
// of its `when` holds and every parent is itself active; an inactive parameter is absent from a
// trial's params object.
//
// Samplers work on the "sampled dimensions": the non-fixed parameters in space order
// (dim_params()); to_unit / from_unit convert a whole params object to and from one unit
// coordinate per dimension (NaN for an inactive one).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/tune/param_spec.h"

namespace gd::tune {

// Where each key of a parsed file was written, for error messages: lines[i][key] is the line of
// parameter i's `key` ("" = the parameter itself, "when.<parent>" = a condition clause). Empty
// when the space was not parsed from text.
using SourceLines = std::vector<std::map<std::string, int>>;

class SearchSpace {
 public:
  SearchSpace() = default;
  // Validates the parameters (names unique and well formed, ranges, steps, grids, conditions
  // referring to earlier parameters with values they can take) and throws ConfigError naming
  // `source`, the line (from `lines` when given), the parameter and the key.
  SearchSpace(std::vector<ParamSpec> params, std::string source, std::string description = "",
              const SourceLines& lines = {});

  // TOML (docs/search-spaces.md). Errors name the file, the line, the parameter and the key.
  static SearchSpace from_toml_file(const std::string& path);
  static SearchSpace from_toml_string(const std::string& text, const std::string& source = "<string>");
  // The JSON form written by to_json(): {"description": ..., "params": [{"name": ..., "type": ...,
  // ...}, ...]} (an array, so the order survives).
  static SearchSpace from_json(const nlohmann::json& j, const std::string& source = "<json>");
  nlohmann::json to_json() const;

  const std::vector<ParamSpec>& params() const { return params_; }
  const std::string& source() const { return source_; }
  const std::string& description() const { return description_; }
  bool empty() const { return params_.empty(); }
  // Index of the parameter named `name`, -1 when there is none.
  int index_of(const std::string& name) const;
  // The parameter named `name`; ConfigError when there is none.
  const ParamSpec& param(const std::string& name) const;

  // Sampled dimensions: indices into params() of the non-fixed parameters, in order.
  const std::vector<int>& dim_params() const { return dims_; }
  int dims() const { return static_cast<int>(dims_.size()); }
  // The dimension of params()[i], -1 for a fixed parameter.
  int dim_of(int param_index) const { return dim_of_[static_cast<size_t>(param_index)]; }

  // Whether a parameter is active given the values of the earlier parameters in `params`.
  bool is_active(const std::string& name, const nlohmann::json& params) const;
  bool is_active(int param_index, const nlohmann::json& params) const;

  // "" when `params` is exactly a configuration of this space (every active parameter present
  // with a valid value, no inactive or unknown keys), else the first problem found.
  std::string check_params(const nlohmann::json& params) const;
  // Throws ConfigError with check_params()'s message, naming the space's source.
  void validate_params(const nlohmann::json& params) const;

  // Canonical key for duplicate detection: "name=value;" for each active parameter in space
  // order, values through ParamSpec::key_text (floats rounded to 6 significant digits). Keys not
  // in the space are ignored, so this also works on params from an older version of the space.
  std::string canonical_key(const nlohmann::json& params) const;

  // One unit coordinate per dimension (see param_spec.h), NaN for an inactive parameter.
  // `params` must pass check_params.
  std::vector<double> to_unit(const nlohmann::json& params) const;
  // Decodes a unit vector (size dims()) front to back: inactive parameters are skipped whatever
  // their coordinate (NaN allowed there), fixed ones take their value. The result passes
  // check_params.
  nlohmann::json from_unit(const std::vector<double>& u) const;

  // Enumerates the configurations obtained when each active parameter takes each value of
  // levels(param) (for fixed parameters: their value), depth first in space order, calling
  // visit(params) for each; visit returns false to stop early. Returns false when stopped early.
  bool enumerate(const std::function<std::vector<nlohmann::json>(const ParamSpec&)>& levels,
                 const std::function<bool(const nlohmann::json&)>& visit) const;
  // Number of distinct configurations when every sampled parameter is discrete and the count is
  // at most `cap`; std::nullopt otherwise (continuous parameter or too many).
  std::optional<int64_t> finite_size(int64_t cap = 1000000) const;

 private:
  std::vector<ParamSpec> params_;
  std::string source_, description_;
  std::vector<int> dims_, dim_of_;
};

}  // namespace gd::tune
