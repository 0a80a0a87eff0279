#include "engine/train/early_stopping.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/core/error.h"

namespace gd {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// One scripted epoch: the value fed to update() and what the caller should see afterwards.
struct Step {
  double value;
  bool is_best;
  bool stop;
  int wait;
};

void run_script(EarlyStopping& es, const std::vector<Step>& script) {
  for (size_t e = 0; e < script.size(); ++e) {
    const Step& s = script[e];
    EXPECT_EQ(es.update(static_cast<int>(e), s.value), s.is_best) << "epoch " << e;
    EXPECT_EQ(es.should_stop(), s.stop) << "epoch " << e;
    EXPECT_EQ(es.epochs_without_improvement(), s.wait) << "epoch " << e;
  }
}

TEST(EarlyStopping, MaxModePatienceBoundary) {
  EarlyStopping es(2);  // mode "max", min_delta 0
  EXPECT_EQ(es.best_epoch(), -1);
  run_script(es, {
                     {0.50, true, false, 0},
                     {0.60, true, false, 0},
                     {0.60, false, false, 1},  // equal is not better
                     {0.55, false, true, 2},   // 2nd epoch without improvement == patience: stop
                 });
  EXPECT_EQ(es.best_epoch(), 1);
  EXPECT_EQ(es.best_value(), 0.60);
}

TEST(EarlyStopping, ImprovementResetsTheCounter) {
  EarlyStopping es(2, 0.0, "max");
  run_script(es, {
                     {0.5, true, false, 0},
                     {0.4, false, false, 1},
                     {0.7, true, false, 0},
                     {0.7, false, false, 1},
                     {0.69, false, true, 2},
                 });
  EXPECT_EQ(es.best_epoch(), 2);
}

TEST(EarlyStopping, MinModeForLoss) {
  EarlyStopping es(3, 0.0, "min");
  run_script(es, {
                     {1.0, true, false, 0},
                     {0.8, true, false, 0},
                     {0.9, false, false, 1},
                     {0.85, false, false, 2},
                     {0.7, true, false, 0},
                     {0.7, false, false, 1},
                     {0.75, false, false, 2},
                     {0.71, false, true, 3},
                 });
  EXPECT_EQ(es.best_epoch(), 4);
  EXPECT_EQ(es.best_value(), 0.7);
}

TEST(EarlyStopping, MinDeltaMustBeExceeded) {
  // Binary-exact values so "by more than min_delta" is tested exactly at its boundary.
  EarlyStopping mx(5, 0.25, "max");
  run_script(mx, {
                     {1.0, true, false, 0},
                     {1.125, false, false, 1},  // +0.125 < 0.25
                     {1.25, false, false, 2},   // +0.25 == min_delta: not more than it
                     {1.5, true, false, 0},     // +0.5
                 });
  EXPECT_EQ(mx.best_value(), 1.5);

  EarlyStopping mn(5, 0.25, "min");
  run_script(mn, {
                     {2.0, true, false, 0},
                     {1.75, false, false, 1},  // -0.25 exactly
                     {1.5, true, false, 0},
                 });
}

TEST(EarlyStopping, NaNNeverImproves) {
  EarlyStopping es(2, 0.0, "min");
  run_script(es, {
                     {kNaN, false, false, 1},
                     {0.5, true, false, 0},
                     {kNaN, false, false, 1},
                     {kNaN, false, true, 2},
                 });
  EXPECT_EQ(es.best_epoch(), 1);
  EXPECT_EQ(es.best_value(), 0.5);
}

TEST(EarlyStopping, PatienceZeroNeverStopsButTracksBest) {
  EarlyStopping es(0);
  EXPECT_TRUE(es.update(0, 0.9));
  for (int e = 1; e < 50; ++e) {
    EXPECT_FALSE(es.update(e, 0.1));
    EXPECT_FALSE(es.should_stop());
  }
  EXPECT_EQ(es.best_epoch(), 0);
  EXPECT_EQ(es.epochs_without_improvement(), 49);
}

TEST(EarlyStopping, RestoreContinuesIdentically) {
  const std::vector<double> values = {0.3, 0.5, 0.45, 0.52, 0.52, 0.51, 0.6, 0.59, 0.58, 0.57};
  EarlyStopping full(3, 0.005, "max");
  EarlyStopping first(3, 0.005, "max");
  for (int e = 0; e < 5; ++e) {
    full.update(e, values[e]);
    first.update(e, values[e]);
  }
  const std::string saved = first.to_json().dump();  // through text, as stored in a checkpoint
  EarlyStopping resumed(3, 0.005, "max");
  resumed.restore(nlohmann::json::parse(saved));
  EXPECT_EQ(resumed.best_epoch(), full.best_epoch());
  EXPECT_EQ(resumed.best_value(), full.best_value());
  EXPECT_EQ(resumed.epochs_without_improvement(), full.epochs_without_improvement());
  bool stopped = false;
  for (int e = 5; e < static_cast<int>(values.size()) && !stopped; ++e) {
    EXPECT_EQ(resumed.update(e, values[e]), full.update(e, values[e])) << e;
    EXPECT_EQ(resumed.should_stop(), full.should_stop()) << e;
    stopped = full.should_stop();
  }
  EXPECT_TRUE(stopped);
  EXPECT_EQ(resumed.best_epoch(), 6);

  // A state saved before any finite value restores to "no best yet".
  EarlyStopping fresh(2, 0.0, "min");
  fresh.update(0, kNaN);
  const nlohmann::json j = fresh.to_json();
  EXPECT_TRUE(j["best_value"].is_null());
  EarlyStopping r2(2, 0.0, "min");
  r2.restore(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(r2.best_epoch(), -1);
  EXPECT_EQ(r2.epochs_without_improvement(), 1);
  EXPECT_TRUE(r2.update(1, 1e9));  // any finite loss beats "no best"
}

TEST(EarlyStopping, BadConfigAndBadState) {
  EXPECT_THROW(EarlyStopping(-1), ConfigError);
  EXPECT_THROW(EarlyStopping(2, -0.1), ConfigError);
  EXPECT_THROW(EarlyStopping(2, kNaN), ConfigError);
  EXPECT_THROW(EarlyStopping(2, 0.0, "maximum"), ConfigError);
  EarlyStopping es(2, 0.0, "max");
  EXPECT_THROW(es.restore(EarlyStopping(2, 0.0, "min").to_json()), ConfigError);
  EXPECT_THROW(es.restore(nlohmann::json::array()), DataError);
  EXPECT_THROW(es.restore(nlohmann::json{{"mode", "max"}}), DataError);
  nlohmann::json j = es.to_json();
  j["best_value"] = "high";
  EXPECT_THROW(es.restore(j), DataError);
}

}  // namespace
}  // namespace gd
