// The tuning step's search space and seed trial (tuning_space.h).
#include "engine/workflow/tuning_space.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "engine/core/error.h"

namespace gd::workflow {
namespace {

// A TOML float literal that reads back to the same double.
std::string toml_float(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", v);
  std::string s = b;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

std::string tuning_space_toml(const ModelFamily& family, const Capacity& capacity, const Regularisation& reg, double lr,
                              double width_up) {
  GD_CHECK_T(std::isfinite(lr) && lr > 0, ConfigError, "tuning space: learning rate must be > 0, got " << lr);
  GD_CHECK_T(std::isfinite(width_up) && width_up >= 1.0, ConfigError,
             "tuning space: width factor must be >= 1, got " << width_up);
  const int64_t w = family.width_value(capacity);
  const int64_t w_low = std::max<int64_t>(1, w / 2);
  const int64_t w_high =
      std::max<int64_t>(w_low + 1, static_cast<int64_t>(std::llround(static_cast<double>(w) * width_up)));
  std::ostringstream t;
  t << "description = \"gpu_workflow: around the regularised model (" << capacity.label << ", " << reg.describe()
    << ")\"\n\n";
  t << "[params.lr]\ntype = \"float\"\nlow = " << toml_float(lr / 4) << "\nhigh = " << toml_float(lr * 4)
    << "\nlog = true\n\n";
  t << "[params.dropout]\ntype = \"float\"\nlow = 0.0\nhigh = " << toml_float(kTuneDropoutHigh) << "\n\n";
  t << "[params.weight_decay]\ntype = \"float\"\nlow = " << toml_float(kTuneWeightDecayLow)
    << "\nhigh = " << toml_float(kTuneWeightDecayHigh) << "\nlog = true\n\n";
  t << "[params." << family.width_param() << "]\ntype = \"int\"\nlow = " << w_low << "\nhigh = " << w_high
    << "\nlog = true\n\n";
  t << "[params]\n";
  if (family.kind() == ArchFamily::Mlp) {
    t << "layers = 2\nbatchnorm = " << (reg.batchnorm ? "true" : "false") << "\n";
  } else {
    t << "c1 = " << capacity.width << "\nc2 = " << 2 * capacity.width << "\n";
  }
  t << "augment = " << (reg.augment ? "true" : "false") << "\n";
  return t.str();
}

nlohmann::json seed_trial_params(const tune::SearchSpace& space, const ModelFamily& family, const Capacity& capacity,
                                 const Regularisation& reg, double lr, std::string* note) {
  nlohmann::json p = nlohmann::json::object();
  for (const tune::ParamSpec& spec : space.params())
    if (spec.type == tune::ParamType::Fixed) p[spec.name] = spec.value;
  p["lr"] = lr;
  p["dropout"] = reg.dropout;
  double wd = reg.weight_decay;
  if (wd < kTuneWeightDecayLow) {
    if (note)
      *note =
          "the regularised model has no weight decay; its trial uses 1e-6, the lower end of the log-uniform "
          "range (practically none)";
    wd = kTuneWeightDecayLow;
  }
  p["weight_decay"] = std::min(wd, kTuneWeightDecayHigh);
  p[family.width_param()] = family.width_value(capacity);
  space.validate_params(p);
  return p;
}

}  // namespace gd::workflow
