// The per-architecture recipes (engine/train/train_config.h, apply_recipe): the warm-up that keeps
// the cnn recipe from dying in its first epoch is applied to cnn and spec strings only, an explicit
// --warmup-epochs wins, onecycle (which rises by itself) gets none, and the resulting schedules are
// valid even for a one-epoch run of a few steps.
#include <gtest/gtest.h>

#include "engine/optim/schedule.h"
#include "engine/train/train_config.h"

namespace gd {
namespace {

TrainConfig recipe(const std::string& arch, const ExplicitFlags& set = {}, const std::string& schedule = "") {
  TrainConfig c;
  c.arch = arch;
  if (!schedule.empty()) c.schedule.name = schedule;
  apply_recipe(c, set);
  return c;
}

TEST(TrainRecipe, CnnAndSpecStringsWarmUpMlpAndLcnnDoNot) {
  EXPECT_DOUBLE_EQ(recipe("cnn").schedule.warmup_epochs, 0.3);
  EXPECT_DOUBLE_EQ(recipe("conv8k3,relu,fc10").schedule.warmup_epochs, 0.3);
  EXPECT_DOUBLE_EQ(recipe("mlp").schedule.warmup_epochs, 0.0);
  EXPECT_DOUBLE_EQ(recipe("lcnn").schedule.warmup_epochs, 0.0);
  EXPECT_EQ(recipe("cnn").schedule.name, "cosine");
}

TEST(TrainRecipe, AnExplicitWarmUpWinsAndOnecycleGetsNone) {
  TrainConfig c;
  c.arch = "cnn";
  c.schedule.warmup_epochs = 2.0;
  ExplicitFlags set;
  set.warmup = true;
  apply_recipe(c, set);
  EXPECT_DOUBLE_EQ(c.schedule.warmup_epochs, 2.0);

  ExplicitFlags sched;
  sched.schedule = true;
  const TrainConfig one = recipe("cnn", sched, "onecycle");
  EXPECT_DOUBLE_EQ(one.schedule.warmup_epochs, 0.0);
  EXPECT_NO_THROW(validate(one));
}

TEST(TrainRecipe, TheWarmUpScheduleRisesThenAnneals) {
  const TrainConfig c = recipe("cnn");
  // A one-epoch run of 10 steps: 3 warm-up steps from 0.1x, then cosine to 0.
  const LrSchedule s(c.schedule, c.optim.lr, 10, 1);
  EXPECT_DOUBLE_EQ(s.lr_at(0), 0.1 * c.optim.lr);
  EXPECT_LT(s.lr_at(1), s.lr_at(2));
  EXPECT_DOUBLE_EQ(s.lr_at(3), c.optim.lr);
  EXPECT_LT(s.lr_at(9), s.lr_at(4));
}

}  // namespace
}  // namespace gd
