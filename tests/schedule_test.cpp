// Learning-rate schedules (engine/optim/schedule.h) at their boundaries, against values worked out by
// hand from the documented formulas (PyTorch StepLR, LinearLR warm-up, CosineAnnealingLR, OneCycleLR).
// Expected values are sums and products of a few O(0.1) doubles plus one cos(): 1e-14 is ~100 ulps of
// 0.1 and far below any formula mistake.
#include "engine/optim/schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "engine/core/error.h"

namespace gd {
namespace {

constexpr double kTol = 1e-14;
constexpr double kPi = 3.14159265358979323846;

ScheduleConfig named(const std::string& name) {
  ScheduleConfig c;
  c.name = name;
  return c;
}

// Checks lr is monotone (non-increasing when `down`, else non-decreasing) on [from, to].
void expect_monotone(const LrSchedule& s, int64_t from, int64_t to, bool down) {
  for (int64_t k = from; k < to; ++k) {
    const double a = s.lr_at(k), b = s.lr_at(k + 1);
    if (down)
      EXPECT_LE(b, a) << "step " << k + 1;
    else
      EXPECT_GE(b, a) << "step " << k + 1;
  }
}

TEST(Schedule, ConstantIsBaseEverywhere) {
  const LrSchedule s(named("constant"), 0.1, 10, 3);
  EXPECT_EQ(s.total_steps(), 30);
  EXPECT_EQ(s.lr_at(0), 0.1);
  EXPECT_EQ(s.lr_at(29), 0.1);
  EXPECT_EQ(s.lr_at(1000), 0.1);
}

TEST(Schedule, StepDecaysExactlyAtEpochMultiples) {
  // 10 steps/epoch, decay x0.1 every 10 epochs = every 100 steps; base 0.1.
  ScheduleConfig c = named("step");
  c.step_size_epochs = 10;
  c.gamma = 0.1;
  const LrSchedule s(c, 0.1, 10, 30);
  EXPECT_NEAR(s.lr_at(0), 0.1, kTol);
  EXPECT_NEAR(s.lr_at(99), 0.1, kTol);    // last step of epoch 9
  EXPECT_NEAR(s.lr_at(100), 0.01, kTol);  // first step of epoch 10
  EXPECT_NEAR(s.lr_at(199), 0.01, kTol);
  EXPECT_NEAR(s.lr_at(200), 0.001, kTol);
  EXPECT_NEAR(s.lr_at(299), 0.001, kTol);
  expect_monotone(s, 0, 299, true);
}

TEST(Schedule, StepWithFractionalPeriod) {
  // step_size_epochs = 2.5 at 10 steps/epoch = 25 steps; gamma 0.5: 0.2 -> 0.1 at step 25 -> 0.05 at 50.
  ScheduleConfig c = named("step");
  c.step_size_epochs = 2.5;
  c.gamma = 0.5;
  const LrSchedule s(c, 0.2, 10, 10);
  EXPECT_NEAR(s.lr_at(24), 0.2, kTol);
  EXPECT_NEAR(s.lr_at(25), 0.1, kTol);
  EXPECT_NEAR(s.lr_at(49), 0.1, kTol);
  EXPECT_NEAR(s.lr_at(50), 0.05, kTol);
}

TEST(Schedule, LinearWarmupStartAndEnd) {
  // Warm-up over 2 epochs = 20 steps from 0.1*base: lr(k) = base*(0.1 + 0.9*k/20), base = 0.1.
  ScheduleConfig c = named("constant");
  c.warmup_epochs = 2;
  c.warmup_start_factor = 0.1;
  const LrSchedule s(c, 0.1, 10, 5);
  EXPECT_EQ(s.warmup_steps(), 20);
  EXPECT_NEAR(s.lr_at(0), 0.01, kTol);
  EXPECT_NEAR(s.lr_at(10), 0.1 * (0.1 + 0.9 * 0.5), kTol);  // 0.055
  EXPECT_NEAR(s.lr_at(19), 0.1 * (0.1 + 0.9 * 0.95), kTol);  // 0.0955
  EXPECT_NEAR(s.lr_at(20), 0.1, kTol);
  EXPECT_NEAR(s.lr_at(49), 0.1, kTol);
  expect_monotone(s, 0, 49, false);
}

TEST(Schedule, WarmupMultipliesStepDecay) {
  // Warm-up of 20 steps with decay every 10 steps (x0.5): at step 10 the decay has happened and the
  // warm-up factor is 0.1 + 0.9*10/20 = 0.55, so lr = 1.0 * 0.5 * 0.55; at step 20 warm-up is over:
  // lr = 0.5^2 = 0.25.
  ScheduleConfig c = named("step");
  c.step_size_epochs = 1;
  c.gamma = 0.5;
  c.warmup_epochs = 2;
  const LrSchedule s(c, 1.0, 10, 5);
  EXPECT_NEAR(s.lr_at(0), 0.1, kTol);
  EXPECT_NEAR(s.lr_at(10), 0.5 * 0.55, kTol);
  EXPECT_NEAR(s.lr_at(20), 0.25, kTol);
  EXPECT_NEAR(s.lr_at(30), 0.125, kTol);
}

TEST(Schedule, CosineStartMiddleEnd) {
  // 300 steps, base 0.1, eta_min = 0.1*0.1 = 0.01: lr(k) = 0.01 + 0.09*(1 + cos(pi*k/300))/2.
  ScheduleConfig c = named("cosine");
  c.min_lr_factor = 0.1;
  const LrSchedule s(c, 0.1, 10, 30);
  EXPECT_NEAR(s.lr_at(0), 0.1, kTol);
  EXPECT_NEAR(s.lr_at(75), 0.01 + 0.045 * (1.0 + std::sqrt(0.5)), kTol);  // cos(pi/4) = sqrt(1/2)
  EXPECT_NEAR(s.lr_at(150), 0.055, kTol);                                 // cos(pi/2) = 0
  EXPECT_NEAR(s.lr_at(299), 0.01 + 0.045 * (1.0 + std::cos(kPi * 299.0 / 300.0)), kTol);
  EXPECT_GT(s.lr_at(299), 0.01);        // the last step is still above eta_min (PyTorch T_max = 300)
  EXPECT_NEAR(s.lr_at(300), 0.01, kTol);  // reached one past the end
  EXPECT_NEAR(s.lr_at(5000), 0.01, kTol);  // and held
  expect_monotone(s, 0, 310, true);
}

TEST(Schedule, CosineAfterWarmup) {
  // Warm-up 5 epochs = 50 steps, then cosine over T = 250 steps to eta_min = 0 (min_lr_factor 0).
  ScheduleConfig c = named("cosine");
  c.warmup_epochs = 5;
  c.warmup_start_factor = 0.2;
  const LrSchedule s(c, 0.1, 10, 30);
  EXPECT_NEAR(s.lr_at(0), 0.02, kTol);
  EXPECT_NEAR(s.lr_at(25), 0.1 * (0.2 + 0.8 * 0.5), kTol);
  EXPECT_NEAR(s.lr_at(50), 0.1, kTol);    // cosine starts at base: t = 0
  EXPECT_NEAR(s.lr_at(175), 0.05, kTol);  // t = 125 = T/2
  EXPECT_NEAR(s.lr_at(300), 0.0, kTol);
  expect_monotone(s, 0, 50, false);
  expect_monotone(s, 50, 300, true);
}

TEST(Schedule, OneCycleMatchesPyTorchFormula) {
  // OneCycleLR(max_lr = 0.1, total_steps = 105, pct_start = 0.2, div_factor = 25,
  // final_div_factor = 1e4, three_phase = False):
  //   initial = 0.1/25 = 0.004, min = 0.004/1e4 = 4e-7, peak step e = 0.2*105 - 1 = 20,
  //   falling phase from step 20 to 104 (84 steps).
  //   rise: lr(k) = 0.1 + (0.004 - 0.1)*(1 + cos(pi*k/20))/2
  //   fall: lr(k) = 4e-7 + (0.1 - 4e-7)*(1 + cos(pi*(k - 20)/84))/2
  ScheduleConfig c = named("onecycle");
  c.pct_start = 0.2;
  const LrSchedule s(c, 0.1, 21, 5);
  ASSERT_EQ(s.total_steps(), 105);
  EXPECT_NEAR(s.lr_at(0), 0.004, kTol);
  EXPECT_NEAR(s.lr_at(5), 0.1 - 0.096 * (1.0 + std::sqrt(0.5)) / 2, kTol);  // cos(pi/4)
  EXPECT_NEAR(s.lr_at(10), 0.052, kTol);                                    // midpoint of the rise
  EXPECT_NEAR(s.lr_at(20), 0.1, kTol);                                      // the peak
  EXPECT_NEAR(s.lr_at(62), (0.1 + 4e-7) / 2, kTol);                         // midpoint of the fall
  EXPECT_NEAR(s.lr_at(104), 4e-7, kTol);                                    // last step = min
  EXPECT_NEAR(s.lr_at(500), 4e-7, kTol);                                    // held afterwards
  expect_monotone(s, 0, 20, false);
  expect_monotone(s, 20, 110, true);
}

TEST(Schedule, OneCycleNonIntegerPeak) {
  // total 300, pct 0.3: e = 0.3*300 - 1 = 89 (PyTorch's convention: the peak is at step 89, not 90).
  // lr(90) = min + (max - min)*(1 + cos(pi*1/210))/2 with max 1, min 1/25/1e4 = 4e-6.
  ScheduleConfig c = named("onecycle");
  const LrSchedule s(c, 1.0, 10, 30);
  EXPECT_NEAR(s.lr_at(89), 1.0, kTol);
  EXPECT_NEAR(s.lr_at(90), 4e-6 + (1.0 - 4e-6) * (1.0 + std::cos(kPi / 210.0)) / 2, kTol);
  EXPECT_NEAR(s.lr_at(299), 4e-6, kTol);
}

void expect_config_error(const ScheduleConfig& c, const std::string& field) {
  try {
    validate(c);
    ADD_FAILURE() << "no ConfigError for bad " << field;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
  }
}

TEST(Schedule, ValidationNamesTheField) {
  ScheduleConfig c = named("exponential");
  expect_config_error(c, "name");
  c = named("step");
  c.gamma = 0.0;
  expect_config_error(c, "gamma");
  c.gamma = 1.5;
  expect_config_error(c, "gamma");
  c = named("step");
  c.step_size_epochs = 0;
  expect_config_error(c, "step_size_epochs");
  c = named("cosine");
  c.min_lr_factor = -0.1;
  expect_config_error(c, "min_lr_factor");
  c = named("cosine");
  c.warmup_epochs = -1;
  expect_config_error(c, "warmup_epochs");
  c = named("cosine");
  c.warmup_start_factor = 0;
  expect_config_error(c, "warmup_start_factor");
  c = named("onecycle");
  c.pct_start = 1.0;
  expect_config_error(c, "pct_start");
  c = named("onecycle");
  c.div_factor = 0;
  expect_config_error(c, "div_factor");
  c = named("onecycle");
  c.final_div_factor = NAN;
  expect_config_error(c, "final_div_factor");
  c = named("onecycle");
  c.warmup_epochs = 1;
  expect_config_error(c, "warmup_epochs");
  EXPECT_NO_THROW(validate(named("onecycle")));
}

TEST(Schedule, ConstructorRejectsImpossibleStepCounts) {
  EXPECT_THROW(LrSchedule(named("constant"), 0.0, 10, 10), ConfigError);
  EXPECT_THROW(LrSchedule(named("constant"), 0.1, 0, 10), ConfigError);
  EXPECT_THROW(LrSchedule(named("constant"), 0.1, 10, 0), ConfigError);
  ScheduleConfig step = named("step");
  step.step_size_epochs = 0.01;  // 0.1 steps at 10 steps/epoch
  EXPECT_THROW(LrSchedule(step, 0.1, 10, 10), ConfigError);
  ScheduleConfig cos = named("cosine");
  cos.warmup_epochs = 10;  // the whole run
  EXPECT_THROW(LrSchedule(cos, 0.1, 10, 10), ConfigError);
  ScheduleConfig one = named("onecycle");  // 0.3 * 3 steps - 1 < 0: no rising phase
  EXPECT_THROW(LrSchedule(one, 0.1, 1, 3), ConfigError);
  const LrSchedule ok(named("constant"), 0.1, 10, 10);
  EXPECT_THROW(ok.lr_at(-1), Error);
}

}  // namespace
}  // namespace gd
