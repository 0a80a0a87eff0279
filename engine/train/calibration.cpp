// Reliability bins, ECE and MCE (conventions in calibration.h).
#include "engine/train/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/core/error.h"

namespace gd {

int calibration_bin(double confidence, int num_bins) {
  GD_CHECK_SHAPE(num_bins >= 1, "calibration: num_bins must be >= 1, got " << num_bins);
  GD_CHECK_T(confidence >= 0.0 && confidence <= 1.0, DataError,
             "calibration: confidence " << confidence << " is outside [0, 1]");
  // Bin b covers (b/B, (b+1)/B]. The first guess from ceil() can be off by one when conf*B rounds
  // across an integer, so settle it against the exact boundaries b/B.
  const double B = num_bins;
  int b = static_cast<int>(std::ceil(confidence * B)) - 1;
  b = std::clamp(b, 0, num_bins - 1);
  while (b > 0 && confidence <= b / B) --b;
  while (b < num_bins - 1 && confidence > (b + 1) / B) ++b;
  return b;
}

CalibrationSummary calibration_summary(const std::vector<double>& confidence,
                                       const std::vector<uint8_t>& correct, int num_bins) {
  GD_CHECK_SHAPE(num_bins >= 1, "calibration: num_bins must be >= 1, got " << num_bins);
  GD_CHECK_SHAPE(confidence.size() == correct.size(),
                 "calibration: " << confidence.size() << " confidences but " << correct.size()
                                 << " correctness flags");
  CalibrationSummary s;
  s.num_bins = num_bins;
  s.bins.resize(static_cast<size_t>(num_bins));
  std::vector<double> conf_sum(static_cast<size_t>(num_bins), 0.0);
  std::vector<int64_t> hits(static_cast<size_t>(num_bins), 0);
  double total_conf = 0.0;
  int64_t total_hits = 0;
  for (size_t i = 0; i < confidence.size(); ++i) {
    const double c = confidence[i];
    GD_CHECK_T(c >= 0.0 && c <= 1.0, DataError,
               "calibration: confidence of sample " << i << " is " << c << ", outside [0, 1]");
    const size_t b = static_cast<size_t>(calibration_bin(c, num_bins));
    s.bins[b].count += 1;
    conf_sum[b] += c;
    hits[b] += correct[i] ? 1 : 0;
    total_conf += c;
    total_hits += correct[i] ? 1 : 0;
  }
  s.total = static_cast<int64_t>(confidence.size());
  for (size_t b = 0; b < s.bins.size(); ++b) {
    ReliabilityBin& bin = s.bins[b];
    bin.lower = static_cast<double>(b) / num_bins;
    bin.upper = static_cast<double>(b + 1) / num_bins;
    if (bin.count == 0) continue;
    bin.mean_confidence = conf_sum[b] / static_cast<double>(bin.count);
    bin.accuracy = static_cast<double>(hits[b]) / static_cast<double>(bin.count);
    const double gap = std::fabs(bin.accuracy - bin.mean_confidence);
    s.ece += static_cast<double>(bin.count) / static_cast<double>(s.total) * gap;
    s.mce = std::max(s.mce, gap);
  }
  if (s.total > 0) {
    s.mean_confidence = total_conf / static_cast<double>(s.total);
    s.accuracy = static_cast<double>(total_hits) / static_cast<double>(s.total);
  }
  return s;
}

CalibrationSummary calibration_from_predictions(const Predictions& p, const std::vector<uint8_t>& labels,
                                       int num_bins) {
  GD_CHECK_SHAPE(static_cast<int64_t>(labels.size()) == p.n,
                 "calibration: " << p.n << " predictions but " << labels.size() << " labels");
  std::vector<double> conf(static_cast<size_t>(p.n));
  std::vector<uint8_t> correct(static_cast<size_t>(p.n));
  for (int64_t i = 0; i < p.n; ++i) {
    // Float softmax can round a certain prediction a hair above 1.
    conf[static_cast<size_t>(i)] = std::min(1.0, static_cast<double>(p.confidence(i)));
    correct[static_cast<size_t>(i)] = p.label[static_cast<size_t>(i)] == labels[static_cast<size_t>(i)];
  }
  return calibration_summary(conf, correct, num_bins);
}

std::string format_calibration(const CalibrationSummary& c) {
  std::string out;
  char line[160];
  std::snprintf(line, sizeof line,
                "expected calibration error %.4f  max calibration error %.4f  (%d equal-width bins, %lld samples)\n"
                "mean confidence %.4f  accuracy %.4f\n",
                c.ece, c.mce, c.num_bins, static_cast<long long>(c.total), c.mean_confidence, c.accuracy);
  out += line;
  std::snprintf(line, sizeof line, "%-15s %8s %12s %10s %9s\n", "confidence", "samples", "mean conf", "accuracy",
                "gap");
  out += line;
  for (const ReliabilityBin& b : c.bins) {
    if (b.count == 0) continue;
    std::snprintf(line, sizeof line, "(%.3f, %.3f] %8lld %12.4f %10.4f %+9.4f\n", b.lower, b.upper,
                  static_cast<long long>(b.count), b.mean_confidence, b.accuracy, b.accuracy - b.mean_confidence);
    out += line;
  }
  return out;
}

nlohmann::json calibration_to_json(const CalibrationSummary& c) {
  nlohmann::json bins = nlohmann::json::array();
  for (const ReliabilityBin& b : c.bins)
    bins.push_back({{"lower", b.lower},
                    {"upper", b.upper},
                    {"count", b.count},
                    {"mean_confidence", b.mean_confidence},
                    {"accuracy", b.accuracy}});
  return {{"num_bins", c.num_bins},  {"ece", c.ece},
          {"mce", c.mce},            {"mean_confidence", c.mean_confidence},
          {"accuracy", c.accuracy},  {"total", c.total},
          {"bins", bins}};
}

}  // namespace gd
