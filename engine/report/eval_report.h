#pragma once
// The evaluation report of a model on one dataset split, shared by `gpu_eval --report` and
// `gpu_train --report`. Sections: learning curves (when the run's history is known), per-class
// metrics, confusion matrix, most confused pairs, calibration, misclassified digits, model
// summary, run configuration (when known), and for an ensemble a table of its members. The header shows accuracy, loss, macro F1, ECE and
// the model size.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/dataset.h"
#include "engine/report/html_document.h"
#include "engine/report/misclassified_gallery.h"
#include "engine/report/model_summary.h"
#include "engine/report/run_context.h"
#include "engine/train/detailed_evaluation.h"
#include "engine/train/predict.h"

namespace gd::report {

// One member of an ensemble as the report's "Ensemble" section lists it.
struct EnsembleMemberRow {
  std::string checkpoint, spec;
  int64_t params = 0;
  double accuracy = 0.0, loss = 0.0;
};

struct EvalReportInputs {
  std::string title = "Evaluation report";
  std::string checkpoint;   // shown in the header when not empty
  std::string dataset;      // e.g. "mnist"
  std::string split;        // "test", "val" or "train"
  std::string data_source;  // where the data came from (DatasetSplits::source)
  std::string device;       // backend description
  // All four required (Error when null). `samples` are the evaluated images in the order of
  // `predictions`; its labels are the true labels.
  const ModelSummary* model = nullptr;
  const DetailedEvaluation* eval = nullptr;
  const Predictions* predictions = nullptr;
  const Dataset* samples = nullptr;
  // Optional: history / configuration of the run (absent sections say so when null or empty).
  const RunContext* run = nullptr;
  int gallery_limit = kDefaultGalleryLimit;  // misclassified digits shown (0 = none)
  // An ensemble: one row per member (then `model` describes the first member and `eval` and
  // `predictions` the averaged probabilities); empty for a single model.
  std::vector<EnsembleMemberRow> members;
  int tta_copies = 1;  // test-time copies averaged per image (test_time_shifts.h); 1 = none
};

HtmlDocument build_evaluation_report(const EvalReportInputs& in);

}  // namespace gd::report
