#pragma once
// Moving a Network's weights and state between backend memory and checkpoints.
// A checkpoint's meta holds "model": {spec, input_shape, num_classes, class_names, mean, std,
// num_params, num_state, params: [{name, shape, offset}]} so a model can be rebuilt from it alone.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/graph/network.h"
#include "engine/train/checkpoint.h"

namespace gd {

std::vector<float> read_floats(Backend& be, const float* src, int64_t n);
void write_floats(Backend& be, float* dst, const std::vector<float>& values, const std::string& what);

struct ModelInfo {
  std::string spec;
  Shape input;  // (C,H,W)
  int num_classes = 10;
  std::vector<std::string> class_names;
  float mean = 0.f, std = 1.f;  // input normalisation
};

nlohmann::json model_meta(const Network& net, const ModelInfo& info);
ModelInfo model_info_from_meta(const nlohmann::json& meta);  // throws DataError when absent/bad

// Appends "<prefix>params" and "<prefix>state" arrays for the network's current values.
void append_weights(Checkpoint& ck, const Network& net, const std::string& prefix);
// Loads "<prefix>params"/"<prefix>state" into the network; checks sizes against the network.
void load_weights(Network& net, const Checkpoint& ck, const std::string& prefix);

// Rebuilds the network described by a checkpoint (its "model" meta) with freshly planned buffers
// and loads its weights ("params"/"state").
std::unique_ptr<Network> network_from_checkpoint(const Checkpoint& ck, Backend& be, int64_t max_batch,
                                                 ModelInfo* info);

}  // namespace gd
