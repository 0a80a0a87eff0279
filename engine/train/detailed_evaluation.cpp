// Host-side evaluation from per-sample probabilities (conventions in detailed_evaluation.h).
#include "engine/train/detailed_evaluation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "engine/core/error.h"

namespace gd {

DetailedEvaluation evaluate_predictions(const Predictions& p, const std::vector<uint8_t>& labels,
                                        const std::vector<std::string>& class_names, int top_pairs,
                                        int calibration_bins) {
  GD_CHECK_SHAPE(static_cast<int64_t>(labels.size()) == p.n,
                 "evaluate_predictions: " << p.n << " predictions but " << labels.size() << " labels");
  GD_CHECK_SHAPE(p.num_classes > 0, "evaluate_predictions: predictions have " << p.num_classes << " classes");
  GD_CHECK_SHAPE(p.probs.size() == static_cast<size_t>(p.n) * p.num_classes && p.label.size() == static_cast<size_t>(p.n),
                 "evaluate_predictions: " << p.probs.size() << " probabilities and " << p.label.size()
                                          << " predicted labels for " << p.n << " samples of "
                                          << p.num_classes << " classes");
  const int C = p.num_classes;
  const double floor_prob = std::numeric_limits<float>::denorm_min();
  std::vector<int64_t> confusion(static_cast<size_t>(C) * C, 0);
  double loss_sum = 0.0, brier_sum = 0.0;
  for (int64_t i = 0; i < p.n; ++i) {
    const int t = labels[static_cast<size_t>(i)];
    GD_CHECK_T(t < C, DataError,
               "evaluate_predictions: sample " << i << " has label " << t << " but the model has " << C
                                               << " classes");
    const int pred = p.label[static_cast<size_t>(i)];
    GD_CHECK_T(pred >= 0 && pred < C, DataError,
               "evaluate_predictions: sample " << i << " has predicted label " << pred << " outside [0, " << C
                                               << ")");
    confusion[static_cast<size_t>(t) * C + pred] += 1;
    loss_sum -= std::log(std::max(static_cast<double>(p.prob(i, t)), floor_prob));
    for (int c = 0; c < C; ++c) {
      const double d = static_cast<double>(p.prob(i, c)) - (c == t ? 1.0 : 0.0);
      brier_sum += d * d;
    }
  }
  DetailedEvaluation e;
  e.n = p.n;
  e.report = classification_report(confusion, C, class_names);
  e.accuracy = e.report.accuracy;
  if (p.n > 0) {
    e.loss = loss_sum / static_cast<double>(p.n);
    e.brier = brier_sum / static_cast<double>(p.n);
  }
  e.calibration = calibration_from_predictions(p, labels, calibration_bins);
  e.confused_pairs = most_confused_pairs(e.report, top_pairs);
  return e;
}

nlohmann::json detailed_evaluation_to_json(const DetailedEvaluation& e) {
  nlohmann::json j = report_to_json(e.report);
  j["samples"] = e.n;
  j["loss"] = e.loss;
  j["brier"] = e.brier;
  j["calibration"] = calibration_to_json(e.calibration);
  j["confused_pairs"] = confused_pairs_to_json(e.confused_pairs, e.report);
  return j;
}

std::string format_detailed_evaluation(const DetailedEvaluation& e) {
  char line[200];
  std::snprintf(line, sizeof line, "accuracy %.2f%%  loss %.4f  Brier %.4f  (%lld samples)\n\n",
                100.0 * e.accuracy, e.loss, e.brier, static_cast<long long>(e.n));
  std::string out = line;
  out += format_report(e.report);
  out += "\nconfusion matrix (rows: true label, columns: predicted)\n";
  out += format_confusion(e.report);
  out += "\nmost confused pairs\n";
  out += format_confused_pairs(e.confused_pairs, e.report);
  out += "\ncalibration\n";
  out += format_calibration(e.calibration);
  return out;
}

}  // namespace gd
