#pragma once
// The most confused class pairs of a confusion matrix: the largest off-diagonal cells.
//
// Conventions: a pair is (true class t, predicted class p) with t != p and count > 0 (cells with no
// errors are never listed). share_of_true = count / support(t), the fraction of class t's samples
// predicted as p; it is always well defined because count > 0 implies support(t) > 0. Pairs are
// ordered by count (largest first), then by share_of_true (largest first), then by (t, p)
// ascending, so the order is fully determined.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/train/metrics.h"

namespace gd {

struct ConfusedPair {
  int true_class = 0;
  int predicted_class = 0;
  int64_t count = 0;
  double share_of_true = 0.0;  // count / support of true_class, in (0, 1]
};

// At most k pairs (k >= 0; ShapeError otherwise); fewer when there are fewer non-empty
// off-diagonal cells.
std::vector<ConfusedPair> most_confused_pairs(const ClassificationReport& r, int k = 10);

// Text table: true, predicted (by class name), count, share of the true class in percent.
std::string format_confused_pairs(const std::vector<ConfusedPair>& pairs, const ClassificationReport& r);

// [{true, predicted, true_name, predicted_name, count, share_of_true}]
nlohmann::json confused_pairs_to_json(const std::vector<ConfusedPair>& pairs, const ClassificationReport& r);

}  // namespace gd
