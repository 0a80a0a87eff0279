#pragma once
// Step 2 of the workflow, the trivial baseline: always predict the class that is most frequent in
// the TRAINING split, and measure how often that is right on the VALIDATION split. Every model of
// the workflow must beat this number; on a balanced dataset it is about 1 / classes.
#include <cstdint>
#include <nlohmann/json.hpp>

#include "engine/data/dataset.h"

namespace gd::workflow {

struct MajorityBaseline {
  int majority_class = 0;   // most frequent training label (the smallest on ties)
  int64_t train_count = 0;  // its training samples
  int64_t train_total = 0;
  int64_t val_correct = 0;  // validation samples of that class
  int64_t val_total = 0;
  double val_accuracy = 0.0;  // val_correct / val_total
};

// Throws DataError when either split is empty, when their class counts differ, or on a label out
// of range (naming the split).
MajorityBaseline majority_class_baseline(const Dataset& train, const Dataset& val);

nlohmann::json to_json(const MajorityBaseline& b);

}  // namespace gd::workflow
