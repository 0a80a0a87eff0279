#pragma once
// What a study optimises (the objective's fixed settings) and how a trial's parameters become a
// TrainConfig. Parameter names are a fixed vocabulary (below) so a typo in a search space is an
// error at study creation, not a silently ignored knob.
//
// Training hyperparameters: lr, momentum, nesterov ("true"/"false" or 0/1), weight_decay,
//   optimizer (sgd|adam|adamw|rmsprop), beta1, beta2, schedule (constant|step|cosine|onecycle),
//   warmup_epochs, dropout, label_smoothing, batch_size, epochs, augment ("true"/"false" or 0/1),
//   clip_grad_norm, init.
// Architecture (arch "mlp" only): layers (number of hidden layers), width<i> (units of hidden layer
//   i, 1-based) or neurons (one width for every hidden layer), activation (relu|tanh|elu|gelu|sigmoid),
//   batchnorm ("true"/"false"). The spec is "fc<w>,[bn,]<act>,dropout<d>" per hidden layer, then
//   "fc<classes>".
// Any other name must appear as "{name}" in a spec template (ObjectiveConfig::arch containing '{'),
//   e.g. "conv{c1}k3,relu,conv{c2}k3,relu,pool2,fc{dense},relu,dropout,fc10".
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/data/registry.h"
#include "engine/train/train_config.h"
#include "engine/tune/trial.h"

namespace gd::tune {

struct ObjectiveConfig {
  std::string arch = "mlp";              // mlp | cnn | lcnn | spec string | spec template with {param}
  std::string metric = "val_accuracy";   // val_accuracy (maximised) | val_loss (minimised)
  int max_epochs = 10;                   // epochs of a full trial (schedule horizon; ASHA max resource)
  DataOptions data;
  int64_t limit_train = 0;               // use only this many training samples (0 = all)
  double val_split = 0.1;                // the validation set the objective is measured on
  uint64_t seed = 1;                     // training seed of every trial (same init/shuffle streams)
  std::string device = "cpu";            // auto | cpu | cuda
  std::string precision = "fp32";        // fp32 | tf32 | bf16 (CUDA math mode, docs/precision.md)
  int threads = 0;                       // CPU threads per trial (0 = all cores / workers)
};

Direction metric_direction(const std::string& metric);  // ConfigError for an unknown metric
nlohmann::json to_json(const ObjectiveConfig& c);
ObjectiveConfig objective_from_json(const nlohmann::json& j);  // DataError on a bad document
void validate(const ObjectiveConfig& c);                        // ConfigError naming the field

// Parameter names the objective understands for this config (vocabulary + template placeholders).
// A search space may only use these: check_param_names throws ConfigError naming the first unknown
// one and listing the accepted names.
std::vector<std::string> known_param_names(const ObjectiveConfig& c);
void check_param_names(const ObjectiveConfig& c, const std::vector<std::string>& names);

// The TrainConfig of one trial: recipe defaults of the arch, then the trial's parameters, then
// the objective's fixed settings (epochs = max_epochs unless the trial sets "epochs"; the test set
// is never used). Throws ConfigError for a value the trainer would reject, naming the parameter.
TrainConfig trial_train_config(const ObjectiveConfig& c, const nlohmann::json& params,
                               const std::string& out_dir);

}  // namespace gd::tune
