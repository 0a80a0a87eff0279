// Duplicate avoidance, for every sampler (engine/tune/sampler.h): with many Running trials on a
// tiny discrete space, every proposal is a configuration no trial has (whatever its state), the
// last free configuration is still found, and then SpaceExhaustedError; a continuous space with
// many trials in flight never gets a repeated key.
#include "engine/tune/sampler.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/support/tune_trials.h"
#include "tests/support/expect_error.h"

namespace gd::tune {
namespace {

using nlohmann::json;

using test::trial;

// opt x n = 6 configurations, and (sgd, 3) splits in two by nesterov: 7.
SearchSpace tiny() {
  return SearchSpace::from_toml_string(R"(
[params.opt]
type = "categorical"
choices = ["sgd", "adam"]
[params.n]
type = "int"
low = 1
high = 3
[params.nesterov]
type = "categorical"
choices = [true, false]
when = { opt = "sgd", n = [3] }
[params]
epochs = 2
)",
                                       "tiny");
}

class EverySampler : public ::testing::TestWithParam<std::string> {};

TEST_P(EverySampler, ProposesEachFreeConfigurationOnceThenReportsExhaustion) {
  const SearchSpace s = tiny();
  ASSERT_EQ(s.finite_size(), 7);
  // States cycle through all four, so every kind of trial blocks its configuration; values make
  // TPE and GP leave their startup phase part way.
  const TrialState states[] = {TrialState::Running, TrialState::Complete, TrialState::Failed, TrialState::Pruned};
  auto sampler = make_sampler(GetParam(), GetParam() == "tpe" ? json{{"n_startup", 2}} : json::object());
  std::vector<Trial> history;
  std::set<std::string> keys;
  for (int i = 0; i < 7; ++i) {
    const json p = sampler->sample(s, history, Direction::Maximize, 77, i);
    ASSERT_EQ(s.check_params(p), "") << p.dump();
    ASSERT_TRUE(keys.insert(s.canonical_key(p)).second) << GetParam() << " repeated " << p.dump() << " at trial " << i;
    const TrialState st = states[i % 4];
    history.push_back(trial(i, p, st, st == TrialState::Complete || st == TrialState::Pruned ? std::optional<double>(i % 3) : std::nullopt));
  }
  EXPECT_TRUE(test::throws_with<SpaceExhaustedError>([&] { sampler->sample(s, history, Direction::Maximize, 77, 7); },
                                                     {"tiny"}));
}

TEST_P(EverySampler, ManyRunningTrialsOnAContinuousSpaceNeverRepeat) {
  const SearchSpace s = SearchSpace::from_toml_string(
      "[params.x]\ntype = \"float\"\nlow = 0.0\nhigh = 1.0\n[params.k]\ntype = \"categorical\"\nchoices = [\"a\", \"b\"]\n", "xk");
  auto sampler = make_sampler(GetParam(), GetParam() == "gp" ? json{{"n_candidates", 64}} : json::object());
  std::vector<Trial> history;
  // 12 finished trials, then 30 proposals handed to workers that never report back.
  for (int i = 0; i < 12; ++i) {
    const json p = {{"x", (i + 0.5) / 12}, {"k", i % 2 ? "a" : "b"}};
    history.push_back(trial(i, p, TrialState::Complete, p["x"].get<double>()));
  }
  std::set<std::string> keys;
  for (const Trial& t : history) keys.insert(s.canonical_key(t.params));
  for (int i = 12; i < 42; ++i) {
    json p;
    try {
      p = sampler->sample(s, history, Direction::Maximize, 5, i);
    } catch (const SpaceExhaustedError&) {
      ASSERT_EQ(GetParam(), "grid");  // a grid of 5 x 2 points runs out; the others never do
      break;
    }
    ASSERT_TRUE(keys.insert(s.canonical_key(p)).second) << GetParam() << " repeated " << p.dump();
    history.push_back(trial(i, p, TrialState::Running));
  }
}

INSTANTIATE_TEST_SUITE_P(Samplers, EverySampler, ::testing::Values("random", "grid", "tpe", "gp", "coarse-fine"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

TEST(Sampler, AllFixedSpaceHasExactlyOneConfiguration) {
  const SearchSpace s = SearchSpace::from_toml_string("[params]\nlr = 0.1\noptimizer = \"sgd\"\n", "fixed");
  auto r = make_sampler("tpe");
  const json p = r->sample(s, {}, Direction::Maximize, 1, 0);
  EXPECT_EQ(p, json::parse(R"({"lr": 0.1, "optimizer": "sgd"})"));
  const std::vector<Trial> history = {trial(0, p, TrialState::Complete, 1.0)};
  EXPECT_THROW(r->sample(s, history, Direction::Maximize, 1, 1), SpaceExhaustedError);
}

TEST(Sampler, RejectsAnEmptySpaceAndNegativeTrialNumbers) {
  auto r = make_sampler("random");
  EXPECT_THROW(r->sample(SearchSpace(), {}, Direction::Maximize, 1, 0), ConfigError);
  EXPECT_THROW(r->sample(tiny(), {}, Direction::Maximize, 1, -1), ConfigError);
}

}  // namespace
}  // namespace gd::tune
