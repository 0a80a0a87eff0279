#include "engine/tune/trial_config.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "engine/core/error.h"
#include "engine/core/math_precision.h"
#include "engine/model/spec.h"

namespace gd::tune {
namespace {

const std::vector<std::string>& training_names() {
  static const std::vector<std::string> names = {
      "lr", "momentum", "nesterov", "weight_decay", "optimizer", "beta1", "beta2", "schedule",
      "warmup_epochs", "dropout", "label_smoothing", "batch_size", "epochs", "augment",
      "clip_grad_norm", "init"};
  return names;
}
const std::vector<std::string>& mlp_names() {
  static const std::vector<std::string> names = {"layers", "neurons", "activation", "batchnorm"};
  return names;
}
constexpr int kMaxMlpLayers = 8;

bool is_template(const std::string& arch) { return arch.find('{') != std::string::npos; }

std::vector<std::string> template_placeholders(const std::string& arch) {
  std::vector<std::string> out;
  static const std::regex re(R"(\{([A-Za-z_][A-Za-z0-9_]*)\})");
  for (auto it = std::sregex_iterator(arch.begin(), arch.end(), re); it != std::sregex_iterator(); ++it)
    if (std::find(out.begin(), out.end(), (*it)[1].str()) == out.end()) out.push_back((*it)[1].str());
  return out;
}

double number(const nlohmann::json& params, const std::string& name) {
  const auto& v = params.at(name);
  GD_CHECK_T(v.is_number(), ConfigError, "trial parameter '" << name << "' must be a number, got " << v.dump());
  const double d = v.get<double>();
  GD_CHECK_T(std::isfinite(d), ConfigError, "trial parameter '" << name << "' is not finite: " << v.dump());
  return d;
}

int64_t integer(const nlohmann::json& params, const std::string& name) {
  const double d = number(params, name);
  GD_CHECK_T(d == std::floor(d), ConfigError, "trial parameter '" << name << "' must be an integer, got " << d);
  return static_cast<int64_t>(d);
}

std::string text(const nlohmann::json& params, const std::string& name) {
  const auto& v = params.at(name);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) {
    std::ostringstream os;
    os << v.get<double>();
    return os.str();
  }
  throw ConfigError("trial parameter '" + name + "' must be a string or number, got " + v.dump());
}

bool flag(const nlohmann::json& params, const std::string& name) {
  const auto& v = params.at(name);
  if (v.is_boolean()) return v.get<bool>();
  const std::string t = text(params, name);
  if (t == "true" || t == "1" || t == "on" || t == "yes") return true;
  if (t == "false" || t == "0" || t == "off" || t == "no") return false;
  throw ConfigError("trial parameter '" + name + "' must be true/false, got " + v.dump());
}

std::string format_value(const nlohmann::json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) {
    const double d = v.get<double>();
    if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<int64_t>(d));
    std::ostringstream os;
    os.precision(6);
    os << d;
    return os.str();
  }
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string mlp_spec(const nlohmann::json& params, int classes, double dropout) {
  const int64_t layers = params.contains("layers") ? integer(params, "layers") : 2;
  GD_CHECK_T(layers >= 0 && layers <= kMaxMlpLayers, ConfigError,
             "trial parameter 'layers' must be in [0, " << kMaxMlpLayers << "], got " << layers);
  const std::string act = params.contains("activation") ? text(params, "activation") : "relu";
  const bool bn = params.contains("batchnorm") && flag(params, "batchnorm");
  static const int64_t default_widths[] = {512, 256};
  std::ostringstream spec;
  for (int64_t i = 1; i <= layers; ++i) {
    const std::string wname = "width" + std::to_string(i);
    int64_t width = 0;
    if (params.contains(wname)) width = integer(params, wname);
    else if (params.contains("neurons")) width = integer(params, "neurons");
    else width = i <= 2 ? default_widths[i - 1] : 256;
    GD_CHECK_T(width >= 1, ConfigError, "trial parameter '" << wname << "' must be >= 1, got " << width);
    spec << "fc" << width << (bn ? ",bn," : ",") << act << ",dropout" << dropout << ",";
  }
  spec << "fc" << classes;
  return spec.str();
}

}  // namespace

Direction metric_direction(const std::string& metric) {
  if (metric == "val_accuracy") return Direction::Maximize;
  if (metric == "val_loss") return Direction::Minimize;
  throw ConfigError("unknown objective metric '" + metric + "' (expected val_accuracy or val_loss)");
}

