#pragma once
// Calibration of a classifier's confidence: how well the top-class probability matches the observed
// accuracy. Reliability bins, expected calibration error (ECE) and maximum calibration error (MCE),
// as defined by Guo et al. 2017, "On Calibration of Modern Neural Networks".
//
// Conventions:
//   * confidence of a sample = probability of its predicted (arg-max) class, in [0, 1];
//   * bins are equal-width over [0, 1]: bin b holds confidences in (b/B, (b+1)/B], and bin 0 also
//     holds confidence exactly 0 (default B = 15, the number Guo et al. use);
//   * ECE = sum_b (n_b / N) * |accuracy_b - mean_confidence_b|; MCE = max over NON-EMPTY bins of
//     |accuracy_b - mean_confidence_b|;
//   * like metrics.h's empty-denominator rule: an empty bin has count 0, accuracy 0 and
//     mean_confidence 0 and contributes nothing to ECE or MCE; with no samples at all ECE, MCE,
//     accuracy and mean confidence are 0.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/train/predict.h"

namespace gd {

inline constexpr int kDefaultCalibrationBins = 15;

struct ReliabilityBin {
  double lower = 0.0, upper = 0.0;  // (lower, upper] in confidence
  int64_t count = 0;
  double mean_confidence = 0.0;  // 0 when count == 0
  double accuracy = 0.0;         // fraction correct; 0 when count == 0
};

struct CalibrationSummary {
  int num_bins = kDefaultCalibrationBins;
  std::vector<ReliabilityBin> bins;  // (num_bins)
  double ece = 0.0;
  double mce = 0.0;
  double mean_confidence = 0.0;  // over all samples
  double accuracy = 0.0;         // over all samples
  int64_t total = 0;
};

// The bin index of a confidence in [0, 1] (see the conventions above). Throws DataError for a
// confidence outside [0, 1] or NaN.
int calibration_bin(double confidence, int num_bins);

// confidence[i] in [0, 1]; correct[i] != 0 when sample i was classified correctly. Throws ShapeError
// when the sizes differ or num_bins < 1, DataError for a confidence outside [0, 1] (naming the index).
CalibrationSummary calibration_summary(const std::vector<double>& confidence,
                                       const std::vector<uint8_t>& correct,
                                       int num_bins = kDefaultCalibrationBins);

// From predictions and true labels (labels.size() == p.n, else ShapeError).
CalibrationSummary calibration_from_predictions(const Predictions& p, const std::vector<uint8_t>& labels,
                                       int num_bins = kDefaultCalibrationBins);

// Text: the ECE/MCE line and a table of the non-empty bins (range, count, confidence, accuracy, gap).
std::string format_calibration(const CalibrationSummary& c);

// {num_bins, ece, mce, mean_confidence, accuracy, total, bins: [{lower, upper, count,
// mean_confidence, accuracy}]} (empty bins included, with count 0).
nlohmann::json calibration_to_json(const CalibrationSummary& c);

}  // namespace gd
