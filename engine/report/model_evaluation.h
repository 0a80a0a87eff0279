#pragma once
// A checkpoint evaluated on a dataset, with everything the reports need: the model rebuilt from
// the checkpoint, its summary, per-sample probabilities and the detailed evaluation.
#include <cstdint>
#include <string>

#include "engine/backend/backend.h"
#include "engine/data/dataset.h"
#include "engine/report/model_summary.h"
#include "engine/train/checkpoint.h"
#include "engine/train/detailed_evaluation.h"
#include "engine/train/model_io.h"
#include "engine/train/predict.h"

namespace gd::report {

struct EvaluatedModel {
  ModelInfo info;
  ModelSummary summary;
  Predictions predictions;
  DetailedEvaluation eval;
};

// Rebuilds the model of `ck` (loaded from `checkpoint_path`, used in messages) on `be` with batches
// of `batch_size` (>= 1, else ConfigError), predicts every sample of `data` and evaluates against
// its labels with the checkpoint's class names. Throws DataError naming the checkpoint and both
// shapes when the images do not have the model's input geometry, and when the dataset has more
// classes than the model predicts.
EvaluatedModel evaluate_model(const Checkpoint& ck, const std::string& checkpoint_path, Backend& be,
                              const Dataset& data, int64_t batch_size);

}  // namespace gd::report
