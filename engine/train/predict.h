#pragma once
// Class probabilities for every sample of a dataset: the network in inference mode, softmax on the
// backend, one copy back to the host per batch. Used by gpu_eval (calibration, misclassified
// gallery), gpu_predict and reports.
#include <cstdint>
#include <vector>

#include "engine/data/dataset.h"
#include "engine/graph/network.h"

namespace gd {

struct Predictions {
  int64_t n = 0;
  int num_classes = 0;
  std::vector<float> probs;    // (n, num_classes), rows sum to 1
  std::vector<int32_t> label;  // (n) argmax of each row (lowest index on ties)
  float prob(int64_t i, int c) const { return probs[static_cast<size_t>(i) * num_classes + c]; }
  float confidence(int64_t i) const { return prob(i, label[static_cast<size_t>(i)]); }
};

// `data` must have the network's input geometry (ShapeError otherwise, naming both shapes); its
// labels are not used. mean/std: the model's input normalisation (ModelInfo).
Predictions predict(Network& net, const Dataset& data, float mean, float std);

}  // namespace gd
