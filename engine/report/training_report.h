#pragma once
// The report `gpu_train --report` writes at the end of a run: the evaluation report of the run's
// final model (model.ckpt) on the test set, with the run's learning curves and configuration.
#include <string>

#include "engine/backend/backend.h"
#include "engine/data/dataset.h"
#include "engine/report/misclassified_gallery.h"
#include "engine/train/train_config.h"
#include "engine/train/trainer.h"

namespace gd::report {

// Evaluates <result.run_dir>/model.ckpt on data.test with `be` and writes the HTML report
// atomically to `path` ("" = <result.run_dir>/report.html). Returns the path written. Throws what
// loading, evaluation or writing throws (Error subclasses naming the file).
std::string write_training_report(const TrainResult& result, const TrainConfig& cfg, Backend& be,
                                  const DatasetSplits& data, const std::string& path = "",
                                  int gallery_limit = kDefaultGalleryLimit);

}  // namespace gd::report
