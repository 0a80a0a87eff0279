#pragma once
// A model's architecture as data for reports: one row per layer (type, spec token, output shape,
// parameter count, forward FLOPs per sample) and the totals, with an HTML table and JSON.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/graph/network.h"

namespace gd::report {

struct LayerSummary {
  int index = 0;
  std::string kind;          // "Conv2d", "Dense", ...
  std::string spec;          // spec-string token ("conv32k5p2")
  std::string output_shape;  // per sample, e.g. "(32,28,28)"
  int64_t params = 0;
  double flops = 0.0;  // forward FLOPs per sample (2 per multiply-add)
};

struct ModelSummary {
  std::string spec;         // spec string of the whole model
  std::string input_shape;  // per sample, e.g. "(1,28,28)"
  std::vector<LayerSummary> layers;
  int64_t total_params = 0;
  double total_flops = 0.0;
};

ModelSummary summarize_model(const Network& net);

// Table: #, layer, spec, output shape, parameters, MFLOPs/sample, and a totals row.
std::string model_summary_table(const ModelSummary& m);

nlohmann::json model_summary_to_json(const ModelSummary& m);

}  // namespace gd::report
