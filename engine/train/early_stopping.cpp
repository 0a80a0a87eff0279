#include "engine/train/early_stopping.h"

#include <cmath>
#include <limits>

#include "engine/core/error.h"

namespace gd {
namespace {

double worst_value(const std::string& mode) {
  const double inf = std::numeric_limits<double>::infinity();
  return mode == "max" ? -inf : inf;
}

}  // namespace

EarlyStopping::EarlyStopping(int patience, double min_delta, std::string mode)
    : patience_(patience), min_delta_(min_delta), mode_(std::move(mode)) {
  GD_CHECK_T(patience_ >= 0, ConfigError, "early stopping: patience must be >= 0 (0 disables), got " << patience_);
  GD_CHECK_T(min_delta_ >= 0.0, ConfigError, "early stopping: min_delta must be >= 0, got " << min_delta_);
  GD_CHECK_T(mode_ == "max" || mode_ == "min", ConfigError,
             "early stopping: mode must be \"max\" or \"min\", got \"" << mode_ << "\"");
  best_value_ = worst_value(mode_);
}

bool EarlyStopping::improves(double value) const {
  if (std::isnan(value)) return false;
  return mode_ == "max" ? value - min_delta_ > best_value_ : value + min_delta_ < best_value_;
}

bool EarlyStopping::update(int epoch, double value) {
  if (improves(value)) {
    best_value_ = value;
    best_epoch_ = epoch;
    wait_ = 0;
    return true;
  }
  ++wait_;
  return false;
}

bool EarlyStopping::should_stop() const { return patience_ > 0 && wait_ >= patience_; }

nlohmann::json EarlyStopping::to_json() const {
  nlohmann::json j;
  j["patience"] = patience_;
  j["min_delta"] = min_delta_;
  j["mode"] = mode_;
  j["best_value"] = best_epoch_ >= 0 ? nlohmann::json(best_value_) : nlohmann::json(nullptr);
  j["best_epoch"] = best_epoch_;
  j["epochs_without_improvement"] = wait_;
  return j;
}

void EarlyStopping::restore(const nlohmann::json& j) {
  GD_CHECK_T(j.is_object(), DataError, "early stopping state: expected an object, got " << j.type_name());
  for (const char* key : {"mode", "best_value", "best_epoch", "epochs_without_improvement"}) {
    GD_CHECK_T(j.contains(key), DataError, "early stopping state: missing '" << key << "'");
  }
  GD_CHECK_T(j["mode"].is_string(), DataError, "early stopping state: 'mode' is not a string");
  const std::string saved_mode = j["mode"].get<std::string>();
  GD_CHECK_T(saved_mode == mode_, ConfigError,
             "early stopping state was saved in mode \"" << saved_mode << "\" but this run monitors in mode \""
                                                         << mode_ << "\"");
  GD_CHECK_T(j["best_epoch"].is_number_integer() && j["epochs_without_improvement"].is_number_integer(),
             DataError, "early stopping state: 'best_epoch' / 'epochs_without_improvement' must be integers");
  const nlohmann::json& bv = j["best_value"];
  GD_CHECK_T(bv.is_null() || bv.is_number(), DataError, "early stopping state: 'best_value' is " << bv.type_name());
  const int best_epoch = j["best_epoch"].get<int>();
  const int wait = j["epochs_without_improvement"].get<int>();
  GD_CHECK_T(wait >= 0, DataError, "early stopping state: negative epochs_without_improvement " << wait);
  GD_CHECK_T(bv.is_null() == (best_epoch < 0), DataError,
             "early stopping state: best_value and best_epoch disagree about whether a best exists");
  best_epoch_ = best_epoch;
  best_value_ = bv.is_null() ? worst_value(mode_) : bv.get<double>();
  wait_ = wait;
}

}  // namespace gd
