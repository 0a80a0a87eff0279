// The median stopping rule on scripted learning curves. Expected medians are computed by hand in
// the comments from the curves below.
#include <gtest/gtest.h>

#include <limits>

#include "engine/core/error.h"
#include "engine/tune/median_pruner.h"
#include "tests/support/expect_error.h"

namespace gd::tune {
namespace {

Trial make(int64_t id, TrialState state, std::vector<std::pair<int, double>> curve) {
  Trial t;
  t.id = id;
  t.number = static_cast<int>(id);
  t.state = state;
  t.intermediate = std::move(curve);
  return t;
}

// Five Complete trials. Medians: step 1 -> 0.25 (0.1 0.2 0.25 0.3 0.4), step 2 -> 0.45
// (0.3 0.4 0.45 0.5 0.6), step 3 -> 0.65 (0.5 0.6 0.65 0.7 0.8).
std::vector<Trial> finished() {
  return {make(0, TrialState::Complete, {{1, 0.20}, {2, 0.40}, {3, 0.60}}),
          make(1, TrialState::Complete, {{1, 0.30}, {2, 0.50}, {3, 0.70}}),
          make(2, TrialState::Complete, {{1, 0.10}, {2, 0.30}, {3, 0.50}}),
          make(3, TrialState::Complete, {{1, 0.40}, {2, 0.60}, {3, 0.80}}),
          make(4, TrialState::Complete, {{1, 0.25}, {2, 0.45}, {3, 0.65}})};
}

MedianPrunerOptions startup(int n) {
  MedianPrunerOptions o;
  o.n_startup_trials = n;
  return o;
}

TEST(PrunerMedian, MedianOfCompleteTrialsAtAStep) {
  std::vector<Trial> all = finished();
  EXPECT_EQ(median_at_step(all, 1, -1), 0.25);
  EXPECT_EQ(median_at_step(all, 3, -1), 0.65);
  EXPECT_EQ(median_at_step(all, 1, 4), 0.5 * (0.2 + 0.3));  // trial 4 excluded: 0.1 0.2 0.3 0.4
  EXPECT_FALSE(median_at_step(all, 7, -1).has_value());     // nobody reported step 7
  EXPECT_FALSE(median_at_step(all, 1, -1, 6).has_value());  // fewer than 6 values
  // Running, Pruned and Failed trials do not count.
  all.push_back(make(5, TrialState::Pruned, {{1, 9.0}}));
  all.push_back(make(6, TrialState::Running, {{1, 9.0}}));
  all.push_back(make(7, TrialState::Failed, {{1, 9.0}}));
  EXPECT_EQ(median_at_step(all, 1, -1), 0.25);
}

TEST(PrunerMedian, PrunesWhenBestSoFarIsWorseThanTheMedian) {
  const MedianPruner p(startup(5));
  std::vector<Trial> all = finished();
  const Trial below = make(10, TrialState::Running, {{1, 0.24}});
  const Trial above = make(11, TrialState::Running, {{1, 0.26}});
  EXPECT_TRUE(p.should_prune(below, 1, all, Direction::Maximize));   // 0.24 < 0.25
  EXPECT_FALSE(p.should_prune(above, 1, all, Direction::Maximize));  // 0.26 > 0.25
  // Minimising, lower is better: the same two swap roles.
  EXPECT_FALSE(p.should_prune(below, 1, all, Direction::Minimize));
  EXPECT_TRUE(p.should_prune(above, 1, all, Direction::Minimize));

  // The best value so far counts, not the latest: 0.50 at step 1 beats the step-2 median 0.45
  // although the step-2 value 0.40 does not.
  const Trial dipped = make(12, TrialState::Running, {{1, 0.50}, {2, 0.40}});
  EXPECT_FALSE(p.should_prune(dipped, 2, all, Direction::Maximize));
  const Trial slow = make(13, TrialState::Running, {{1, 0.26}, {2, 0.30}});
  EXPECT_TRUE(p.should_prune(slow, 2, all, Direction::Maximize));  // best 0.30 < 0.45

  // A stale copy of the trial itself in `all` (same id, values that would move the median) is ignored.
  all.push_back(make(10, TrialState::Complete, {{1, 100.0}}));
  EXPECT_TRUE(p.should_prune(below, 1, all, Direction::Maximize));
}

TEST(PrunerMedian, StartupWarmupIntervalAndMinTrials) {
  const std::vector<Trial> all = finished();
  const Trial bad = make(20, TrialState::Running, {{1, 0.0}, {2, 0.0}, {3, 0.0}, {4, 0.0}});

  EXPECT_FALSE(MedianPruner(startup(6)).should_prune(bad, 1, all, Direction::Maximize));  // only 5 complete
  EXPECT_TRUE(MedianPruner(startup(5)).should_prune(bad, 1, all, Direction::Maximize));

  MedianPrunerOptions warm = startup(0);
  warm.n_warmup_steps = 2;
  const MedianPruner pw(warm);
  EXPECT_FALSE(pw.should_prune(bad, 1, all, Direction::Maximize));
  EXPECT_FALSE(pw.should_prune(bad, 2, all, Direction::Maximize));
  EXPECT_TRUE(pw.should_prune(bad, 3, all, Direction::Maximize));

  MedianPrunerOptions every2 = startup(0);
  every2.interval_steps = 2;  // checks at steps 1, 3, 5, ...
  const MedianPruner pi(every2);
  EXPECT_TRUE(pi.should_prune(bad, 1, all, Direction::Maximize));
  EXPECT_FALSE(pi.should_prune(bad, 2, all, Direction::Maximize));
  EXPECT_TRUE(pi.should_prune(bad, 3, all, Direction::Maximize));
  EXPECT_FALSE(pi.should_prune(bad, 4, all, Direction::Maximize));  // step 4: no interval check (and no values)

  MedianPrunerOptions many = startup(0);
  many.n_min_trials = 6;
  EXPECT_FALSE(MedianPruner(many).should_prune(bad, 1, all, Direction::Maximize));
  many.n_min_trials = 5;
  EXPECT_TRUE(MedianPruner(many).should_prune(bad, 1, all, Direction::Maximize));

  // No reference values at a step (nobody reported it): keep going.
  const Trial lone = make(21, TrialState::Running, {{7, 0.0}});
  EXPECT_FALSE(MedianPruner(startup(0)).should_prune(lone, 7, all, Direction::Maximize));
}

TEST(PrunerMedian, NonFiniteValueIsPruned) {
  const Trial diverged = make(30, TrialState::Running, {{1, std::numeric_limits<double>::quiet_NaN()}});
  EXPECT_TRUE(MedianPruner(startup(5)).should_prune(diverged, 1, finished(), Direction::Minimize));
}

TEST(PrunerMedian, InvalidOptionsAreRejected) {
  MedianPrunerOptions o;
  o.interval_steps = 0;
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { MedianPruner p(o); }, {"interval_steps", ">= 1"}));
  o = {};
  o.n_warmup_steps = -1;
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { MedianPruner p(o); }, {"n_warmup_steps"}));
  o = {};
  o.n_min_trials = 0;
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { MedianPruner p(o); }, {"n_min_trials"}));
}

}  // namespace
}  // namespace gd::tune
