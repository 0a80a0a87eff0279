#pragma once
// The gallery of misclassified digits: the wrongly classified samples, most confident first,
// each shown as its image with the true label, the predicted label and the confidence.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/dataset.h"
#include "engine/train/predict.h"

namespace gd::report {

inline constexpr int kDefaultGalleryLimit = 64;

struct Misclassified {
  int64_t index = 0;        // sample index in the evaluated dataset
  int true_label = 0;
  int predicted = 0;
  double confidence = 0.0;  // probability of the predicted class
  double true_prob = 0.0;   // probability given to the true class
};

// All misclassified samples sorted by confidence (highest first; ties by index), at most `limit`
// (>= 0, else ShapeError). labels.size() must equal p.n (ShapeError).
std::vector<Misclassified> select_misclassified(const Predictions& p, const std::vector<uint8_t>& labels,
                                                int limit = kDefaultGalleryLimit);

// A grid of <figure> tiles (image at 3x its pixel size, "true -> predicted", confidence and the
// probability of the true class, sample index in the tooltip). class_names: empty for "0".."C-1".
std::string misclassified_gallery(const Dataset& images, const std::vector<Misclassified>& items,
                                  const std::vector<std::string>& class_names);

}  // namespace gd::report
