#pragma once
// Classification metrics from a confusion matrix: per-class precision / recall / F1, accuracy,
// macro and weighted averages, and text / JSON renderings.
//
// Convention for empty denominators (the same as scikit-learn with zero_division=0):
//   * precision of a class that was never predicted (column sum 0) is 0;
//   * recall of a class with no true samples (row sum 0, support 0) is 0;
//   * F1 is 0 when precision + recall == 0;
//   * the macro average is the plain mean over ALL classes, including ones with zero support;
//   * the weighted average weights each class by its support (0 when the total is 0);
//   * accuracy of an empty matrix (total 0) is 0.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gd {

struct ClassMetrics {
  double precision = 0.0;
  double recall = 0.0;
  double f1 = 0.0;
  int64_t support = 0;  // number of true samples of the class (for averages: the total)
};

struct ClassificationReport {
  int num_classes = 0;
  std::vector<std::string> class_names;        // (C)
  std::vector<std::vector<int64_t>> confusion;  // (C, C), confusion[true][pred]
  std::vector<ClassMetrics> per_class;         // (C)
  double accuracy = 0.0;
  ClassMetrics macro;     // support = total
  ClassMetrics weighted;  // support = total
  int64_t total = 0;
};

// confusion_flat: (C*C) row-major, element [t*C + p] counts samples of true class t predicted as p.
// class_names: empty for "0".."C-1", otherwise exactly C names. Throws ShapeError on a size
// mismatch and DataError on a negative count.
ClassificationReport classification_report(const std::vector<int64_t>& confusion_flat,
                                           int num_classes,
                                           std::vector<std::string> class_names = {});

// Text table like scikit-learn's classification_report: one row per class with precision,
// recall, f1-score (4 decimals) and support, then accuracy, macro avg and weighted avg.
std::string format_report(const ClassificationReport& r);

// Aligned confusion matrix: true labels as rows, predicted labels as columns, with headers.
std::string format_confusion(const ClassificationReport& r);

// Keys: accuracy, precision, recall, f1, support (per-class arrays), macro_avg{precision,recall,f1},
// weighted_avg{precision,recall,f1}, confusion_matrix (C x C array), class_names.
nlohmann::json report_to_json(const ClassificationReport& r);

}  // namespace gd