nlohmann::json to_json(const ObjectiveConfig& c) {
  return {{"arch", c.arch},           {"metric", c.metric},       {"max_epochs", c.max_epochs},
          {"dataset", c.data.dataset}, {"data_dir", c.data.data_dir}, {"cache_dir", c.data.cache_dir},
          {"allow_download", c.data.allow_download},                {"limit_train", c.limit_train},
          {"val_split", c.val_split},  {"seed", c.seed},           {"device", c.device},
          {"precision", c.precision},  {"threads", c.threads}};
}

namespace {

// An integer field of a stored document: a JSON integer that fits T (nlohmann's get<T>() would
// convert 1e38 or -1 with undefined or wrapping results); DataError naming the key otherwise.
template <typename T>
T integer_field(const nlohmann::json& j, const char* key, std::optional<T> fallback) {
  if (!j.contains(key)) {
    if (fallback) return *fallback;
    throw DataError(std::string("study objective configuration has no '") + key + "'");
  }
  const nlohmann::json& v = j.at(key);
  bool fits = false;
  if (v.is_number_unsigned()) {
    fits = v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max());
  } else if (v.is_number_integer()) {  // a signed value: compare in the wider of the two types
    const int64_t x = v.get<int64_t>();
    fits = std::numeric_limits<T>::is_signed
               ? x >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                     x <= static_cast<int64_t>(std::numeric_limits<T>::max())
               : x >= 0 && static_cast<uint64_t>(x) <= static_cast<uint64_t>(std::numeric_limits<T>::max());
  }
  if (!fits)
    throw DataError(std::string("study objective configuration: '") + key + "' must be an integer in [" +
                    std::to_string(std::numeric_limits<T>::min()) + ", " + std::to_string(std::numeric_limits<T>::max()) +
                    "], got " + v.dump());
  return v.is_number_unsigned() ? static_cast<T>(v.get<uint64_t>()) : static_cast<T>(v.get<int64_t>());
}

}  // namespace

ObjectiveConfig objective_from_json(const nlohmann::json& j) {
  ObjectiveConfig c;
  try {
    c.arch = j.at("arch").get<std::string>();
    c.metric = j.at("metric").get<std::string>();
    c.max_epochs = integer_field<int>(j, "max_epochs", std::nullopt);
    c.data.dataset = j.at("dataset").get<std::string>();
    c.data.data_dir = j.value("data_dir", std::string());
    c.data.cache_dir = j.value("cache_dir", std::string());
    c.data.allow_download = j.value("allow_download", true);
    c.limit_train = integer_field<int64_t>(j, "limit_train", int64_t{0});
    c.val_split = j.value("val_split", 0.1);
    c.seed = integer_field<uint64_t>(j, "seed", uint64_t{1});
    c.device = j.value("device", std::string("cpu"));
    c.precision = j.value("precision", std::string("fp32"));  // absent in studies made before the option
    c.threads = integer_field<int>(j, "threads", 0);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("study objective configuration is malformed: ") + e.what());
  }
  return c;
}

void validate(const ObjectiveConfig& c) {
  metric_direction(c.metric);
  GD_CHECK_T(c.max_epochs >= 1 && c.max_epochs <= 10000, ConfigError,
             "objective max_epochs must be in [1, 10000], got " << c.max_epochs);
  GD_CHECK_T(c.val_split > 0.0 && c.val_split < 1.0, ConfigError,
             "tuning needs a validation set: val_split must be in (0, 1), got " << c.val_split);
  GD_CHECK_T(c.limit_train >= 0, ConfigError, "limit_train must be >= 0, got " << c.limit_train);
  GD_CHECK_T(c.threads >= 0, ConfigError, "threads must be >= 0, got " << c.threads);
  GD_CHECK_T(c.device == "auto" || c.device == "cpu" || c.device == "cuda", ConfigError,
             "device must be auto, cpu or cuda, got '" << c.device << "'");
  try {
    parse_math_precision(c.precision);
  } catch (const ConfigError& e) {
    throw ConfigError(std::string("objective precision: ") + e.what());
  }
  if (!is_template(c.arch)) resolve_arch(c.arch, 10, 0.5);  // throws on a bad arch / spec string
}

std::vector<std::string> known_param_names(const ObjectiveConfig& c) {
  std::vector<std::string> names = training_names();
  if (c.arch == "mlp") {
    names.insert(names.end(), mlp_names().begin(), mlp_names().end());
    for (int i = 1; i <= kMaxMlpLayers; ++i) names.push_back("width" + std::to_string(i));
  }
  if (is_template(c.arch))
    for (const auto& p : template_placeholders(c.arch)) names.push_back(p);
  return names;
}

