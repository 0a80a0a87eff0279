#pragma once
// The metadata an exported model carries (ONNX metadata_props), so a runtime user knows how to feed
// it without this engine: class names, input size and range, the preprocessing style (MNIST or
// USPS, engine/image/digit_preprocess.h) and the normalisation the graph applies.
#include <string>
#include <utility>
#include <vector>

#include "engine/train/model_io.h"

namespace gd {

// Keys, in order: spec, class_names (a JSON array), num_classes, input_size ("28x28"), input,
// input_range, preprocessing ("mnist" | "usps"), preprocessing_description, normalisation,
// normalisation_mean, normalisation_std, outputs. Throws ConfigError for an input that is not
// (1, S, S) (no digit preprocessing exists for it).
std::vector<std::pair<std::string, std::string>> onnx_metadata(const ModelInfo& info);

}  // namespace gd
