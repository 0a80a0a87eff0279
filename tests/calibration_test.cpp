// Calibration: reliability bins, ECE and MCE against hand-computed cases, bin-edge conventions,
// empty input and bins, and bad input.
#include "engine/train/calibration.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/core/error.h"
#include "tests/support/expect_error.h"

namespace gd {
namespace {

// Expected values are sums of a handful of ratios of short decimals: 1e-12 covers their rounding.
constexpr double kTol = 1e-12;

TEST(Calibration, HandComputedFiveBins) {
  // 5 bins: (0,.2] (.2,.4] (.4,.6] (.6,.8] (.8,1]
  //   bin 4: 0.90 ok, 0.95 ok, 0.85 wrong -> conf 0.9, acc 2/3, gap 0.2333..
  //   bin 3: 0.70 ok, 0.65 wrong          -> conf 0.675, acc 0.5, gap 0.175
  //   bin 1: 0.30 wrong                   -> conf 0.3, acc 0, gap 0.3
  // ECE = 3/6 * (0.9 - 2/3) + 2/6 * 0.175 + 1/6 * 0.3 = 0.225;  MCE = 0.3
  const std::vector<double> conf = {0.90, 0.95, 0.85, 0.70, 0.65, 0.30};
  const std::vector<uint8_t> ok = {1, 1, 0, 1, 0, 0};
  const CalibrationSummary c = calibration_summary(conf, ok, 5);
  ASSERT_EQ(c.bins.size(), 5u);
  EXPECT_EQ(c.total, 6);
  EXPECT_EQ(c.bins[4].count, 3);
  EXPECT_NEAR(c.bins[4].mean_confidence, 0.9, kTol);
  EXPECT_NEAR(c.bins[4].accuracy, 2.0 / 3.0, kTol);
  EXPECT_EQ(c.bins[3].count, 2);
  EXPECT_NEAR(c.bins[3].mean_confidence, 0.675, kTol);
  EXPECT_NEAR(c.bins[3].accuracy, 0.5, kTol);
  EXPECT_EQ(c.bins[1].count, 1);
  EXPECT_NEAR(c.bins[1].accuracy, 0.0, kTol);
  // Empty bins: count 0, zero statistics (metrics.h's empty-denominator rule).
  EXPECT_EQ(c.bins[0].count, 0);
  EXPECT_EQ(c.bins[2].count, 0);
  EXPECT_EQ(c.bins[2].accuracy, 0.0);
  EXPECT_EQ(c.bins[2].mean_confidence, 0.0);
  EXPECT_NEAR(c.bins[2].lower, 0.4, kTol);
  EXPECT_NEAR(c.bins[2].upper, 0.6, kTol);
  EXPECT_NEAR(c.ece, 0.225, kTol);
  EXPECT_NEAR(c.mce, 0.3, kTol);
  EXPECT_NEAR(c.accuracy, 0.5, kTol);
  EXPECT_NEAR(c.mean_confidence, (0.90 + 0.95 + 0.85 + 0.70 + 0.65 + 0.30) / 6.0, kTol);
}

TEST(Calibration, DefaultIsFifteenBins) {
  const CalibrationSummary c = calibration_summary(std::vector<double>{0.5}, std::vector<uint8_t>{1});
  EXPECT_EQ(c.num_bins, 15);
  EXPECT_EQ(c.bins.size(), 15u);
  EXPECT_EQ(c.bins[7].count, 1);  // 0.5 lies in (7/15, 8/15]
}

TEST(Calibration, BinsAreRightClosedAndZeroGoesToTheFirst) {
  EXPECT_EQ(calibration_bin(0.0, 5), 0);
  EXPECT_EQ(calibration_bin(0.2, 5), 0);
  EXPECT_EQ(calibration_bin(0.2000001, 5), 1);
  EXPECT_EQ(calibration_bin(0.4, 5), 1);
  EXPECT_EQ(calibration_bin(1.0, 5), 4);
  EXPECT_EQ(calibration_bin(0.9999, 5), 4);
  // Every upper edge k/15, computed the way a caller would, lands in bin k-1 (k*15 may round
  // across an integer in floating point).
  for (int k = 1; k <= 15; ++k) EXPECT_EQ(calibration_bin(k / 15.0, 15), k - 1) << "k = " << k;
  // A float confidence just above an edge belongs to the next bin, one at or below it to this one.
  for (int k = 1; k <= 15; ++k) {
    const double f = static_cast<float>(k / 15.0);
    EXPECT_EQ(calibration_bin(f, 15), f > k / 15.0 ? k : k - 1) << "float edge k = " << k;
  }
}

TEST(Calibration, PerfectAndWorstCases) {
  const CalibrationSummary perfect = calibration_summary({1.0, 1.0, 1.0}, {1, 1, 1});
  EXPECT_EQ(perfect.ece, 0.0);
  EXPECT_EQ(perfect.mce, 0.0);
  const CalibrationSummary worst = calibration_summary({1.0, 1.0}, {0, 0});
  EXPECT_NEAR(worst.ece, 1.0, kTol);
  EXPECT_NEAR(worst.mce, 1.0, kTol);
}

TEST(Calibration, NoSamplesGivesZerosNotNaN) {
  const CalibrationSummary c = calibration_summary(std::vector<double>{}, std::vector<uint8_t>{}, 10);
  EXPECT_EQ(c.total, 0);
  EXPECT_EQ(c.ece, 0.0);
  EXPECT_EQ(c.mce, 0.0);
  EXPECT_EQ(c.accuracy, 0.0);
  EXPECT_EQ(c.mean_confidence, 0.0);
  ASSERT_EQ(c.bins.size(), 10u);
  for (const ReliabilityBin& b : c.bins) EXPECT_EQ(b.count, 0);
  const nlohmann::json j = calibration_to_json(c);
  EXPECT_EQ(j["bins"].size(), 10u);
  EXPECT_TRUE(j["ece"].is_number());
}

TEST(Calibration, FromPredictionsUsesTheArgmaxProbability) {
  Predictions p;
  p.n = 3;
  p.num_classes = 2;
  // Row 2 is a certain prediction whose float softmax rounded a hair above 1.
  p.probs = {0.75f, 0.25f, 0.3f, 0.7f, 1.0000001f, 0.0f};
  p.label = {0, 1, 0};
  const CalibrationSummary c = calibration_from_predictions(p, {0, 0, 0}, 5);
  // sample 0: conf .75 correct (bin 3); sample 1: conf .7 wrong (bin 3); sample 2: conf 1 correct (bin 4)
  EXPECT_EQ(c.bins[3].count, 2);
  EXPECT_NEAR(c.bins[3].accuracy, 0.5, kTol);
  EXPECT_NEAR(c.bins[3].mean_confidence, (0.75 + 0.7) / 2.0, 1e-7);  // float inputs
  EXPECT_EQ(c.bins[4].count, 1);
  EXPECT_NEAR(c.bins[4].mean_confidence, 1.0, kTol);
  EXPECT_NEAR(c.accuracy, 2.0 / 3.0, kTol);
}

TEST(Calibration, BadInputIsReportedWithContext) {
  EXPECT_TRUE(test::throws_with<ShapeError>([] { calibration_summary({0.5, 0.6}, {1}); }, {"2 confidences", "1 correctness"}));
  EXPECT_TRUE(test::throws_with<DataError>([] { calibration_summary({0.5, 0.6, 1.5}, {1, 1, 1}); }, {"sample 2", "1.5"}));
  EXPECT_TRUE(test::throws_with<DataError>([] { calibration_summary({NAN}, {1}); }, {"sample 0"}));
  EXPECT_TRUE(test::throws_with<DataError>([] { calibration_bin(-0.1, 15); }, {"-0.1"}));
  EXPECT_TRUE(test::throws_with<ShapeError>([] { calibration_summary({0.5}, {1}, 0); }, {"num_bins"}));
  Predictions p;
  p.n = 2;
  p.num_classes = 2;
  p.probs = {0.5f, 0.5f, 0.5f, 0.5f};
  p.label = {0, 0};
  EXPECT_TRUE(test::throws_with<ShapeError>([&] { calibration_from_predictions(p, {0}); }, {"2 predictions", "1 labels"}));
}

TEST(Calibration, TextListsNonEmptyBins) {
  const CalibrationSummary c = calibration_summary({0.9, 0.3}, {1, 0}, 5);
  const std::string t = format_calibration(c);
  EXPECT_NE(t.find("expected calibration error"), std::string::npos);
  EXPECT_NE(t.find("(0.800, 1.000]"), std::string::npos) << t;
  EXPECT_NE(t.find("(0.200, 0.400]"), std::string::npos) << t;
  EXPECT_EQ(t.find("(0.400, 0.600]"), std::string::npos) << "empty bin listed\n" << t;
}

}  // namespace
}  // namespace gd
