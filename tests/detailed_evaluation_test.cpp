// Host-side evaluation from probabilities: loss, Brier score, confusion-based metrics with a class
// that is never predicted and a class with no samples, underflowed probabilities, bad labels.
#include "engine/train/detailed_evaluation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/core/error.h"
#include "tests/support/expect_error.h"

namespace gd {
namespace {

// Probabilities are floats (rounded from short decimals), so expected losses computed from the
// decimals differ by float rounding (~1e-7 relative).
constexpr double kFloatTol = 1e-6;
constexpr double kTol = 1e-12;

Predictions make(int classes, const std::vector<float>& probs) {
  Predictions p;
  p.num_classes = classes;
  p.n = static_cast<int64_t>(probs.size()) / classes;
  p.probs = probs;
  for (int64_t i = 0; i < p.n; ++i) {
    const float* row = probs.data() + i * classes;
    p.label.push_back(static_cast<int32_t>(std::max_element(row, row + classes) - row));
  }
  return p;
}

TEST(DetailedEvaluation, HandComputedThreeClasses) {
  // sample  probs            true  pred
  //   0     .70 .20 .10       0     0
  //   1     .10 .60 .30       2     1
  //   2     .20 .50 .30       1     1
  //   3     .25 .25 .50       0     2
  const Predictions p = make(3, {.70f, .20f, .10f, .10f, .60f, .30f, .20f, .50f, .30f, .25f, .25f, .50f});
  const DetailedEvaluation e = evaluate_predictions(p, {0, 2, 1, 0}, {"x", "y", "z"});
  EXPECT_EQ(e.n, 4);
  EXPECT_NEAR(e.accuracy, 0.5, kTol);
  EXPECT_NEAR(e.loss, -(std::log(0.7) + std::log(0.3) + std::log(0.5) + std::log(0.25)) / 4.0, kFloatTol);
  // Brier: .14 + .86 + .38 + .875 = 2.255 over 4 samples
  EXPECT_NEAR(e.brier, 2.255 / 4.0, kFloatTol);
  const ClassificationReport& r = e.report;
  EXPECT_EQ(r.confusion[0][0], 1);
  EXPECT_EQ(r.confusion[0][2], 1);
  EXPECT_EQ(r.confusion[1][1], 1);
  EXPECT_EQ(r.confusion[2][1], 1);
  EXPECT_NEAR(r.per_class[0].precision, 1.0, kTol);
  EXPECT_NEAR(r.per_class[0].recall, 0.5, kTol);
  EXPECT_NEAR(r.per_class[1].precision, 0.5, kTol);
  EXPECT_NEAR(r.per_class[1].recall, 1.0, kTol);
  EXPECT_EQ(r.per_class[2].precision, 0.0);  // predicted once, wrongly
  EXPECT_EQ(r.per_class[2].recall, 0.0);
  // pairs: (z -> y) 1 of 1 = 100% before (x -> z) 1 of 2
  ASSERT_EQ(e.confused_pairs.size(), 2u);
  EXPECT_EQ(e.confused_pairs[0].true_class, 2);
  EXPECT_EQ(e.confused_pairs[1].true_class, 0);
  EXPECT_EQ(e.calibration.total, 4);
}

TEST(DetailedEvaluation, ClassNeverPredictedAndClassWithoutSamplesStayFinite) {
  // Class 2 never predicted, class 1 never present.
  const Predictions p = make(3, {.9f, .05f, .05f, .2f, .7f, .1f, .6f, .3f, .1f});
  const DetailedEvaluation e = evaluate_predictions(p, {0, 0, 2}, {});
  EXPECT_EQ(e.report.per_class[2].precision, 0.0);
  EXPECT_EQ(e.report.per_class[1].recall, 0.0);
  EXPECT_EQ(e.report.per_class[1].support, 0);
  const nlohmann::json j = detailed_evaluation_to_json(e);
  // No NaN anywhere (nlohmann writes NaN as null, so a null number would betray one).
  for (const char* k : {"precision", "recall", "f1"})
    for (const auto& v : j[k]) EXPECT_TRUE(v.is_number()) << k;
  for (const char* k : {"accuracy", "loss", "brier", "samples"}) EXPECT_TRUE(j[k].is_number()) << k;
  EXPECT_TRUE(j["calibration"]["ece"].is_number());
  EXPECT_TRUE(j["confused_pairs"].is_array());
  EXPECT_EQ(j["class_names"][1], "1");
}

TEST(DetailedEvaluation, UnderflowedProbabilityGivesAFiniteCappedLoss) {
  const Predictions p = make(2, {1.0f, 0.0f});
  const DetailedEvaluation e = evaluate_predictions(p, {1}, {});
  EXPECT_TRUE(std::isfinite(e.loss));
  EXPECT_NEAR(e.loss, -std::log(static_cast<double>(std::numeric_limits<float>::denorm_min())), 1e-9);
}

TEST(DetailedEvaluation, EmptyDatasetGivesZeros) {
  Predictions p;
  p.num_classes = 2;
  const DetailedEvaluation e = evaluate_predictions(p, {}, {});
  EXPECT_EQ(e.n, 0);
  EXPECT_EQ(e.loss, 0.0);
  EXPECT_EQ(e.brier, 0.0);
  EXPECT_EQ(e.accuracy, 0.0);
}

TEST(DetailedEvaluation, BadLabelsAreReported) {
  const Predictions p = make(2, {.6f, .4f, .3f, .7f});
  EXPECT_TRUE(test::throws_with<DataError>([&] { evaluate_predictions(p, {0, 2}, {}); }, {"sample 1", "label 2"}));
  EXPECT_TRUE(test::throws_with<ShapeError>([&] { evaluate_predictions(p, {0}, {}); }, {"2 predictions", "1 labels"}));
  EXPECT_TRUE(test::throws_with<ShapeError>([&] { evaluate_predictions(p, {0, 1}, {"only one"}); }, {"class names"}));
}

TEST(DetailedEvaluation, TextHasEveryPart) {
  const Predictions p = make(2, {.6f, .4f, .3f, .7f, .8f, .2f});
  const std::string t = format_detailed_evaluation(evaluate_predictions(p, {0, 1, 1}, {}));
  for (const char* s : {"accuracy 66.67%", "macro avg", "confusion matrix", "most confused pairs",
                        "expected calibration error"})
    EXPECT_NE(t.find(s), std::string::npos) << s << "\n" << t;
}

}  // namespace
}  // namespace gd
