#pragma once
// The models the workflow trains, written as points of the tuner's parameter vocabulary
// (engine/tune/trial_config.h): an objective arch plus trial parameters. Every model of every step
// therefore goes through tune::trial_train_config, the very function that turns the tuning step's
// trials into TrainConfigs, so all steps share one training protocol.
//
// Families (`--arch-family`):
//   mlp: arch "mlp", two hidden layers of `neurons` units: fc<w>,[bn,]relu,dropout<d> twice, fc10.
//   cnn: a spec template with the placeholders {c1}, {c2}, {fc}; capacity c gives c1 = c, c2 = 2c,
//        fc = 8c: conv{c1}k3p1,[bn,]relu,pool2,conv{c2}k3p1,[bn,]relu,pool2,fc{fc},[bn,]relu,dropout,fc10
//        (the bare `dropout` token takes the trial's dropout).
// The baseline model of both families is a softmax regression (arch "mlp" with 0 hidden layers:
// "fc10").
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/workflow/budget.h"

namespace gd::workflow {

enum class ArchFamily { Mlp, Cnn };

// "mlp" | "cnn", else ConfigError naming the value.
ArchFamily parse_arch_family(const std::string& s);
const char* to_string(ArchFamily f);

// The regularisers compared in step d (all off = the overfitting model).
struct Regularisation {
  double dropout = 0.0;       // probability of every tunable dropout layer
  double weight_decay = 0.0;  // L2 coefficient of the optimiser
  bool batchnorm = false;     // batch normalisation before every hidden activation
  bool augment = false;       // random shifts, rotations and scaling of training images
  // "none", or the active ones joined by " + " ("dropout 0.3 + batch norm").
  std::string describe() const;
  nlohmann::json to_json() const;
  static Regularisation from_json(const nlohmann::json& j);  // DataError on a bad document
};

// Regularisation `a` with every regulariser active in `b` switched on too (b's strengths).
Regularisation combine(const Regularisation& a, const Regularisation& b);

struct Capacity {
  std::string label;  // "2 x 1024" (mlp), "c=16 (16-32-128)" (cnn)
  int64_t width = 0;  // mlp: units per hidden layer; cnn: base channels c
};

// A model as the tuner sees it.
struct ModelPoint {
  std::string arch;  // objective arch: "mlp" or a spec template
  nlohmann::json params = nlohmann::json::object();
};

class ModelFamily {
 public:
  explicit ModelFamily(ArchFamily kind) : kind_(kind) {}
  ArchFamily kind() const { return kind_; }

  std::vector<Capacity> capacities(const WorkflowBudget& b) const;
  Capacity capacity(int64_t width) const;
  // The model of capacity `c` with regularisation `r`, learning rate `lr`, trained `epochs`;
  // `schedule` "" keeps the recipe's learning-rate schedule (cosine), else e.g. "constant".
  ModelPoint point(const Capacity& c, const Regularisation& r, double lr, int epochs,
                   const std::string& schedule = "") const;
  // The objective arch for batch norm on/off (mlp: "mlp" either way; the parameter decides).
  std::string arch(bool batchnorm) const;
  // The parameter the tuner varies for width ("neurons" | "fc") and its value at capacity c.
  std::string width_param() const;
  int64_t width_value(const Capacity& c) const;
  // The regularisers of step d, one at a time, at the strengths this family uses:
  // dropout 0.3 (mlp) / 0.5 (cnn, before the dense layer), weight decay 5e-4, batch norm,
  // augmentation (the trainer's defaults: shift 2 px, rotation 10 degrees, scale 10%).
  std::vector<std::pair<std::string, Regularisation>> single_regularisers() const;

 private:
  ArchFamily kind_;
};

// The softmax-regression baseline: arch "mlp", 0 hidden layers ("fc10").
ModelPoint softmax_regression(double lr, int epochs);

// The learning rate of the family's recipe (apply_recipe for "mlp" / the generic "cnn" recipe of
// spec templates): what every model of the workflow trains with until the tuner changes it.
double recipe_lr(ArchFamily f);

}  // namespace gd::workflow
