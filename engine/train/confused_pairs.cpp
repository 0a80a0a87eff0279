// Top-k off-diagonal cells of a confusion matrix (conventions in confused_pairs.h).
#include "engine/train/confused_pairs.h"

#include <algorithm>
#include <cstdio>

#include "engine/core/error.h"

namespace gd {

std::vector<ConfusedPair> most_confused_pairs(const ClassificationReport& r, int k) {
  GD_CHECK_SHAPE(k >= 0, "most_confused_pairs: k must be >= 0, got " << k);
  const int C = r.num_classes;
  GD_CHECK_SHAPE(static_cast<int>(r.confusion.size()) == C && static_cast<int>(r.per_class.size()) == C,
                 "most_confused_pairs: report has a " << r.confusion.size() << "-row confusion matrix and "
                                                      << r.per_class.size() << " per-class rows for " << C
                                                      << " classes");
  std::vector<ConfusedPair> pairs;
  for (int t = 0; t < C; ++t) {
    GD_CHECK_SHAPE(static_cast<int>(r.confusion[t].size()) == C,
                   "most_confused_pairs: confusion row " << t << " has " << r.confusion[t].size()
                                                         << " entries, expected " << C);
    const int64_t support = r.per_class[t].support;
    for (int p = 0; p < C; ++p) {
      const int64_t n = r.confusion[t][p];
      if (t == p || n <= 0) continue;
      pairs.push_back({t, p, n, support > 0 ? static_cast<double>(n) / static_cast<double>(support) : 0.0});
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const ConfusedPair& a, const ConfusedPair& b) {
    if (a.count != b.count) return a.count > b.count;
    if (a.share_of_true != b.share_of_true) return a.share_of_true > b.share_of_true;
    if (a.true_class != b.true_class) return a.true_class < b.true_class;
    return a.predicted_class < b.predicted_class;
  });
  if (static_cast<int>(pairs.size()) > k) pairs.resize(static_cast<size_t>(k));
  return pairs;
}

std::string format_confused_pairs(const std::vector<ConfusedPair>& pairs, const ClassificationReport& r) {
  if (pairs.empty()) return "no misclassifications\n";
  std::string out;
  char line[200];
  std::snprintf(line, sizeof line, "%-14s %-14s %8s %14s\n", "true", "predicted", "count", "% of true");
  out += line;
  for (const ConfusedPair& p : pairs) {
    std::snprintf(line, sizeof line, "%-14s %-14s %8lld %13.2f%%\n", r.class_names[p.true_class].c_str(),
                  r.class_names[p.predicted_class].c_str(), static_cast<long long>(p.count),
                  100.0 * p.share_of_true);
    out += line;
  }
  return out;
}

nlohmann::json confused_pairs_to_json(const std::vector<ConfusedPair>& pairs, const ClassificationReport& r) {
  nlohmann::json out = nlohmann::json::array();
  for (const ConfusedPair& p : pairs)
    out.push_back({{"true", p.true_class},
                   {"predicted", p.predicted_class},
                   {"true_name", r.class_names[p.true_class]},
                   {"predicted_name", r.class_names[p.predicted_class]},
                   {"count", p.count},
                   {"share_of_true", p.share_of_true}});
  return out;
}

}  // namespace gd
