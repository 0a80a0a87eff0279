// Most confused pairs against hand-computed confusion matrices, including classes that are never
// predicted and classes with no samples, ordering of ties, k, and the text/JSON forms.
#include "engine/train/confused_pairs.h"

#include <gtest/gtest.h>

#include "engine/core/error.h"
#include "tests/support/expect_error.h"

namespace gd {
namespace {

constexpr double kTol = 1e-12;  // shares are ratios of small integers

// true\pred  0  1  2  3
//   0        5  2  0  0   support 7
//   1        3  4  0  0   support 7
//   2        0  3  0  1   support 4 (class 2 is never predicted)
//   3        0  0  0  0   support 0 (class 3 has no samples)
ClassificationReport sparse_report() {
  return classification_report({5, 2, 0, 0, 3, 4, 0, 0, 0, 3, 0, 1, 0, 0, 0, 0}, 4, {"a", "b", "c", "d"});
}

TEST(ConfusedPairs, HandComputedOrderByCountThenShare) {
  const auto pairs = most_confused_pairs(sparse_report(), 10);
  ASSERT_EQ(pairs.size(), 4u);  // the non-zero off-diagonal cells only
  // count 3: (2->1) share 3/4 before (1->0) share 3/7
  EXPECT_EQ(pairs[0].true_class, 2);
  EXPECT_EQ(pairs[0].predicted_class, 1);
  EXPECT_EQ(pairs[0].count, 3);
  EXPECT_NEAR(pairs[0].share_of_true, 0.75, kTol);
  EXPECT_EQ(pairs[1].true_class, 1);
  EXPECT_EQ(pairs[1].predicted_class, 0);
  EXPECT_NEAR(pairs[1].share_of_true, 3.0 / 7.0, kTol);
  EXPECT_EQ(pairs[2].true_class, 0);
  EXPECT_EQ(pairs[2].predicted_class, 1);
  EXPECT_EQ(pairs[2].count, 2);
  EXPECT_NEAR(pairs[2].share_of_true, 2.0 / 7.0, kTol);
  EXPECT_EQ(pairs[3].true_class, 2);
  EXPECT_EQ(pairs[3].predicted_class, 3);  // predicted as the class that has no samples
  EXPECT_NEAR(pairs[3].share_of_true, 0.25, kTol);
}

TEST(ConfusedPairs, KLimitsAndZeroGivesNone) {
  EXPECT_EQ(most_confused_pairs(sparse_report(), 2).size(), 2u);
  EXPECT_TRUE(most_confused_pairs(sparse_report(), 0).empty());
  EXPECT_TRUE(test::throws_with<ShapeError>([] { most_confused_pairs(sparse_report(), -1); }, {"k must be >= 0"}));
}

TEST(ConfusedPairs, FullTiesAreOrderedByClassIndex) {
  const auto pairs = most_confused_pairs(classification_report({5, 1, 1, 5}, 2), 5);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].true_class, 0);
  EXPECT_EQ(pairs[1].true_class, 1);
}

TEST(ConfusedPairs, PerfectClassifierAndEmptyMatrixHaveNoPairs) {
  EXPECT_TRUE(most_confused_pairs(classification_report({3, 0, 0, 4}, 2)).empty());
  EXPECT_TRUE(most_confused_pairs(classification_report({0, 0, 0, 0}, 2)).empty());
  EXPECT_EQ(format_confused_pairs({}, classification_report({3, 0, 0, 4}, 2)), "no misclassifications\n");
}

TEST(ConfusedPairs, TextAndJsonNameTheClasses) {
  const ClassificationReport r = sparse_report();
  const auto pairs = most_confused_pairs(r, 2);
  const std::string t = format_confused_pairs(pairs, r);
  EXPECT_NE(t.find("75.00%"), std::string::npos) << t;
  const nlohmann::json j = confused_pairs_to_json(pairs, r);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["true_name"], "c");
  EXPECT_EQ(j[0]["predicted_name"], "b");
  EXPECT_EQ(j[0]["count"], 3);
  EXPECT_NEAR(j[1]["share_of_true"].get<double>(), 3.0 / 7.0, kTol);
}

}  // namespace
}  // namespace gd
