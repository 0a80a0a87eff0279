#pragma once
// Everything that defines a training run. Resolved once (recipe defaults filled in), written to the
// run directory as config.json and stored in every checkpoint, so a run can be resumed or repeated.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/data/registry.h"
#include "engine/ops/augment.h"
#include "engine/optim/optimizer.h"
#include "engine/optim/schedule.h"

namespace gd {

struct TrainConfig {
  std::string arch = "mlp";  // mlp | cnn | lcnn | spec string
  std::string spec;          // resolved spec string (filled by resolve_config)
  DataOptions data;
  double val_split = 0.1;    // fraction of the training set held out for validation
  uint64_t val_seed = 20261121;  // fixed: the same validation set for every --seed
  int epochs = 0;            // 0 = recipe default
  int64_t batch_size = 128;  // recipe default: 128 (lcnn 64)
  OptimizerConfig optim;
  ScheduleConfig schedule;
  double dropout = -1.0;     // < 0 = recipe default
  double label_smoothing = 0.0;
  std::string init = "he-uniform";
  int early_stopping = 0;    // patience in epochs; 0 = off
  std::string monitor = "val_loss";  // val_loss | val_accuracy
  double min_delta = 0.0;
  bool augment = false;
  AugmentParams augment_params;
  double clip_grad_norm = 0.0;  // 0 = off
  uint64_t seed = 1;
  int64_t limit_train = 0;   // use only the first N training samples (0 = all); for quick runs
  std::string device = "auto";
  bool cuda_graph = true;    // CUDA: record the training step once as a CUDA graph and replay it
  std::string precision = "fp32";  // fp32 | tf32 | bf16: math of GEMMs and convolutions (CUDA only)
  std::string out;           // run directory ("" = runs/<arch>-<time>)
  std::string resume;        // checkpoint to continue from
  int threads = 0;           // CPU threads (0 = all cores)
};

// Recipe defaults per named architecture: the settings `gpu_train --arch X` uses when no flag
// overrides them. `explicit_*` tell which fields the user set.
struct ExplicitFlags {
  bool optimizer = false, lr = false, momentum = false, nesterov = false, epochs = false,
       dropout = false, schedule = false, weight_decay = false, batch_size = false, warmup = false;
};
void apply_recipe(TrainConfig& cfg, const ExplicitFlags& set);

// Checks every field; throws ConfigError naming the flag and the bad value.
void validate(const TrainConfig& cfg);

nlohmann::json to_json(const TrainConfig& cfg);
TrainConfig train_config_from_json(const nlohmann::json& j);

}  // namespace gd
