#include "engine/train/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "engine/core/error.h"

namespace gd {
namespace {

// Every expected value below is a ratio of small integers computed by hand, so the only error is
// the rounding of a few double divisions/additions: 1e-12 is ~1e4 ulps of slack.
constexpr double kTol = 1e-12;

std::vector<std::string> tokens(const std::string& line) {
  std::istringstream is(line);
  std::vector<std::string> t;
  for (std::string w; is >> w;) t.push_back(w);
  return t;
}

// The line of `text` whose first token(s) spell `label` (e.g. "macro avg"), split into tokens.
std::vector<std::string> row_of(const std::string& text, const std::string& label) {
  std::istringstream is(text);
  const size_t label_words = tokens(label).size();
  for (std::string line; std::getline(is, line);) {
    const auto t = tokens(line);
    if (t.size() < label_words) continue;
    std::string head;
    for (size_t i = 0; i < label_words; ++i) head += (i ? " " : "") + t[i];
    if (head == label) return std::vector<std::string>(t.begin() + label_words, t.end());
  }
  return {};
}

// true\pred   p0 p1 p2
//   t0         5  2  0    support 7
//   t1         0  0  0    support 0 (no samples, but predicted 4 times)
//   t2         1  2  0    support 3 (never predicted)
const std::vector<int64_t> kSparse = {5, 2, 0, 0, 0, 0, 1, 2, 0};

TEST(Metrics, ClassWithoutPredictionsAndClassWithoutSamples) {
  const ClassificationReport r = classification_report(kSparse, 3, {"zero", "one", "two"});
  EXPECT_EQ(r.total, 10);
  EXPECT_NEAR(r.accuracy, 5.0 / 10.0, kTol);
  // class 0: tp 5, predicted 6, support 7
  EXPECT_NEAR(r.per_class[0].precision, 5.0 / 6.0, kTol);
  EXPECT_NEAR(r.per_class[0].recall, 5.0 / 7.0, kTol);
  EXPECT_NEAR(r.per_class[0].f1, 10.0 / 13.0, kTol);  // 2*5 / (6 + 7)
  EXPECT_EQ(r.per_class[0].support, 7);
  // class 1: predicted 4 times, never correct; no true samples -> recall 0 by convention
  EXPECT_EQ(r.per_class[1].precision, 0.0);
  EXPECT_EQ(r.per_class[1].recall, 0.0);
  EXPECT_EQ(r.per_class[1].f1, 0.0);
  EXPECT_EQ(r.per_class[1].support, 0);
  // class 2: never predicted -> precision 0 by convention; recall 0/3
  EXPECT_EQ(r.per_class[2].precision, 0.0);
  EXPECT_EQ(r.per_class[2].recall, 0.0);
  EXPECT_EQ(r.per_class[2].f1, 0.0);
  EXPECT_EQ(r.per_class[2].support, 3);
  // macro: mean over all three classes, including the one with no samples
  EXPECT_NEAR(r.macro.precision, 5.0 / 18.0, kTol);
  EXPECT_NEAR(r.macro.recall, 5.0 / 21.0, kTol);
  EXPECT_NEAR(r.macro.f1, 10.0 / 39.0, kTol);
  EXPECT_EQ(r.macro.support, 10);
  // weighted by support 7:0:3
  EXPECT_NEAR(r.weighted.precision, 0.7 * 5.0 / 6.0, kTol);
  EXPECT_NEAR(r.weighted.recall, 0.5, kTol);
  EXPECT_NEAR(r.weighted.f1, 0.7 * 10.0 / 13.0, kTol);
  EXPECT_EQ(r.weighted.support, 10);
  EXPECT_EQ(r.confusion[2][1], 2);
  EXPECT_EQ(r.confusion[1][2], 0);
}

TEST(Metrics, MacroAndWeightedDifferWithUnevenSupport) {
  // supports 10, 4, 6; predicted 9, 6, 5; diagonal 8, 3, 4
  const std::vector<int64_t> cm = {8, 1, 1, 1, 3, 0, 0, 2, 4};
  const ClassificationReport r = classification_report(cm, 3, {});
  EXPECT_EQ(r.class_names, (std::vector<std::string>{"0", "1", "2"}));
  const double p[3] = {8.0 / 9.0, 3.0 / 6.0, 4.0 / 5.0};
  const double rc[3] = {8.0 / 10.0, 3.0 / 4.0, 4.0 / 6.0};
  const double f[3] = {16.0 / 19.0, 6.0 / 10.0, 8.0 / 11.0};  // 2tp / (predicted + support)
  const double w[3] = {10.0 / 20.0, 4.0 / 20.0, 6.0 / 20.0};
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(r.per_class[c].precision, p[c], kTol) << c;
    EXPECT_NEAR(r.per_class[c].recall, rc[c], kTol) << c;
    EXPECT_NEAR(r.per_class[c].f1, f[c], kTol) << c;
  }
  EXPECT_NEAR(r.accuracy, 15.0 / 20.0, kTol);
  EXPECT_NEAR(r.macro.precision, (p[0] + p[1] + p[2]) / 3.0, kTol);
  EXPECT_NEAR(r.macro.recall, (rc[0] + rc[1] + rc[2]) / 3.0, kTol);
  EXPECT_NEAR(r.macro.f1, (f[0] + f[1] + f[2]) / 3.0, kTol);
  EXPECT_NEAR(r.weighted.precision, w[0] * p[0] + w[1] * p[1] + w[2] * p[2], kTol);
  EXPECT_NEAR(r.weighted.f1, w[0] * f[0] + w[1] * f[1] + w[2] * f[2], kTol);
  // Support-weighted recall is always the accuracy.
  EXPECT_NEAR(r.weighted.recall, r.accuracy, kTol);
  EXPECT_GT(std::abs(r.macro.precision - r.weighted.precision), 1e-3);
}

TEST(Metrics, PerfectClassifier) {
  const std::vector<int64_t> cm = {3, 0, 0, 0, 0, 7, 0, 0, 0, 0, 1, 0, 0, 0, 0, 9};
  const ClassificationReport r = classification_report(cm, 4, {});
  EXPECT_EQ(r.total, 20);
  EXPECT_EQ(r.accuracy, 1.0);
  for (const ClassMetrics& m : r.per_class) {
    EXPECT_EQ(m.precision, 1.0);
    EXPECT_EQ(m.recall, 1.0);
    EXPECT_EQ(m.f1, 1.0);
  }
  EXPECT_NEAR(r.macro.f1, 1.0, kTol);
  EXPECT_NEAR(r.weighted.f1, 1.0, kTol);
}

TEST(Metrics, EmptyMatrixHasNoNaN) {
  const ClassificationReport r = classification_report(std::vector<int64_t>(4, 0), 2, {});
  EXPECT_EQ(r.total, 0);
  EXPECT_EQ(r.accuracy, 0.0);
  for (const ClassMetrics* m : {&r.per_class[0], &r.per_class[1], &r.macro, &r.weighted}) {
    EXPECT_EQ(m->precision, 0.0);
    EXPECT_EQ(m->recall, 0.0);
    EXPECT_EQ(m->f1, 0.0);
  }
}

TEST(Metrics, RejectsBadInput) {
  EXPECT_THROW(classification_report({1, 2, 3}, 2, {}), ShapeError);
  EXPECT_THROW(classification_report({1, 2, 3, 4}, 2, {"a"}), ShapeError);
  EXPECT_THROW(classification_report({}, 0, {}), ShapeError);
  EXPECT_THROW(classification_report({1, -2, 3, 4}, 2, {}), DataError);
}

TEST(Metrics, ReportTextHasTheNumbers) {
  const std::string text = format_report(classification_report(kSparse, 3, {"zero", "one", "two"}));
  EXPECT_NE(text.find("precision"), std::string::npos);
  EXPECT_NE(text.find("f1-score"), std::string::npos);
  // 5/6 = 0.83333, 5/7 = 0.71428, 10/13 = 0.76923
  EXPECT_EQ(row_of(text, "zero"), (std::vector<std::string>{"0.8333", "0.7143", "0.7692", "7"}));
  EXPECT_EQ(row_of(text, "one"), (std::vector<std::string>{"0.0000", "0.0000", "0.0000", "0"}));
  EXPECT_EQ(row_of(text, "two"), (std::vector<std::string>{"0.0000", "0.0000", "0.0000", "3"}));
  EXPECT_EQ(row_of(text, "accuracy"), (std::vector<std::string>{"0.5000", "10"}));
  // 5/18 = 0.27778, 5/21 = 0.23810, 10/39 = 0.25641
  EXPECT_EQ(row_of(text, "macro avg"), (std::vector<std::string>{"0.2778", "0.2381", "0.2564", "10"}));
  // 7/12 = 0.58333, 0.5, 7/13 = 0.53846
  EXPECT_EQ(row_of(text, "weighted avg"), (std::vector<std::string>{"0.5833", "0.5000", "0.5385", "10"}));
}

TEST(Metrics, ConfusionTextIsAlignedWithHeaders) {
  const std::vector<int64_t> cm = {1234, 5, 0, 7, 12, 0, 1, 2, 0};
  const std::string text = format_confusion(classification_report(cm, 3, {"a", "bb", "c"}));
  std::istringstream is(text);
  std::vector<std::string> lines;
  for (std::string l; std::getline(is, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(tokens(lines[0]), (std::vector<std::string>{"true\\pred", "a", "bb", "c"}));
  EXPECT_EQ(tokens(lines[1]), (std::vector<std::string>{"a", "1234", "5", "0"}));
  EXPECT_EQ(tokens(lines[2]), (std::vector<std::string>{"bb", "7", "12", "0"}));
  EXPECT_EQ(tokens(lines[3]), (std::vector<std::string>{"c", "1", "2", "0"}));
  // Right-aligned columns: every line has the same length and each column ends at the same place.
  for (const auto& l : lines) EXPECT_EQ(l.size(), lines[0].size()) << l;
  EXPECT_EQ(lines[0].rfind("bb") + 2, lines[2].rfind("12") + 2);
  EXPECT_EQ(lines[1].find("1234") + 4, lines[0].find(" a") + 2);
}

TEST(Metrics, JsonHasAllKeys) {
  const nlohmann::json j = report_to_json(classification_report(kSparse, 3, {"zero", "one", "two"}));
  for (const char* key : {"accuracy", "precision", "recall", "f1", "support", "macro_avg", "weighted_avg",
                          "confusion_matrix", "class_names"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_NEAR(j["accuracy"].get<double>(), 0.5, kTol);
  EXPECT_NEAR(j["precision"][0].get<double>(), 5.0 / 6.0, kTol);
  EXPECT_NEAR(j["recall"][0].get<double>(), 5.0 / 7.0, kTol);
  EXPECT_NEAR(j["f1"][0].get<double>(), 10.0 / 13.0, kTol);
  EXPECT_EQ(j["support"], (nlohmann::json{7, 0, 3}));
  EXPECT_NEAR(j["macro_avg"]["recall"].get<double>(), 5.0 / 21.0, kTol);
  EXPECT_NEAR(j["weighted_avg"]["f1"].get<double>(), 0.7 * 10.0 / 13.0, kTol);
  EXPECT_TRUE(j["macro_avg"].contains("precision"));
  EXPECT_TRUE(j["weighted_avg"].contains("recall"));
  EXPECT_EQ(j["confusion_matrix"], (nlohmann::json{{5, 2, 0}, {0, 0, 0}, {1, 2, 0}}));
  EXPECT_EQ(j["class_names"], (nlohmann::json{"zero", "one", "two"}));
}

}  // namespace
}  // namespace gd
