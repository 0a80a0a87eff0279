// ASHA's pure rules: rung epochs, budgets, standings, and which trials are paused and promoted in
// which order on scripted learning curves (eta = 3 and eta = 2). The expected orders were worked
// out by hand from the rule in asha.h (promote a paused trial in the top floor(n/eta) of its rung,
// highest rung first, else start a new trial); each step's reasoning is in the comments.
#include <gtest/gtest.h>

#include <limits>
#include <map>

#include "engine/core/error.h"
#include "engine/tune/asha.h"
#include "tests/support/expect_error.h"

namespace gd::tune {
namespace {

using nlohmann::json;

AshaOptions opts(int min_r, int max_r, int eta, int s = 0) {
  AshaOptions o;
  o.min_resource = min_r;
  o.max_resource = max_r;
  o.reduction_factor = eta;
  o.min_early_stopping_rate = s;
  return o;
}

TEST(AshaRungs, RungEpochs) {
  EXPECT_EQ(asha_rungs(opts(1, 27, 3)), (std::vector<int>{1, 3, 9, 27}));
  EXPECT_EQ(asha_rungs(opts(1, 20, 3)), (std::vector<int>{1, 3, 9, 20}));  // last rung is always R
  EXPECT_EQ(asha_rungs(opts(1, 27, 3, 1)), (std::vector<int>{3, 9, 27}));  // s = 1 skips the first rung
  EXPECT_EQ(asha_rungs(opts(2, 16, 2)), (std::vector<int>{2, 4, 8, 16}));
  EXPECT_EQ(asha_rungs(opts(5, 5, 3)), (std::vector<int>{5}));  // one rung: nothing pauses
  EXPECT_EQ(asha_rungs(opts(1, 10, 3, 3)), (std::vector<int>{10}));
  EXPECT_TRUE(test::throws_with<ConfigError>([] { asha_rungs(opts(0, 10, 3)); }, {"min_resource", ">= 1"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([] { asha_rungs(opts(1, 10, 1)); }, {"reduction_factor"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([] { asha_rungs(opts(4, 3, 2)); }, {"max_resource (3)"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([] { asha_rungs(opts(1, 9, 3, -1)); }, {"min_early_stopping_rate"}));
}

TEST(AshaRungs, BudgetsAndPausing) {
  const AshaPruner asha(opts(1, 9, 3));  // rungs 1, 3, 9
  Trial t;
  t.id = 1;
  t.number = 0;
  EXPECT_EQ(asha.target_rung(t), 0);
  EXPECT_EQ(asha.epoch_budget(t), 1);
  EXPECT_TRUE(asha.should_prune(t, 1, {}, Direction::Maximize));  // reached rung 0: pause
  t.attrs = {{"asha", {{"rung", 0}, {"promoted_to", 1}}}};
  EXPECT_EQ(asha.epoch_budget(t), 3);
  EXPECT_FALSE(asha.should_prune(t, 2, {}, Direction::Maximize));
  EXPECT_TRUE(asha.should_prune(t, 3, {}, Direction::Maximize));
  t.attrs = {{"asha", {{"rung", 1}, {"promoted_to", 2}}}};
  EXPECT_EQ(asha.epoch_budget(t), 9);
  EXPECT_FALSE(asha.should_prune(t, 9, {}, Direction::Maximize));  // the last rung completes, never pauses

  t.attrs = {{"asha", {{"promoted_to", 5}}}};
  EXPECT_TRUE(test::throws_with<DataError>([&] { asha.target_rung(t); }, {"promoted_to = 5", "1..2"}));
  t.attrs = {{"asha", {{"promoted_to", "two"}}}};
  EXPECT_TRUE(test::throws_with<DataError>([&] { asha.target_rung(t); }, {"integer", "\"two\""}));

  EXPECT_EQ(AshaPruner::pause_attrs(1, "runs/t7/checkpoint.ckpt"),
            json({{"asha", {{"rung", 1}, {"promoted_to", nullptr}}}, {"checkpoint", "runs/t7/checkpoint.ckpt"}}));
  EXPECT_EQ(AshaPruner::pause_attrs(0, ""), json({{"asha", {{"rung", 0}, {"promoted_to", nullptr}}}}));
}

// ---- scripted runs --------------------------------------------------------------------------------

// One worker running ASHA with the pure functions: each job is the promotion next_promotion
// chooses, else a new trial; a job trains epoch by epoch on the scripted curve until should_prune
// pauses it or it reaches max_resource and completes. The log lists each job.
class Script {
 public:
  Script(AshaOptions o, Direction d, std::map<int, std::map<int, double>> curves)
      : asha_(o), d_(d), curves_(std::move(curves)) {}

  std::string job() {
    std::string line;
    if (const std::optional<AshaPromotion> p = asha_.next_promotion(trials_, d_)) {
      Trial& t = trials_.at(static_cast<size_t>(p->number));
      EXPECT_EQ(t.id, p->trial_id);
      EXPECT_EQ(asha_.paused_rung(t), p->from_rung);
      t.state = TrialState::Running;
      t.attrs.merge_patch(AshaPruner::promotion_attrs(*p));
      line = "promote " + std::to_string(t.number) + " to " + std::to_string(p->to_rung);
      return line + run(t);
    }
    Trial t;
    t.number = static_cast<int>(trials_.size());
    t.id = 100 + t.number;
    trials_.push_back(t);
    return "new " + std::to_string(t.number) + run(trials_.back());
  }

  std::vector<std::string> jobs(int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(job());
    return out;
  }

  const std::vector<Trial>& trials() const { return trials_; }
  const AshaPruner& asha() const { return asha_; }

 private:
  double curve(int number, int epoch) const {
    const auto& c = curves_.at(number);
    const auto it = c.find(epoch);
    return it == c.end() ? 0.0 : it->second;  // epochs between rungs do not matter to ASHA
  }

  std::string run(Trial& t) {
    const int start = t.intermediate.empty() ? 1 : t.intermediate.back().first + 1;
    for (int e = start;; ++e) {
      t.intermediate.emplace_back(e, curve(t.number, e));
      if (asha_.should_prune(t, e, trials_, d_)) {
        const int rung = asha_.target_rung(t);
        t.state = TrialState::Pruned;
        t.value = t.intermediate.back().second;
        t.attrs.merge_patch(AshaPruner::pause_attrs(rung, "ckpt"));
        return ", pause at " + std::to_string(rung);
      }
      if (e == asha_.epoch_budget(t)) {
        EXPECT_EQ(asha_.target_rung(t), asha_.last_rung());
        t.state = TrialState::Complete;
        t.value = t.intermediate.back().second;
        return ", complete";
      }
    }
  }

  AshaPruner asha_;
  Direction d_;
  std::map<int, std::map<int, double>> curves_;
  std::vector<Trial> trials_;
};

TEST(AshaRungs, ScriptedCurvesEta3Maximize) {
  // Rungs at epochs 1, 3 and 9 (complete). Values at epoch 1 (rung 0), 3 (rung 1) and 9.
  Script s(opts(1, 9, 3), Direction::Maximize,
           {{0, {{1, 0.30}}},
            {1, {{1, 0.50}, {3, 0.70}}},
            {2, {{1, 0.40}}},
            {3, {{1, 0.20}}},
            {4, {{1, 0.60}, {3, 0.65}}},
            {5, {{1, 0.10}}},
            {6, {{1, 0.35}}},
            {7, {{1, 0.55}, {3, 0.80}, {9, 0.85}}},
            {8, {{1, 0.45}}}});
  const std::vector<std::string> expected = {
      "new 0, pause at 0",           // rung 0: n=1, top floor(1/3)=0
      "new 1, pause at 0",           // n=2, top 0
      "new 2, pause at 0",           // n=3, top 1 = trial 1 (0.50)
      "promote 1 to 1, pause at 1",  // rung 1: n=1, top 0
      "new 3, pause at 0",           // rung 0: n=3 top 1 = trial 1, already promoted
      "new 4, pause at 0",           // n=5, top 1 = trial 4 (0.60)
      "promote 4 to 1, pause at 1",  // rung 1: n=2, top 0
      "new 5, pause at 0",           // rung 0: n=5 top 1 = trial 4, promoted
      "new 6, pause at 0",           // n=7, top 2 = 4, 1: both promoted
      "new 7, pause at 0",           // n=8, top 2 = 4 (0.60), 7 (0.55): 7 is promotable
      "promote 7 to 1, pause at 1",  // rung 1: n=3, top 1 = trial 7 (0.80)
      "promote 7 to 2, complete",    // the higher rung goes first
      "new 8, pause at 0",           // rung 1 top 1 = 7 (complete); rung 0 top 2 = 4, 7: none paused there
  };
  EXPECT_EQ(s.jobs(static_cast<int>(expected.size())), expected);

  const std::vector<RungEntry> r1 = s.asha().rung_standings(1, s.trials(), Direction::Maximize);
  ASSERT_EQ(r1.size(), 3u);
  EXPECT_EQ(r1[0].number, 7);
  EXPECT_EQ(r1[1].number, 1);
  EXPECT_EQ(r1[2].number, 4);
  EXPECT_TRUE(r1[1].paused);
  EXPECT_FALSE(r1[0].paused);
  EXPECT_EQ(s.trials()[7].value, 0.85);
  EXPECT_EQ(s.trials()[7].intermediate.size(), 9u);  // resumed each time, never restarted
}

TEST(AshaRungs, ScriptedCurvesEta2Minimize) {
  // Rungs at epochs 1, 2 and 4 (complete); lower is better.
  Script s(opts(1, 4, 2), Direction::Minimize,
           {{0, {{1, 0.90}}},
            {1, {{1, 0.70}, {2, 0.50}, {4, 0.40}}},
            {2, {{1, 0.80}}},
            {3, {{1, 0.60}, {2, 0.55}}},
            {4, {{1, 0.95}}},
            {5, {{1, 0.50}, {2, 0.45}, {4, 0.30}}}});
  const std::vector<std::string> expected = {
      "new 0, pause at 0",           // rung 0: n=1, top floor(1/2)=0
      "new 1, pause at 0",           // n=2, top 1 = trial 1 (0.70)
      "promote 1 to 1, pause at 1",  // rung 1: n=1, top 0
      "new 2, pause at 0",           // rung 0: n=3, top 1 = trial 1, promoted
      "new 3, pause at 0",           // n=4, top 2 = 3 (0.60), 1 (0.70): 3 is promotable
      "promote 3 to 1, pause at 1",  // rung 1: n=2, top 1 = trial 1 (0.50)
      "promote 1 to 2, complete",
      "new 4, pause at 0",           // rung 1 top 1 = 1 (complete); rung 0 top 2 = 3, 1: promoted
      "new 5, pause at 0",           // n=6, top 3 = 5 (0.50), 3, 1: 5 is promotable
      "promote 5 to 1, pause at 1",  // rung 1: n=3, top 1 = trial 5 (0.45)
      "promote 5 to 2, complete",
  };
  EXPECT_EQ(s.jobs(static_cast<int>(expected.size())), expected);
  EXPECT_EQ(s.trials()[5].value, 0.30);
}

// Asynchrony: trials still running count in a rung once they reported its epoch; failed trials do
// not count at all; ties go to the earlier trial; non-finite values rank last.
TEST(AshaRungs, RunningFailedTiesAndNonFinite) {
  const AshaPruner asha(opts(1, 4, 2));  // rungs 1, 2, 4
  auto trial = [](int n, TrialState st, std::vector<std::pair<int, double>> v, json attrs = json::object()) {
    Trial t;
    t.id = 10 + n;
    t.number = n;
    t.state = st;
    t.intermediate = std::move(v);
    t.attrs = std::move(attrs);
    return t;
  };
  const json paused0 = {{"asha", {{"rung", 0}}}};
  std::vector<Trial> all = {trial(0, TrialState::Pruned, {{1, 0.5}}, paused0), trial(1, TrialState::Running, {})};
  EXPECT_FALSE(asha.next_promotion(all, Direction::Maximize).has_value());  // n=1 (trial 1 has no value yet)
  all[1].intermediate = {{1, 0.6}};  // reported epoch 1, not yet told: it ranks first, so 0 stays
  EXPECT_FALSE(asha.next_promotion(all, Direction::Maximize).has_value());
  all.push_back(trial(2, TrialState::Pruned, {{1, 0.2}}, paused0));  // n=3, top 1 = trial 1 still
  EXPECT_FALSE(asha.next_promotion(all, Direction::Maximize).has_value());
  // A failed trial is not counted: were it, n=4 would make the top 2 = 1, 0 and promote 0.
  all.push_back(trial(3, TrialState::Failed, {{1, 0.1}}));
  EXPECT_FALSE(asha.next_promotion(all, Direction::Maximize).has_value());
  all.push_back(trial(4, TrialState::Pruned, {{1, 0.5}}, paused0));  // ties with trial 0
  // n=4, top 2 = 1 (0.6) and 0 (0.5, ahead of 4 by number): 0 is promoted.
  std::optional<AshaPromotion> p = asha.next_promotion(all, Direction::Maximize);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->number, 0);
  EXPECT_EQ(p->from_rung, 0);
  EXPECT_EQ(p->to_rung, 1);
  EXPECT_EQ(p->value, 0.5);

  all[1].intermediate = {{1, std::numeric_limits<double>::infinity()}};  // not a real result: ranks last
  const std::vector<RungEntry> r0 = asha.rung_standings(0, all, Direction::Maximize);
  std::vector<int> order;
  for (const RungEntry& e : r0) order.push_back(e.number);
  EXPECT_EQ(order, (std::vector<int>{0, 4, 2, 1}));  // 3 failed: not listed

  // A trial Pruned by another rule (no asha attrs) is never promoted: top 2 = 0, 4 -> 4.
  all[0].attrs = json::object();
  p = asha.next_promotion(all, Direction::Maximize);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->number, 4);
}

}  // namespace
}  // namespace gd::tune