void check_param_names(const ObjectiveConfig& c, const std::vector<std::string>& names) {
  const std::vector<std::string> known = known_param_names(c);
  for (const auto& n : names) {
    if (std::find(known.begin(), known.end(), n) != known.end()) continue;
    std::ostringstream os;
    os << "search-space parameter '" << n << "' means nothing to the objective (arch '" << c.arch
       << "'); accepted names:";
    for (const auto& k : known) os << ' ' << k;
    throw ConfigError(os.str());
  }
  if (is_template(c.arch))
    for (const auto& p : template_placeholders(c.arch))
      GD_CHECK_T(std::find(names.begin(), names.end(), p) != names.end(), ConfigError,
                 "the spec template uses {" << p << "} but the search space has no parameter '" << p << "'");
}

TrainConfig trial_train_config(const ObjectiveConfig& c, const nlohmann::json& params,
                               const std::string& out_dir) {
  GD_CHECK_T(params.is_object(), ConfigError, "trial parameters must be a JSON object, got " << params.dump());
  TrainConfig t;
  ExplicitFlags set;
  t.arch = is_template(c.arch) ? "cnn" : c.arch;  // a template gets the generic (cnn) recipe
  auto has = [&](const char* n) { return params.contains(n); };
  if (has("optimizer")) { t.optim.name = text(params, "optimizer"); set.optimizer = true; }
  if (has("lr")) { t.optim.lr = number(params, "lr"); set.lr = true; }
  if (has("momentum")) { t.optim.momentum = number(params, "momentum"); set.momentum = true; }
  if (has("nesterov")) { t.optim.nesterov = flag(params, "nesterov"); set.nesterov = true; }
  if (has("weight_decay")) { t.optim.weight_decay = number(params, "weight_decay"); set.weight_decay = true; }
  if (has("schedule")) { t.schedule.name = text(params, "schedule"); set.schedule = true; }
  if (has("dropout")) { t.dropout = number(params, "dropout"); set.dropout = true; }
  if (has("batch_size")) { t.batch_size = integer(params, "batch_size"); set.batch_size = true; }
  set.epochs = true;
  t.epochs = c.max_epochs;
  if (has("epochs")) t.epochs = static_cast<int>(integer(params, "epochs"));
  apply_recipe(t, set);
  // Nesterov needs SGD with momentum: when the sampled optimiser or momentum rules it out it is
  // turned off rather than failing the trial (apply_recipe already decides it when not sampled).
  if (t.optim.name != "sgd" || t.optim.momentum <= 0) t.optim.nesterov = false;
  if (has("beta1")) t.optim.beta1 = number(params, "beta1");
  if (has("beta2")) t.optim.beta2 = number(params, "beta2");
  if (has("warmup_epochs")) t.schedule.warmup_epochs = number(params, "warmup_epochs");
  if (has("label_smoothing")) t.label_smoothing = number(params, "label_smoothing");
  if (has("augment")) t.augment = flag(params, "augment");
  if (has("clip_grad_norm")) t.clip_grad_norm = number(params, "clip_grad_norm");
  if (has("init")) t.init = text(params, "init");

  const int classes = 10;  // digit datasets; the spec's last layer is checked against the data
  if (is_template(c.arch)) {
    std::string spec = c.arch;
    for (const auto& p : template_placeholders(c.arch)) {
      GD_CHECK_T(params.contains(p), ConfigError, "the spec template needs parameter '" << p << "'");
      const std::string token = "{" + p + "}";
      for (size_t at; (at = spec.find(token)) != std::string::npos;) spec.replace(at, token.size(), format_value(params.at(p)));
    }
    t.spec = resolve_arch(spec, classes, t.dropout);
  } else if (c.arch == "mlp") {
    t.spec = resolve_arch(mlp_spec(params, classes, t.dropout), classes, t.dropout);
  } else {
    t.spec = resolve_arch(c.arch, classes, t.dropout);
  }
  t.data = c.data;
  t.val_split = c.val_split;
  t.limit_train = c.limit_train;
  t.seed = c.seed;
  t.device = c.device;
  t.precision = c.precision;
  t.threads = c.threads;
  t.out = out_dir;
  t.monitor = c.metric;
  validate(t);
  return t;
}

}  // namespace gd::tune
