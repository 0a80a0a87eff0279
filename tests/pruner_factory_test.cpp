// make_pruner: JSON descriptions -> pruners, defaults, and errors that name the field.
#include "engine/tune/pruner_factory.h"

#include <gtest/gtest.h>

#include "engine/core/error.h"
#include "engine/tune/asha.h"
#include "engine/tune/median_pruner.h"
#include "tests/support/expect_error.h"

namespace gd::tune {
namespace {

using nlohmann::json;

TEST(PrunerFactory, BuildsEachTypeWithDefaults) {
  EXPECT_EQ(make_pruner({{"type", "none"}}, 10)->name(), "none");

  const auto median = make_pruner({{"type", "median"}, {"n_warmup_steps", 2}}, 10);
  ASSERT_EQ(median->name(), "median");
  const auto& m = dynamic_cast<const MedianPruner&>(*median).options();
  EXPECT_EQ(m.n_warmup_steps, 2);
  EXPECT_EQ(m.n_startup_trials, 5);
  EXPECT_EQ(m.interval_steps, 1);

  const auto asha = make_pruner({{"type", "asha"}, {"reduction_factor", 2.0}}, 8);  // 2.0: a whole number
  ASSERT_EQ(asha->name(), "asha");
  const auto& a = dynamic_cast<const AshaPruner&>(*asha);
  EXPECT_EQ(a.options().max_resource, 8);  // the objective's epoch cap
  EXPECT_EQ(a.rungs(), (std::vector<int>{1, 2, 4, 8}));
}

TEST(PrunerFactory, ToJsonRoundTrips) {
  for (const json& cfg : {json{{"type", "none"}},
                          json{{"type", "median"},
                               {"n_startup_trials", 3},
                               {"n_warmup_steps", 1},
                               {"interval_steps", 2},
                               {"n_min_trials", 4}},
                          json{{"type", "asha"},
                               {"min_resource", 2},
                               {"max_resource", 18},
                               {"reduction_factor", 3},
                               {"min_early_stopping_rate", 1}}}) {
    EXPECT_EQ(make_pruner(cfg, 99)->to_json(), cfg);
  }
}

TEST(PrunerFactory, BadDescriptionsNameTheProblem) {
  EXPECT_TRUE(test::throws_with<ConfigError>([] { make_pruner(json::array(), 10); }, {"JSON object"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([] { make_pruner({{"kind", "asha"}}, 10); }, {"\"type\""}));
  EXPECT_TRUE(test::throws_with<ConfigError>(
      [] {
        make_pruner({{"type", "hyperband"}}, 10);
      },
      {"'hyperband'", "none, median or asha"}));
  EXPECT_TRUE(test::throws_with<ConfigError>(
      [] {
        make_pruner({{"type", "median"}, {"warmup", 3}}, 10);
      },
      {"'warmup'", "n_warmup_steps"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([] { make_pruner({{"type", "none"}, {"eta", 3}}, 10); }, {"'eta'"}));
  EXPECT_TRUE(test::throws_with<ConfigError>(
      [] {
        make_pruner({{"type", "asha"}, {"reduction_factor", "3"}}, 10);
      },
      {"reduction_factor", "integer", "\"3\""}));
  EXPECT_TRUE(test::throws_with<ConfigError>(
      [] {
        make_pruner({{"type", "asha"}, {"reduction_factor", 2.5}}, 10);
      },
      {"reduction_factor", "2.5"}));
  EXPECT_TRUE(test::throws_with<ConfigError>(
      [] {
        make_pruner({{"type", "asha"}, {"reduction_factor", 1}}, 10);
      },
      {"reduction_factor", ">= 2"}));
  EXPECT_TRUE(test::throws_with<ConfigError>(
      [] {
        make_pruner({{"type", "asha"}, {"min_resource", 20}}, 10);
      },
      {"max_resource (10)", "min_resource (20)"}));
  EXPECT_TRUE(test::throws_with<ConfigError>(
      [] {
        make_pruner({{"type", "median"}, {"interval_steps", 0}}, 10);
      },
      {"interval_steps"}));
}

}  // namespace
}  // namespace gd::tune
