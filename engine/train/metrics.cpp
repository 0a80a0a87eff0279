#include "engine/train/metrics.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "engine/core/error.h"

namespace gd {
namespace {

double safe_ratio(int64_t num, int64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

double f1_of(double p, double r) { return (p + r) == 0.0 ? 0.0 : 2.0 * p * r / (p + r); }

std::string fixed4(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.4f", v);
  return buf;
}

// Right-aligns `s` in a field of `width` characters.
std::string pad_left(const std::string& s, size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

}  // namespace

ClassificationReport classification_report(const std::vector<int64_t>& confusion_flat,
                                           int num_classes, std::vector<std::string> class_names) {
  GD_CHECK_SHAPE(num_classes > 0, "classification_report: num_classes must be positive, got " << num_classes);
  const size_t C = static_cast<size_t>(num_classes);
  GD_CHECK_SHAPE(confusion_flat.size() == C * C,
                 "classification_report: confusion matrix has " << confusion_flat.size()
                     << " entries, expected " << C << "x" << C << " = " << C * C);
  if (class_names.empty()) {
    for (size_t c = 0; c < C; ++c) class_names.push_back(std::to_string(c));
  }
  GD_CHECK_SHAPE(class_names.size() == C, "classification_report: " << class_names.size()
                                              << " class names for " << C << " classes");

  ClassificationReport r;
  r.num_classes = num_classes;
  r.class_names = std::move(class_names);
  r.confusion.assign(C, std::vector<int64_t>(C, 0));
  std::vector<int64_t> row_sum(C, 0), col_sum(C, 0);
  int64_t correct = 0;
  for (size_t t = 0; t < C; ++t) {
    for (size_t p = 0; p < C; ++p) {
      const int64_t v = confusion_flat[t * C + p];
      GD_CHECK_T(v >= 0, DataError,
                 "classification_report: negative count " << v << " at [true=" << t << "][pred=" << p << "]");
      r.confusion[t][p] = v;
      row_sum[t] += v;
      col_sum[p] += v;
      if (t == p) correct += v;
    }
    r.total += row_sum[t];
  }
  r.accuracy = safe_ratio(correct, r.total);

  r.per_class.resize(C);
  for (size_t c = 0; c < C; ++c) {
    ClassMetrics& m = r.per_class[c];
    const int64_t tp = r.confusion[c][c];
    m.precision = safe_ratio(tp, col_sum[c]);
    m.recall = safe_ratio(tp, row_sum[c]);
    m.f1 = f1_of(m.precision, m.recall);
    m.support = row_sum[c];
  }

  for (const ClassMetrics& m : r.per_class) {
    r.macro.precision += m.precision / static_cast<double>(C);
    r.macro.recall += m.recall / static_cast<double>(C);
    r.macro.f1 += m.f1 / static_cast<double>(C);
    const double w = safe_ratio(m.support, r.total);
    r.weighted.precision += w * m.precision;
    r.weighted.recall += w * m.recall;
    r.weighted.f1 += w * m.f1;
  }
  r.macro.support = r.total;
  r.weighted.support = r.total;
  return r;
}

std::string format_report(const ClassificationReport& r) {
  const std::string kWeighted = "weighted avg";
  size_t name_w = kWeighted.size();
  for (const auto& n : r.class_names) name_w = std::max(name_w, n.size());
  const size_t col_w = 10;
  const size_t support_w = std::max<size_t>(col_w, std::to_string(r.total).size() + 1);

  std::ostringstream os;
  auto row = [&](const std::string& name, const std::string& p, const std::string& rc,
                 const std::string& f, const std::string& s) {
    os << pad_left(name, name_w) << ' ' << pad_left(p, col_w) << pad_left(rc, col_w)
       << pad_left(f, col_w) << pad_left(s, support_w) << '\n';
  };
  row("", "precision", "recall", "f1-score", "support");
  os << '\n';
  for (size_t c = 0; c < r.per_class.size(); ++c) {
    const ClassMetrics& m = r.per_class[c];
    row(r.class_names[c], fixed4(m.precision), fixed4(m.recall), fixed4(m.f1), std::to_string(m.support));
  }
  os << '\n';
  row("accuracy", "", "", fixed4(r.accuracy), std::to_string(r.total));
  row("macro avg", fixed4(r.macro.precision), fixed4(r.macro.recall), fixed4(r.macro.f1),
      std::to_string(r.macro.support));
  row(kWeighted, fixed4(r.weighted.precision), fixed4(r.weighted.recall), fixed4(r.weighted.f1),
      std::to_string(r.weighted.support));
  return os.str();
}

std::string format_confusion(const ClassificationReport& r) {
  const size_t C = r.confusion.size();
  const std::string corner = "true\\pred";
  size_t label_w = corner.size();
  for (const auto& n : r.class_names) label_w = std::max(label_w, n.size());
  size_t cell_w = 1;
  for (const auto& n : r.class_names) cell_w = std::max(cell_w, n.size());
  for (const auto& row : r.confusion)
    for (int64_t v : row) cell_w = std::max(cell_w, std::to_string(v).size());
  cell_w += 1;  // one space of separation between columns

  std::ostringstream os;
  os << std::string(label_w - corner.size(), ' ') << corner;
  for (size_t p = 0; p < C; ++p) os << pad_left(r.class_names[p], cell_w);
  os << '\n';
  for (size_t t = 0; t < C; ++t) {
    os << pad_left(r.class_names[t], label_w);
    for (size_t p = 0; p < C; ++p) os << pad_left(std::to_string(r.confusion[t][p]), cell_w);
    os << '\n';
  }
  return os.str();
}

nlohmann::json report_to_json(const ClassificationReport& r) {
  nlohmann::json j;
  j["accuracy"] = r.accuracy;
  std::vector<double> p, rc, f;
  std::vector<int64_t> s;
  for (const ClassMetrics& m : r.per_class) {
    p.push_back(m.precision);
    rc.push_back(m.recall);
    f.push_back(m.f1);
    s.push_back(m.support);
  }
  j["precision"] = p;
  j["recall"] = rc;
  j["f1"] = f;
  j["support"] = s;
  j["macro_avg"] = {{"precision", r.macro.precision}, {"recall", r.macro.recall}, {"f1", r.macro.f1}};
  j["weighted_avg"] = {
      {"precision", r.weighted.precision}, {"recall", r.weighted.recall}, {"f1", r.weighted.f1}};
  j["confusion_matrix"] = r.confusion;
  j["class_names"] = r.class_names;
  j["total"] = r.total;
  return j;
}

}  // namespace gd
