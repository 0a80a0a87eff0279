#pragma once
// A checkpoint evaluated on a dataset, with everything the reports need: the model rebuilt from
// the checkpoint, its summary, per-sample probabilities and the detailed evaluation.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/data/dataset.h"
#include "engine/report/model_summary.h"
#include "engine/train/checkpoint.h"
#include "engine/train/detailed_evaluation.h"
#include "engine/train/model_io.h"
#include "engine/train/predict.h"
#include "engine/train/test_time_shifts.h"

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
// `shifts`: test-time augmentation (test_time_shifts.h); the default is the images as they are.
EvaluatedModel evaluate_model(const Checkpoint& ck, const std::string& checkpoint_path, Backend& be,
                              const Dataset& data, int64_t batch_size,
                              const std::vector<PixelShift>& shifts = {PixelShift{}});

// Several checkpoints evaluated one after another (one network in memory at a time) and their
// probabilities averaged (ensemble.h). The members are checked to share input shape, classes and
// class names before anything is evaluated (ConfigError naming both checkpoints otherwise).
struct EvaluatedEnsemble {
  std::vector<std::string> paths;      // one per member, in the order given
  std::vector<EvaluatedModel> members;  // each member on its own
  Predictions predictions;             // the averaged probabilities
  DetailedEvaluation eval;             // of the averaged probabilities, with the first member's class names
};
EvaluatedEnsemble evaluate_ensemble(const std::vector<std::string>& checkpoint_paths,
                                    const std::vector<Checkpoint>& checkpoints, Backend& be, const Dataset& data,
                                    int64_t batch_size, const std::vector<PixelShift>& shifts = {PixelShift{}});

}  // namespace gd::report
