// make_sampler (engine/tune/sampler.h) and the coarse-then-fine sampler
// (engine/tune/coarse_fine_sampler.h): names, option validation, the switch from random search
// to the GP, and continuing a study that another sampler started.
#include "engine/tune/coarse_fine_sampler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/tune/random_sampler.h"
#include "engine/tune/sampler.h"
#include "tests/support/expect_error.h"

namespace gd::tune {
namespace {

using nlohmann::json;
using test::throws_with;

TEST(MakeSampler, EveryNameWithDefaultsAndOptions) {
  for (const std::string& name : sampler_names()) {
    auto s = make_sampler(name);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->name(), name);
    EXPECT_EQ(make_sampler(name, nullptr)->name(), name);  // null options = defaults
  }
  EXPECT_EQ(make_sampler("grid", {{"resolution", 3}, {"shuffle", true}})->name(), "grid");
  EXPECT_EQ(make_sampler("tpe", {{"n_startup", 5}, {"gamma", 0.2}, {"multivariate", false}})->name(), "tpe");
  EXPECT_EQ(make_sampler("coarse-fine", {{"n_random", 20}, {"n_candidates", 128}})->name(), "coarse-fine");
}

TEST(MakeSampler, BadNamesAndOptionsAreConfigErrors) {
  EXPECT_TRUE(throws_with<ConfigError>([] { make_sampler("bayes"); }, {"bayes", "random, grid, tpe, gp, coarse-fine"}));
  EXPECT_TRUE(throws_with<ConfigError>([] { make_sampler("tpe", {{"n_startups", 3}}); }, {"'tpe'", "n_startups", "n_startup"}));
  EXPECT_TRUE(throws_with<ConfigError>([] { make_sampler("random", {{"seed", 3}}); }, {"'random'", "seed", "none"}));
  EXPECT_TRUE(throws_with<ConfigError>([] { make_sampler("gp", {{"n_candidates", "many"}}); }, {"'gp'", "n_candidates", "integer"}));
  EXPECT_TRUE(throws_with<ConfigError>([] { make_sampler("grid", {{"shuffle", 1}}); }, {"'grid'", "shuffle", "true or false"}));
  EXPECT_TRUE(throws_with<ConfigError>([] { make_sampler("tpe", {{"gamma", 1.5}}); }, {"gamma"}));
  EXPECT_TRUE(throws_with<ConfigError>([] { make_sampler("grid", {{"resolution", 1}}); }, {"resolution"}));
  EXPECT_TRUE(throws_with<ConfigError>([] { make_sampler("coarse-fine", {{"n_random", -3}}); }, {"n_random"}));
  EXPECT_TRUE(throws_with<ConfigError>([] { make_sampler("gp", json::array()); }, {"'gp'", "JSON object"}));
}

SearchSpace space3() {
  return SearchSpace::from_toml_string(
      "[params.a]\ntype = \"float\"\nlow = 0.0\nhigh = 1.0\n[params.b]\ntype = \"int\"\nlow = 1\nhigh = 50\n"
      "[params.c]\ntype = \"categorical\"\nchoices = [\"x\", \"y\"]\n",
      "abc");
}

double f(const json& p) { return p["a"].get<double>() + 0.01 * p["b"].get<int>() + (p["c"] == "y" ? 0.5 : 0.0); }

Trial complete(int number, const json& params, const std::string& proposer) {
  Trial t;
  t.id = number;
  t.number = number;
  t.params = params;
  t.state = TrialState::Complete;
  t.value = f(params);
  t.sampler = proposer;
  return t;
}

TEST(CoarseFineSampler, RandomUntilEnoughCompleteTrialsThenGp) {
  const SearchSpace s = space3();
  CoarseFineSampler cf;
  EXPECT_EQ(cf.random_trials(s), 10);  // max(10, 2 * 3)
  RandomSampler random;
  std::vector<Trial> history;
  for (int i = 0; i < 14; ++i) {
    const json p = cf.sample(s, history, Direction::Maximize, 3, i);
    EXPECT_EQ(cf.last_proposer(), i < 10 ? "random" : "gp") << i;
    if (i < 10) {
      EXPECT_EQ(p, random.sample(s, history, Direction::Maximize, 3, i)) << i;
    }
    history.push_back(complete(i, p, cf.last_proposer()));
  }
  // Running and failed trials do not count towards the switch.
  std::vector<Trial> pending = history;
  pending.resize(9);
  Trial running = complete(9, {{"a", 0.5}, {"b", 3}, {"c", "x"}}, "random");
  running.state = TrialState::Running;
  running.value.reset();
  pending.push_back(running);
  cf.sample(s, pending, Direction::Maximize, 3, 10);
  EXPECT_EQ(cf.last_proposer(), "random");
  EXPECT_EQ(CoarseFineSampler(3).random_trials(s), 3);
}

TEST(CoarseFineSampler, ContinuesAStudyStartedByAnotherSampler) {
  // 12 trials proposed by the random sampler: the GP part models all of them at once.
  const SearchSpace s = space3();
  RandomSampler random;
  std::vector<Trial> history;
  for (int i = 0; i < 12; ++i) history.push_back(complete(i, random.sample(s, history, Direction::Maximize, 4, i), "random"));
  CoarseFineSampler cf;
  const json p = cf.sample(s, history, Direction::Maximize, 4, 12);
  EXPECT_EQ(cf.last_proposer(), "gp");
  EXPECT_EQ(s.check_params(p), "");
  // A plain GP sampler given the same history is past its start phase (5 trials) as well, and
  // agrees: the switch and the model depend on the history, not on who proposed it.
  auto gp = make_sampler("gp");
  EXPECT_EQ(gp->sample(s, history, Direction::Maximize, 4, 12), p);
}

}  // namespace
}  // namespace gd::tune
