// make_sampler: samplers by name with JSON options (sampler.h).
#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/tune/auto_sampler.h"
#include "engine/tune/coarse_fine_sampler.h"
#include "engine/tune/gp_sampler.h"
#include "engine/tune/grid_sampler.h"
#include "engine/tune/random_sampler.h"
#include "engine/tune/sampler.h"
#include "engine/tune/tpe_sampler.h"

namespace gd::tune {

namespace {

// Reads the options object of one sampler, rejecting unknown keys and mistyped values.
class OptionReader {
 public:
  OptionReader(const std::string& sampler, const nlohmann::json& options, std::vector<std::string> allowed)
      : sampler_(sampler), options_(options) {
    if (!options.is_object()) fail("options must be a JSON object, got " + options.dump());
    for (auto it = options.begin(); it != options.end(); ++it) {
      if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
        std::string list;
        for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail("unknown option '" + it.key() + "' (allowed: " + (list.empty() ? "none" : list) + ")");
      }
    }
  }

  void get(const char* key, int* out) const {
    auto it = options_.find(key);
    if (it == options_.end()) return;
    if (!it->is_number_integer()) fail(std::string("option '") + key + "' must be an integer, got " + it->dump());
    *out = it->get<int>();
  }
  void get(const char* key, double* out) const {
    auto it = options_.find(key);
    if (it == options_.end()) return;
    if (!it->is_number()) fail(std::string("option '") + key + "' must be a number, got " + it->dump());
    *out = it->get<double>();
  }
  void get(const char* key, bool* out) const {
    auto it = options_.find(key);
    if (it == options_.end()) return;
    if (!it->is_boolean()) fail(std::string("option '") + key + "' must be true or false, got " + it->dump());
    *out = it->get<bool>();
  }

 private:
  [[noreturn]] void fail(const std::string& msg) const { throw ConfigError("sampler '" + sampler_ + "': " + msg); }

  std::string sampler_;
  const nlohmann::json& options_;
};

const std::vector<std::string> kGpOptionKeys = {"n_startup", "n_candidates", "n_refine", "max_fit_points"};

GpOptions read_gp(const OptionReader& r) {
  GpOptions o;
  r.get("n_startup", &o.n_startup);
  r.get("n_candidates", &o.n_candidates);
  r.get("n_refine", &o.n_refine);
  r.get("max_fit_points", &o.max_fit_points);
  return o;
}

const std::vector<std::string> kTpeOptionKeys = {"n_startup",   "n_ei_candidates", "gamma",
                                                  "gamma_max",   "prior_weight",    "multivariate"};

TpeOptions read_tpe(const OptionReader& r) {
  TpeOptions o;
  r.get("n_startup", &o.n_startup);
  r.get("n_ei_candidates", &o.n_ei_candidates);
  r.get("gamma", &o.gamma);
  r.get("gamma_max", &o.gamma_max);
  r.get("prior_weight", &o.prior_weight);
  r.get("multivariate", &o.multivariate);
  return o;
}

}  // namespace

std::vector<std::string> sampler_names() { return {"auto", "random", "grid", "tpe", "gp", "coarse-fine"}; }

std::unique_ptr<Sampler> make_sampler(const std::string& name, const nlohmann::json& options) {
  const nlohmann::json opts = options.is_null() ? nlohmann::json::object() : options;
  if (name == "random") {
    OptionReader r(name, opts, {});
    return std::make_unique<RandomSampler>();
  }
  if (name == "grid") {
    OptionReader r(name, opts, {"resolution", "shuffle"});
    int resolution = 5;
    bool shuffle = false;
    r.get("resolution", &resolution);
    r.get("shuffle", &shuffle);
    return std::make_unique<GridSampler>(resolution, shuffle);
  }
  if (name == "tpe") {
    OptionReader r(name, opts, kTpeOptionKeys);
    return std::make_unique<TpeSampler>(read_tpe(r));
  }
  if (name == "auto") {
    // Both parts' options; n_startup goes to both.
    std::vector<std::string> keys = kGpOptionKeys;
    for (const std::string& k : kTpeOptionKeys)
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    OptionReader r(name, opts, keys);
    return std::make_unique<AutoSampler>(read_gp(r), read_tpe(r));
  }
  if (name == "gp") {
    OptionReader r(name, opts, kGpOptionKeys);
    return std::make_unique<GpSampler>(read_gp(r));
  }
  if (name == "coarse-fine") {
    std::vector<std::string> keys = kGpOptionKeys;
    keys.push_back("n_random");
    OptionReader r(name, opts, keys);
    int n_random = -1;
    r.get("n_random", &n_random);
    return std::make_unique<CoarseFineSampler>(n_random, read_gp(r));
  }
  std::string list;
  for (const std::string& s : sampler_names()) list += (list.empty() ? "" : ", ") + s;
  throw ConfigError("unknown sampler '" + name + "' (available: " + list + ")");
}

}  // namespace gd::tune
