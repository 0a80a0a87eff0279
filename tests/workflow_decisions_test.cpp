// The decision logic of gpu_workflow on scripted inputs whose answers are worked out by hand:
// where a validation loss turns up and whether that counts as overfitting, which capacity goes on,
// which regularisers help and which variant wins, and the majority-class baseline.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "engine/core/error.h"
#include "engine/workflow/majority_baseline.h"
#include "engine/workflow/overfit_detection.h"
#include "engine/workflow/regulariser_selection.h"
#include "tests/support/expect_error.h"

namespace gd::workflow {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// A history whose epoch e (1-based) has validation loss val[e-1] and training loss train[e-1].
History scripted(const std::vector<double>& val, const std::vector<double>& train = {}) {
  History h;
  for (size_t i = 0; i < val.size(); ++i) {
    EpochRecord r;
    r.epoch = static_cast<int>(i) + 1;
    r.val_loss = val[i];
    r.train_loss = i < train.size() ? train[i] : 0.5 / static_cast<double>(i + 1);
    r.val_accuracy = 0.9;
    h.add(r);
  }
  return h;
}

TEST(OverfitDetection, ValidationLossThatTurnsUpAndStaysUpOverfits) {
  // val:      0.80  0.50  0.40  0.40  0.45  0.50  0.55  0.60
  // smoothed: 0.65  .5667 .4333 .4167 0.45  0.50  0.55  0.575   (3-epoch centred means, 2 at the ends)
  // Smoothed minimum 0.41667 at epoch 4; threshold 0.41667 * 1.05 = 0.4375, first reached in
  // epoch 5 (0.45); the last epoch ends at 0.575: a rise of 0.575 / 0.41667 - 1 = 38%.
  const OverfitAnalysis a = analyse_overfitting(
      scripted({0.80, 0.50, 0.40, 0.40, 0.45, 0.50, 0.55, 0.60}, {0.9, 0.5, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02}), 0.05);
  EXPECT_TRUE(a.overfits);
  EXPECT_EQ(a.best_epoch, 4);
  EXPECT_NEAR(a.min_val_loss, 1.25 / 3, 1e-12);
  EXPECT_EQ(a.confirmed_epoch, 5);
  EXPECT_EQ(a.last_epoch, 8);
  EXPECT_NEAR(a.last_val_loss, 0.575, 1e-12);
  EXPECT_NEAR(a.rise, 0.575 / (1.25 / 3) - 1, 1e-12);
  // Unsmoothed: the lowest single epoch is the first 0.40 (epoch 3); the gap uses the raw last values.
  EXPECT_EQ(a.lowest_epoch, 3);
  EXPECT_DOUBLE_EQ(a.lowest_val_loss, 0.40);
  EXPECT_DOUBLE_EQ(a.last_train_loss, 0.02);
  EXPECT_NEAR(a.gap, 0.58, 1e-12);
}

TEST(OverfitDetection, StillFallingOrFlatIsNotOverfitting) {
  const OverfitAnalysis falling = analyse_overfitting(scripted({0.9, 0.7, 0.6, 0.55, 0.52}), 0.05);
  EXPECT_FALSE(falling.overfits);
  EXPECT_EQ(falling.best_epoch, 5);  // the minimum is the last epoch: nothing turned up
  EXPECT_EQ(falling.confirmed_epoch, 0);
  EXPECT_DOUBLE_EQ(falling.rise, 0.0);
  // val 0.70 0.50 0.50 0.51 0.52 -> smoothed 0.60 .5667 .5033 .5100 .5150: minimum epoch 3, the
  // end 2.3% above it: under a 5% margin ...
  const History small = scripted({0.70, 0.50, 0.50, 0.51, 0.52});
  const OverfitAnalysis a = analyse_overfitting(small, 0.05);
  EXPECT_FALSE(a.overfits);
  EXPECT_EQ(a.best_epoch, 3);
  EXPECT_NEAR(a.rise, 0.515 / (1.51 / 3) - 1, 1e-12);
  // ... and over a 2% one.
  EXPECT_TRUE(analyse_overfitting(small, 0.02).overfits);
}

TEST(OverfitDetection, OneLuckyEpochNeitherMakesNorHidesATurn) {
  // val 0.60 0.55 0.40 0.53 0.50 0.48 0.47: the single-epoch minimum (0.40, epoch 3) lies 17.5%
  // below the end, but it is one lucky epoch. Smoothed: .575 .5167 .4933 .4767 .5033 .4833 .475:
  // the curve still falls at the end, so this is not overfitting.
  const OverfitAnalysis a = analyse_overfitting(scripted({0.60, 0.55, 0.40, 0.53, 0.50, 0.48, 0.47}), 0.05);
  EXPECT_FALSE(a.overfits);
  EXPECT_EQ(a.best_epoch, 7);
  EXPECT_EQ(a.lowest_epoch, 3);
  EXPECT_DOUBLE_EQ(a.lowest_val_loss, 0.40);
  EXPECT_DOUBLE_EQ(a.rise, 0.0);
  // One unlucky epoch after the minimum (0.70 at epoch 4) lifts its neighbours but the curve comes
  // back down: val 0.6 0.5 0.45 0.70 0.45 0.44 0.44 -> smoothed .55 .5167 .55 .5333 .53 .4433 .44.
  const OverfitAnalysis b = analyse_overfitting(scripted({0.6, 0.5, 0.45, 0.70, 0.45, 0.44, 0.44}), 0.05);
  EXPECT_FALSE(b.overfits);
  EXPECT_EQ(b.best_epoch, 7);
}

TEST(OverfitDetection, TiesAndMissingValidationValues) {
  // NaN epochs are skipped (the smoothing window spans the neighbouring epochs that have a value);
  // val 0.5 0.4 NaN 0.4 0.45 0.6 NaN -> over epochs 1 2 4 5 6: smoothed .45 .4333 .4167 .4833 .525.
  // Minimum at epoch 4; the last epoch with a value (6) ends 26% higher. Equal smoothed values
  // would go to the first epoch.
  const OverfitAnalysis a = analyse_overfitting(scripted({0.5, 0.4, kNaN, 0.4, 0.45, 0.6, kNaN}), 0.1);
  EXPECT_EQ(a.best_epoch, 4);
  EXPECT_EQ(a.last_epoch, 6);
  EXPECT_TRUE(a.overfits);
  EXPECT_EQ(a.confirmed_epoch, 5);  // 0.4833 >= 0.4167 * 1.1 = 0.4583
  EXPECT_EQ(analyse_overfitting(scripted({0.5, 0.5, 0.5}), 0.1).best_epoch, 1);
  // A single epoch cannot overfit.
  EXPECT_FALSE(analyse_overfitting(scripted({0.5}), 0.1).overfits);
}

TEST(OverfitDetection, RejectsHistoriesWithoutValidationAndBadMargins) {
  EXPECT_TRUE(test::throws_with<DataError>(
      [] {
        analyse_overfitting(scripted({kNaN, kNaN}));
      },
      {"validation loss", "2 epochs"}));
  EXPECT_TRUE(test::throws_with<DataError>([] { analyse_overfitting(History{}); }, {"validation loss"}));
  for (double m : {0.0, -0.1, kNaN, std::numeric_limits<double>::infinity()})
    EXPECT_TRUE(test::throws_with<ConfigError>([&] { analyse_overfitting(scripted({0.5, 0.6}), m); }, {"margin"}));
}

TEST(OverfitDetection, AnalysisRoundTripsThroughJson) {
  const OverfitAnalysis a = analyse_overfitting(scripted({0.80, 0.50, 0.40, 0.40, 0.45, 0.50, 0.55, 0.60}), 0.05);
  const OverfitAnalysis b = overfit_analysis_from_json(to_json(a));
  EXPECT_EQ(b.overfits, a.overfits);
  EXPECT_EQ(b.best_epoch, a.best_epoch);
  EXPECT_EQ(b.confirmed_epoch, a.confirmed_epoch);
  EXPECT_DOUBLE_EQ(b.rise, a.rise);
  EXPECT_DOUBLE_EQ(b.margin, a.margin);
  EXPECT_EQ(b.lowest_epoch, a.lowest_epoch);
  EXPECT_DOUBLE_EQ(b.lowest_val_loss, a.lowest_val_loss);
  EXPECT_TRUE(test::throws_with<DataError>([] { overfit_analysis_from_json({{"margin", 0.05}}); }, {"overfits"}));
}

CapacityOutcome outcome(const std::string& label, bool overfits, double min_loss) {
  CapacityOutcome c;
  c.label = label;
  c.analysis.overfits = overfits;
  c.analysis.min_val_loss = min_loss;
  return c;
}

TEST(CapacityChoice, FromTheSmallestThatOverfitsUpTheLowestMinimumWins) {
  // small does not overfit, so its (lowest) minimum does not count; medium is the smallest that
  // overfits; of medium and large, large reached the lower minimum even though its own rise stayed
  // under the margin.
  const CapacityChoice c = choose_overfit_capacity(
      {outcome("small", false, 0.05), outcome("medium", true, 0.08), outcome("large", false, 0.07)});
  EXPECT_TRUE(c.overfitting_found);
  EXPECT_EQ(c.smallest_overfitting, 1);
  EXPECT_EQ(c.index, 2);
  // The smallest overfitting one itself wins when nothing larger did better.
  const CapacityChoice d =
      choose_overfit_capacity({outcome("a", true, 0.07), outcome("b", true, 0.075), outcome("c", false, 0.08)});
  EXPECT_EQ(d.smallest_overfitting, 0);
  EXPECT_EQ(d.index, 0);
  // Ties go to the smaller capacity.
  EXPECT_EQ(choose_overfit_capacity({outcome("a", true, 0.07), outcome("b", true, 0.07)}).index, 0);
}

TEST(CapacityChoice, WithoutOverfittingTheLowestMinimumGoesOn) {
  const CapacityChoice c = choose_overfit_capacity({outcome("a", false, 0.1), outcome("b", false, 0.09)});
  EXPECT_FALSE(c.overfitting_found);
  EXPECT_EQ(c.smallest_overfitting, -1);
  EXPECT_EQ(c.index, 1);
  // A large model that did not get anywhere within the budget is not chosen over a smaller one
  // that learned; equal minima go to the larger.
  EXPECT_EQ(choose_overfit_capacity({outcome("a", false, 0.3), outcome("b", false, 2.3)}).index, 0);
  EXPECT_EQ(choose_overfit_capacity({outcome("a", false, 0.3), outcome("b", false, 0.3)}).index, 1);
  EXPECT_TRUE(test::throws_with<ConfigError>([] { choose_overfit_capacity({}); }, {"no capacities"}));
}

TEST(RegulariserSelection, MeaningfulGainIsOneValidationSampleButAtLeastATenthOfAPoint) {
  EXPECT_DOUBLE_EQ(min_meaningful_gain(800), 1.0 / 800);  // 0.125 pp
  EXPECT_DOUBLE_EQ(min_meaningful_gain(6000), 0.001);     // 1/6000 = 0.017 pp -> the 0.1 pp floor
  EXPECT_DOUBLE_EQ(min_meaningful_gain(1000), 0.001);
  EXPECT_TRUE(test::throws_with<ConfigError>([] { min_meaningful_gain(0); }, {"at least one sample"}));
}

TEST(RegulariserSelection, KeepsTheRegularisersThatGainEnoughLargestFirst) {
  const VariantScore none{"none", 0.980, 0.070};
  const std::vector<VariantScore> v = {{"dropout", 0.9830, 0.060},       // +0.30 pp
                                       {"weight decay", 0.9805, 0.065},  // +0.05 pp: below 0.1 pp
                                       {"batch norm", 0.9790, 0.080},    // -0.10 pp
                                       {"augmentation", 0.9850, 0.050},  // +0.50 pp
                                       {"broken", kNaN, kNaN}};          // diverged: never helps
  const HelpfulRegularisers h = select_helpful(none, v, 0.001);
  EXPECT_EQ(h.names, (std::vector<std::string>{"augmentation", "dropout"}));
  ASSERT_EQ(h.gains.size(), 5u);
  EXPECT_NEAR(h.gains[0], 0.003, 1e-12);
  EXPECT_NEAR(h.gains[2], -0.001, 1e-12);
  EXPECT_TRUE(std::isnan(h.gains[4]));
  // A gain exactly at the threshold counts (0.9810 - 0.9800 is 0.001 up to rounding, so use exact binary values).
  EXPECT_EQ(select_helpful({"none", 0.5, 1.0}, {{"x", 0.625, 1.0}}, 0.125).names, (std::vector<std::string>{"x"}));
  EXPECT_TRUE(select_helpful(none, v, 0.01).names.empty());
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { select_helpful(none, v, -0.1); }, {"minimum accuracy gain"}));
}

