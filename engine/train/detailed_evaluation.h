#pragma once
// Everything gpu_eval and the reports say about a model on one dataset, computed on the host from
// per-sample probabilities (predict.h) and the true labels: loss, accuracy, Brier score, the
// classification report (metrics.h conventions), calibration (calibration.h) and the most
// confused pairs (confused_pairs.h).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/train/calibration.h"
#include "engine/train/confused_pairs.h"
#include "engine/train/metrics.h"
#include "engine/train/predict.h"

namespace gd {

inline constexpr int kDefaultConfusedPairs = 10;

struct DetailedEvaluation {
  int64_t n = 0;
  // Mean cross-entropy -log p[true label] over samples (natural log). p comes from the float
  // softmax, so a probability that underflowed to 0 counts as the smallest positive float
  // (a term of at most -log(1.4e-45) = 103.3) instead of infinity. 0 when n == 0.
  double loss = 0.0;
  double accuracy = 0.0;  // == report.accuracy
  // Mean over samples of sum_c (p_c - [c == true label])^2, in [0, 2]; 0 when n == 0.
  double brier = 0.0;
  ClassificationReport report;
  CalibrationSummary calibration;
  std::vector<ConfusedPair> confused_pairs;
};

// labels: (p.n) true labels, each < p.num_classes (DataError naming the sample otherwise; ShapeError
// when the count differs). class_names: empty or p.num_classes names (as classification_report).
DetailedEvaluation evaluate_predictions(const Predictions& p, const std::vector<uint8_t>& labels,
                                        const std::vector<std::string>& class_names,
                                        int top_pairs = kDefaultConfusedPairs,
                                        int calibration_bins = kDefaultCalibrationBins);

// report_to_json's keys plus samples, loss, brier, calibration{...}, confused_pairs[...].
nlohmann::json detailed_evaluation_to_json(const DetailedEvaluation& e);

// Human-readable: accuracy/loss line, the classification report, the confusion matrix, the most
// confused pairs and the calibration summary.
std::string format_detailed_evaluation(const DetailedEvaluation& e);

}  // namespace gd
