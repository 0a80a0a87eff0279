#pragma once
// What one `gpu_workflow` invocation was asked to do (its flags), and the part of it that shapes
// the results: a rerun on the same --out continues only when that part is unchanged.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/workflow/overfit_detection.h"

namespace gd::workflow {

struct WorkflowSettings {
  std::string dataset = "mnist-10k";  // load_dataset names
  std::string data_dir, cache_dir;
  bool allow_download = true;
  std::string device = "auto";        // auto | cpu | cuda
  int threads = 0;                    // CPU threads (0 = all cores)
  uint64_t seed = 1;                  // training seed of every model (init, shuffles, dropout, augmentation)
  std::string out = "runs/workflow";  // workflow.json, report.html and every step's run directories
  std::string report;                 // "" = <out>/report.html
  std::string budget = "standard";    // budget.h
  std::string arch_family = "mlp";    // mlp | cnn (model_family.h)
  int64_t limit_train = 0;            // train on this many samples of the training split (0 = all)
  double val_split = 0.1;             // stratified validation fraction of the training set (fixed seed)
  std::string sampler = "tpe";        // tuning sampler: tpe | gp | random
  int trials = 0;                     // tuning trials (0 = the budget's)
  double overfit_margin = kDefaultOverfitMargin;
  bool verbose = false;  // per-epoch lines instead of one line per model
};

// Throws ConfigError naming the flag and the value (unknown budget, family, sampler, device,
// dataset; limit below 0; val_split outside (0, 1); trials below 0; margin not > 0).
void validate(const WorkflowSettings& s);

// The settings that shape results (dataset, device, seed, budget, family, limit, validation split,
// sampler, trials, margin): the resume key stored in workflow.json. Paths, threads and verbosity
// are left out (they change where and how fast, not what).
nlohmann::json result_settings(const WorkflowSettings& s);

// "key: stored -> now" for every key whose value differs (keys missing on either side included);
// empty when the settings match.
std::vector<std::string> settings_differences(const nlohmann::json& stored, const nlohmann::json& now);

// <out>/report.html unless --report was given.
std::string report_path(const WorkflowSettings& s);

}  // namespace gd::workflow