TEST(RegulariserSelection, BestVariantByAccuracyThenLossThenOrder) {
  EXPECT_EQ(best_variant({{"none", 0.98, 0.07}, {"dropout", 0.985, 0.08}, {"combined", 0.984, 0.05}}), 1);
  // Equal accuracy: the lower validation loss wins.
  EXPECT_EQ(best_variant({{"none", 0.98, 0.07}, {"dropout", 0.98, 0.06}}), 1);
  // Equal in both: the one listed first.
  EXPECT_EQ(best_variant({{"none", 0.98, 0.07}, {"dropout", 0.98, 0.07}}), 0);
  // Non-finite accuracies are skipped; all non-finite is an error.
  EXPECT_EQ(best_variant({{"broken", kNaN, kNaN}, {"none", 0.5, 1.0}}), 1);
  EXPECT_TRUE(test::throws_with<NumericError>([] { best_variant({{"broken", kNaN, kNaN}}); }, {"non-finite"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([] { best_variant({}); }, {"no variants"}));
}

Dataset labelled(const std::vector<uint8_t>& labels, const std::string& name) {
  Dataset d;
  d.name = name;
  d.n = static_cast<int64_t>(labels.size());
  d.height = d.width = 2;
  d.num_classes = 4;
  d.images.assign(labels.size() * 4, 0);
  d.labels = labels;
  return d;
}

TEST(MajorityBaseline, MostFrequentTrainingClassScoredOnValidation) {
  // Training: class 2 appears 3 times (the most); validation: 2 of its 5 labels are 2.
  const MajorityBaseline b =
      majority_class_baseline(labelled({0, 2, 1, 2, 3, 2, 1}, "train"), labelled({2, 0, 2, 1, 3}, "val"));
  EXPECT_EQ(b.majority_class, 2);
  EXPECT_EQ(b.train_count, 3);
  EXPECT_EQ(b.train_total, 7);
  EXPECT_EQ(b.val_correct, 2);
  EXPECT_EQ(b.val_total, 5);
  EXPECT_DOUBLE_EQ(b.val_accuracy, 0.4);
  // The validation split's own majority (not the training one) is never used: here validation is
  // all 3s, the training majority is 1, so the baseline scores 0.
  EXPECT_DOUBLE_EQ(majority_class_baseline(labelled({1, 1, 3}, "train"), labelled({3, 3}, "val")).val_accuracy, 0.0);
  // Ties: the smallest class.
  EXPECT_EQ(majority_class_baseline(labelled({3, 1, 3, 1}, "train"), labelled({1}, "val")).majority_class, 1);
}

TEST(MajorityBaseline, RejectsEmptyOrMismatchedSplits) {
  EXPECT_TRUE(test::throws_with<DataError>([] { majority_class_baseline(labelled({}, "tr"), labelled({1}, "va")); },
                                           {"training split", "tr", "empty"}));
  EXPECT_TRUE(test::throws_with<DataError>([] { majority_class_baseline(labelled({1}, "tr"), labelled({}, "va")); },
                                           {"validation split", "va", "empty"}));
  Dataset other = labelled({1}, "va");
  other.num_classes = 3;
  EXPECT_TRUE(
      test::throws_with<DataError>([&] { majority_class_baseline(labelled({1}, "tr"), other); }, {"4 classes", "3"}));
  EXPECT_TRUE(test::throws_with<DataError>(
      [] {
        majority_class_baseline(labelled({1, 7}, "tr"), labelled({1}, "va"));
      },
      {"7"}));
}

}  // namespace
}  // namespace gd::workflow
