// The workflow's model families as tuner parameter points (model_family.h).
#include "engine/workflow/model_family.h"

#include <sstream>

#include "engine/core/error.h"
#include "engine/train/train_config.h"

namespace gd::workflow {
namespace {

constexpr double kWeightDecay = 5e-4;

std::string cnn_template(bool bn) {
  const std::string b = bn ? "bn," : "";
  return "conv{c1}k3p1," + b + "relu,pool2,conv{c2}k3p1," + b + "relu,pool2,fc{fc}," + b + "relu,dropout,fc10";
}

std::string number_text(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

ArchFamily parse_arch_family(const std::string& s) {
  if (s == "mlp") return ArchFamily::Mlp;
  if (s == "cnn") return ArchFamily::Cnn;
  throw ConfigError("--arch-family must be mlp or cnn, got '" + s + "'");
}

const char* to_string(ArchFamily f) { return f == ArchFamily::Mlp ? "mlp" : "cnn"; }

std::string Regularisation::describe() const {
  std::string s;
  auto add = [&](const std::string& part) { s += (s.empty() ? "" : " + ") + part; };
  if (dropout > 0) add("dropout " + number_text(dropout));
  if (weight_decay > 0) add("weight decay " + number_text(weight_decay));
  if (batchnorm) add("batch norm");
  if (augment) add("augmentation");
  return s.empty() ? "none" : s;
}

nlohmann::json Regularisation::to_json() const {
  return {{"dropout", dropout}, {"weight_decay", weight_decay}, {"batchnorm", batchnorm}, {"augment", augment}};
}

Regularisation Regularisation::from_json(const nlohmann::json& j) {
  try {
    Regularisation r;
    r.dropout = j.at("dropout").get<double>();
    r.weight_decay = j.at("weight_decay").get<double>();
    r.batchnorm = j.at("batchnorm").get<bool>();
    r.augment = j.at("augment").get<bool>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("regularisation record is malformed: ") + e.what());
  }
}

Regularisation combine(const Regularisation& a, const Regularisation& b) {
  Regularisation r = a;
  if (b.dropout > 0) r.dropout = b.dropout;
  if (b.weight_decay > 0) r.weight_decay = b.weight_decay;
  r.batchnorm = a.batchnorm || b.batchnorm;
  r.augment = a.augment || b.augment;
  return r;
}

Capacity ModelFamily::capacity(int64_t w) const {
  GD_CHECK_T(w >= 1, ConfigError, "model width must be >= 1, got " << w);
  Capacity c;
  c.width = w;
  if (kind_ == ArchFamily::Mlp) {
    c.label = "2 x " + std::to_string(w);
  } else {
    c.label = "c=" + std::to_string(w) + " (" + std::to_string(w) + "-" + std::to_string(2 * w) + "-" +
              std::to_string(8 * w) + ")";
  }
  return c;
}

std::vector<Capacity> ModelFamily::capacities(const WorkflowBudget& b) const {
  std::vector<Capacity> out;
  for (int64_t w : kind_ == ArchFamily::Mlp ? b.mlp_widths : b.cnn_channels) out.push_back(capacity(w));
  return out;
}

std::string ModelFamily::arch(bool batchnorm) const {
  return kind_ == ArchFamily::Mlp ? std::string("mlp") : cnn_template(batchnorm);
}

std::string ModelFamily::width_param() const { return kind_ == ArchFamily::Mlp ? "neurons" : "fc"; }

int64_t ModelFamily::width_value(const Capacity& c) const { return kind_ == ArchFamily::Mlp ? c.width : 8 * c.width; }

ModelPoint ModelFamily::point(const Capacity& c, const Regularisation& r, double lr, int epochs,
                              const std::string& schedule) const {
  ModelPoint p;
  p.arch = arch(r.batchnorm);
  if (kind_ == ArchFamily::Mlp) {
    p.params["layers"] = 2;
    p.params["neurons"] = c.width;
    p.params["batchnorm"] = r.batchnorm;
  } else {
    p.params["c1"] = c.width;
    p.params["c2"] = 2 * c.width;
    p.params["fc"] = 8 * c.width;
  }
  p.params["dropout"] = r.dropout;
  p.params["weight_decay"] = r.weight_decay;
  p.params["augment"] = r.augment;
  p.params["lr"] = lr;
  p.params["epochs"] = epochs;
  if (!schedule.empty()) p.params["schedule"] = schedule;
  return p;
}

std::vector<std::pair<std::string, Regularisation>> ModelFamily::single_regularisers() const {
  Regularisation d, w, b, a;
  d.dropout = kind_ == ArchFamily::Mlp ? 0.3 : 0.5;
  w.weight_decay = kWeightDecay;
  b.batchnorm = true;
  a.augment = true;
  return {{"dropout", d}, {"weight decay", w}, {"batch norm", b}, {"augmentation", a}};
}

ModelPoint softmax_regression(double lr, int epochs) {
  ModelPoint p;
  p.arch = "mlp";
  p.params = {{"layers", 0},      {"dropout", 0.0}, {"weight_decay", 0.0},
              {"augment", false}, {"lr", lr},       {"epochs", epochs}};
  return p;
}

double recipe_lr(ArchFamily f) {
  TrainConfig c;
  c.arch = f == ArchFamily::Mlp ? "mlp" : "cnn";  // trial_train_config gives templates the cnn recipe
  apply_recipe(c, ExplicitFlags{});
  return c.optim.lr;
}

}  // namespace gd::workflow
