// make_pruner: JSON description -> pruner; see pruner_factory.h.
#include "engine/tune/pruner_factory.h"

#include <initializer_list>
#include <limits>
#include <string>

#include "engine/core/error.h"
#include "engine/tune/asha.h"
#include "engine/tune/median_pruner.h"

namespace gd::tune {
namespace {

void check_keys(const nlohmann::json& cfg, const std::string& type, std::initializer_list<const char*> allowed) {
  for (auto it = cfg.begin(); it != cfg.end(); ++it) {
    if (it.key() == "type") continue;
    bool ok = false;
    for (const char* a : allowed) ok |= it.key() == a;
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      throw ConfigError("pruner '" + type + "': unknown option '" + it.key() +
                        "' (accepted: " + (list.empty() ? "none" : list) + ")");
    }
  }
}

// cfg[key] as an int when present (whole numbers written as 3.0 are accepted), else `fallback`.
int int_option(const nlohmann::json& cfg, const std::string& type, const char* key, int fallback) {
  const auto it = cfg.find(key);
  if (it == cfg.end()) return fallback;
  const nlohmann::json& v = *it;
  if (v.is_number_integer()) {
    const auto x = v.get<int64_t>();
    if (x >= std::numeric_limits<int>::min() && x <= std::numeric_limits<int>::max()) return static_cast<int>(x);
  } else if (v.is_number_float()) {
    const double x = v.get<double>();
    if (x == static_cast<double>(static_cast<int64_t>(x)) && x >= std::numeric_limits<int>::min() &&
        x <= std::numeric_limits<int>::max()) {
      return static_cast<int>(x);
    }
  }
  throw ConfigError("pruner '" + type + "': option '" + key + "' must be an integer, got " +
                    v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

std::unique_ptr<Pruner> make_pruner(const nlohmann::json& cfg, int max_epochs) {
  if (!cfg.is_object())
    throw ConfigError("pruner description must be a JSON object, got " +
                      cfg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  const auto t = cfg.find("type");
  if (t == cfg.end() || !t->is_string()) {
    throw ConfigError("pruner description needs \"type\": \"none\", \"median\" or \"asha\" (got " +
                      cfg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ")");
  }
  const std::string type = t->get<std::string>();
  if (type == "none") {
    check_keys(cfg, type, {});
    return std::make_unique<NopPruner>();
  }
  if (type == "median") {
    check_keys(cfg, type, {"n_startup_trials", "n_warmup_steps", "interval_steps", "n_min_trials"});
    MedianPrunerOptions o;
    o.n_startup_trials = int_option(cfg, type, "n_startup_trials", o.n_startup_trials);
    o.n_warmup_steps = int_option(cfg, type, "n_warmup_steps", o.n_warmup_steps);
    o.interval_steps = int_option(cfg, type, "interval_steps", o.interval_steps);
    o.n_min_trials = int_option(cfg, type, "n_min_trials", o.n_min_trials);
    return std::make_unique<MedianPruner>(o);
  }
  if (type == "asha") {
    check_keys(cfg, type, {"min_resource", "max_resource", "reduction_factor", "min_early_stopping_rate"});
    AshaOptions o;
    o.min_resource = int_option(cfg, type, "min_resource", o.min_resource);
    o.max_resource = int_option(cfg, type, "max_resource", max_epochs);
    o.reduction_factor = int_option(cfg, type, "reduction_factor", o.reduction_factor);
    o.min_early_stopping_rate = int_option(cfg, type, "min_early_stopping_rate", o.min_early_stopping_rate);
    return std::make_unique<AshaPruner>(o);
  }
  throw ConfigError("unknown pruner type '" + type + "' (expected none, median or asha)");
}

}  // namespace gd::tune
