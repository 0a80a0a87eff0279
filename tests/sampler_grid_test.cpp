// Grid search (engine/tune/grid_sampler.h): grid values per parameter type, enumeration of
// conditional spaces, the next unused point (Running and Failed count as used), exhaustion and
// shuffling.
#include "engine/tune/grid_sampler.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "tests/support/expect_error.h"

namespace gd::tune {
namespace {

using nlohmann::json;

Trial trial(int number, const json& params, TrialState state, double value = 0.0) {
  Trial t;
  t.id = number;
  t.number = number;
  t.params = params;
  t.state = state;
  if (state == TrialState::Complete) t.value = value;
  return t;
}

TEST(GridSampler, ExampleGridIsWalkedInOrderThenExhausted) {
  const SearchSpace s = SearchSpace::from_toml_file(std::string(GD_SOURCE_DIR) + "/spaces/mlp-grid.toml");
  GridSampler g;
  std::vector<Trial> history;
  std::set<std::string> keys;
  for (int i = 0; i < 36; ++i) {
    const json p = g.sample(s, history, Direction::Maximize, 1, i);
    EXPECT_EQ(s.check_params(p), "");
    EXPECT_TRUE(keys.insert(s.canonical_key(p)).second) << "repeated " << p.dump();
    history.push_back(trial(i, p, TrialState::Complete, 0.5));
  }
  // lr from its grid list, neurons from the choices.
  EXPECT_EQ(history.front().params["lr"], 0.01);
  EXPECT_EQ(history.back().params["lr"], 0.1);
  EXPECT_TRUE(test::throws_with<SpaceExhaustedError>([&] { g.sample(s, history, Direction::Maximize, 1, 36); },
                                                     {"grid exhausted", "36 grid points"}));
}

TEST(GridSampler, RunningAndFailedPointsCountAsUsed) {
  const SearchSpace s = SearchSpace::from_toml_string(
      "[params.a]\ntype = \"categorical\"\nchoices = [\"x\", \"y\", \"z\"]\n", "abc");
  GridSampler g;
  std::vector<Trial> history = {trial(0, {{"a", "x"}}, TrialState::Running)};
  EXPECT_EQ(g.sample(s, history, Direction::Maximize, 1, 1)["a"], "y");
  history.push_back(trial(1, {{"a", "y"}}, TrialState::Failed));
  EXPECT_EQ(g.sample(s, history, Direction::Maximize, 1, 2)["a"], "z");
  history.push_back(trial(2, {{"a", "z"}}, TrialState::Running));
  EXPECT_THROW(g.sample(s, history, Direction::Maximize, 1, 3), SpaceExhaustedError);
}

TEST(GridSampler, GridValuesPerParameterType) {
  const SearchSpace s = SearchSpace::from_toml_string(R"(
[params.lin]
type = "float"
low = 0.0
high = 1.0
[params.lg]
type = "float"
low = 1e-4
high = 1.0
log = true
[params.small_int]
type = "int"
low = 1
high = 3
[params.big_int]
type = "int"
low = 0
high = 100
[params.listed]
type = "float"
low = 0.0
high = 1.0
grid = [0.1, 0.7]
)",
                                                      "types");
  const GridSampler g(5);
  auto values = [&](const char* name) { return json(g.grid_values(s.param(name))); };
  EXPECT_EQ(values("lin"), json::parse("[0.0, 0.25, 0.5, 0.75, 1.0]"));
  EXPECT_EQ(values("lg"), json::parse("[0.0001, 0.001, 0.01, 0.1, 1.0]"));  // log spacing
  EXPECT_EQ(values("small_int"), json::parse("[1, 2, 3]"));                   // every level
  EXPECT_EQ(values("big_int"), json::parse("[0, 25, 50, 75, 100]"));         // 5 of 101 levels
  EXPECT_EQ(values("listed"), json::parse("[0.1, 0.7]"));
  EXPECT_EQ(g.grid_points(s).size(), 5u * 5 * 3 * 5 * 2);
  EXPECT_THROW(GridSampler(1), ConfigError);
}

TEST(GridSampler, ConditionalParametersOnlyMultiplyWhereActive) {
  const SearchSpace s = SearchSpace::from_toml_string(R"(
[params.optimizer]
type = "categorical"
choices = ["sgd", "adam"]
[params.momentum]
type = "float"
low = 0.5
high = 0.9
grid = [0.5, 0.9]
when = { optimizer = "sgd" }
[params.layers]
type = "int"
low = 1
high = 2
[params.width2]
type = "categorical"
choices = [64, 128, 256]
when = { layers = [2] }
)",
                                                      "tree");
  // optimizer: sgd x 2 momenta + adam = 3; layers: 1 + 3 widths = 4; 12 in all.
  const std::vector<json> points = GridSampler().grid_points(s);
  EXPECT_EQ(points.size(), 12u);
  std::set<std::string> keys;
  for (const json& p : points) {
    EXPECT_EQ(s.check_params(p), "");
    keys.insert(s.canonical_key(p));
  }
  EXPECT_EQ(keys.size(), 12u);
}

TEST(GridSampler, ShuffleIsAFixedPermutationPerSeed) {
  const SearchSpace s = SearchSpace::from_toml_string(
      "[params.a]\ntype = \"int\"\nlow = 0\nhigh = 9\n[params.b]\ntype = \"categorical\"\nchoices = [1, 2]\n", "ab");
  auto walk = [&](uint64_t seed) {
    GridSampler g(10, true);
    std::vector<Trial> history;
    std::vector<std::string> order;
    for (int i = 0; i < 20; ++i) {
      const json p = g.sample(s, history, Direction::Minimize, seed, i);
      order.push_back(s.canonical_key(p));
      history.push_back(trial(i, p, TrialState::Running));
    }
    EXPECT_THROW(g.sample(s, history, Direction::Minimize, seed, 20), SpaceExhaustedError);
    return order;
  };
  const std::vector<std::string> a = walk(1), b = walk(1), c = walk(2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(std::set<std::string>(a.begin(), a.end()).size(), 20u);
  EXPECT_EQ(std::set<std::string>(c.begin(), c.end()), std::set<std::string>(a.begin(), a.end()));
  // Unshuffled, the first point is the first of the depth-first order.
  EXPECT_EQ(GridSampler(10).sample(s, {}, Direction::Minimize, 1, 0), json::parse(R"({"a": 0, "b": 1})"));
}

}  // namespace
}  // namespace gd::tune
