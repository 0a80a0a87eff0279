// Parameter importance (engine/report/param_importance.h): the one-way omega^2 and the additive
// least-squares fit against hand-computed ANOVAs, the grouping of values (quantile bins, ties,
// inactive level), and the importance of synthetic studies whose truth is known.
#include "engine/report/param_importance.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "engine/core/error.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_support.h"

namespace gd::report {
namespace {

using nlohmann::json;

StudyParam numeric(const std::string& name, double low, double high, bool log = false, bool conditional = false) {
  StudyParam p;
  p.name = name;
  p.kind = StudyParam::Kind::Numeric;
  p.low = low;
  p.high = high;
  p.log = log;
  p.conditional = conditional;
  return p;
}

StudyParam categorical(const std::string& name, std::vector<json> levels, bool conditional = false) {
  StudyParam p;
  p.name = name;
  p.kind = StudyParam::Kind::Categorical;
  p.levels = std::move(levels);
  p.conditional = conditional;
  return p;
}

const ParamImportance& find(const ImportanceResult& r, const std::string& name) {
  for (const ParamImportance& p : r.params)
    if (p.name == name) return p;
  throw std::runtime_error("no parameter " + name);
}

// ---- one-way ANOVA ------------------------------------------------------------------------------

TEST(OmegaSquared, MatchesAHandComputedAnova) {
  // Groups {1,2,3} and {4,5,6}: grand mean 3.5, group means 2 and 5. SS_between = 3 * 1.5^2 * 2 =
  // 13.5, SS_total = 17.5, SS_within = 4, MS_within = 4 / (6 - 2) = 1:
  // omega^2 = (13.5 - 1 * 1) / (17.5 + 1) = 12.5 / 18.5.
  EXPECT_NEAR(omega_squared({1, 2, 3, 4, 5, 6}, {0, 0, 0, 1, 1, 1}, 2), 12.5 / 18.5, 1e-12);
  // Empty groups do not count: the same split labelled 0 and 3 of 4 groups gives the same value.
  EXPECT_NEAR(omega_squared({1, 2, 3, 4, 5, 6}, {0, 0, 0, 3, 3, 3}, 4), 12.5 / 18.5, 1e-12);
}

TEST(OmegaSquared, IsZeroWhenNothingCanBeMeasured) {
  EXPECT_EQ(omega_squared({1, 2, 3}, {0, 0, 0}, 1), 0.0);         // one group
  EXPECT_EQ(omega_squared({1, 2, 3}, {0, 1, 2}, 3), 0.0);         // n <= k: no within-group variance
  EXPECT_EQ(omega_squared({5, 5, 5, 5}, {0, 0, 1, 1}, 2), 0.0);   // constant values
  EXPECT_EQ(omega_squared({1, 2, 1, 2}, {0, 0, 1, 1}, 2), 0.0);   // equal group means: clipped at 0
  EXPECT_THROW(omega_squared({1, 2}, {0}, 1), ShapeError);
  EXPECT_THROW(omega_squared({1, 2}, {0, 5}, 2), ShapeError);
}

// ---- groups -------------------------------------------------------------------------------------

TEST(ImportanceGroups, QuantileBinsKeepTiesTogetherAndDoNotDependOnTheScale) {
  // 50 active trials with values 1..40 (the first 10 duplicated, so ties cross naive bin edges)
  // and 5 inactive trials.
  std::vector<json> configs;
  for (int i = 0; i < 50; ++i) configs.push_back({{"x", 1 + (i < 40 ? i : i - 40)}});
  for (int i = 0; i < 5; ++i) configs.push_back(json::object());
  std::vector<int> lin, log;
  const int k = importance_groups(numeric("x", 1, 40, false, true), configs, {}, lin);
  const int k_log = importance_groups(numeric("x", 1, 40, true, true), configs, {}, log);
  EXPECT_EQ(k, 11);  // floor(50 / 5) = 10 bins, plus "inactive"
  EXPECT_EQ(k_log, k);
  EXPECT_EQ(lin, log) << "quantile bins must be the same on a log axis";
  std::map<int, std::set<int>> groups_of_value;
  std::map<int, int> size;
  for (size_t i = 0; i < 50; ++i) {
    groups_of_value[configs[i]["x"].get<int>()].insert(lin[i]);
    ++size[lin[i]];
  }
  for (const auto& [v, g] : groups_of_value) EXPECT_EQ(g.size(), 1u) << "value " << v << " split across bins";
  for (const auto& [g, n] : size) {
    EXPECT_GE(n, 3) << "bin " << g;
    EXPECT_LE(n, 8) << "bin " << g;
  }
  // Bins are ordered by value: a larger value never lands in an earlier bin.
  for (size_t i = 0; i < 50; ++i)
    for (size_t j = 0; j < 50; ++j)
      if (configs[i]["x"].get<int>() < configs[j]["x"].get<int>()) {
        EXPECT_LE(lin[i], lin[j]);
      }
  for (size_t i = 50; i < 55; ++i) EXPECT_EQ(lin[i], k - 1) << "inactive trials form the last group";
}

TEST(ImportanceGroups, FewDistinctValuesAndCategoricalChoicesAreGroupsAsTheyAre) {
  std::vector<json> configs;
  for (int i = 0; i < 30; ++i) configs.push_back({{"layers", 1 + i % 3}, {"opt", i % 2 ? "adam" : "sgd"}});
  configs.push_back({{"layers", 2}, {"opt", "lion"}});  // not a level of the space: its own group
  std::vector<int> g;
  EXPECT_EQ(importance_groups(numeric("layers", 1, 3), configs, {}, g), 3);
  for (size_t i = 0; i < 30; ++i) EXPECT_EQ(g[i], i % 3);
  EXPECT_EQ(importance_groups(categorical("opt", {"sgd", "adam", "rmsprop"}), configs, {}, g), 3);
  EXPECT_EQ(g[0], g[2]);
  EXPECT_NE(g[0], g[1]);
  EXPECT_NE(g[30], g[0]);
  EXPECT_NE(g[30], g[1]);
}

// ---- the additive fit ---------------------------------------------------------------------------

TEST(AdditiveFit, RecoversTheEffectsOfABalancedDesign) {
  // Full factorial, 2 replicates: A at 2 levels (effects -1, +1), B at 3 (effects -2, 0, 2),
  // y = 10 + a + b exactly. Var of A's effect = 1, of B's = (4 + 0 + 4) / 3; nothing is left over.
  std::vector<double> y;
  std::vector<std::vector<int>> g(2);
  for (int rep = 0; rep < 2; ++rep)
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 3; ++b) {
        y.push_back(10.0 + (a ? 1.0 : -1.0) + 2.0 * (b - 1));
        g[0].push_back(a);
        g[1].push_back(b);
      }
  const AdditiveFit fit = fit_additive(y, g, {2, 3});
  EXPECT_NEAR(fit.effect_variance[0], 1.0, 1e-10);
  EXPECT_NEAR(fit.effect_variance[1], 8.0 / 3.0, 1e-10);
  EXPECT_EQ(fit.effect_df, (std::vector<int>{1, 2}));
  EXPECT_EQ(fit.df_residual, 12 - 4);
  EXPECT_NEAR(fit.rss, 0.0, 1e-18);
}

TEST(AdditiveFit, AnAliasedFactorGetsNothingAndTheEarlierOneEverything) {
  // B's groups are A's groups relabelled: the effect cannot be split, and goes to A (first).
  const std::vector<double> y = {1, 1.2, 0.9, 3, 3.1, 2.9};
  const std::vector<std::vector<int>> g = {{0, 0, 0, 1, 1, 1}, {1, 1, 1, 0, 0, 0}};
  const AdditiveFit fit = fit_additive(y, g, {2, 2});
  EXPECT_EQ(fit.effect_df, (std::vector<int>{1, 0}));
  EXPECT_EQ(fit.effect_variance[1], 0.0);
  // Group means 31/30 and 3, grand mean 121/60: A's effect is -59/60 or +59/60 on half the trials each.
  EXPECT_NEAR(fit.effect_variance[0], (59.0 / 60.0) * (59.0 / 60.0), 1e-12);
  EXPECT_EQ(fit.df_residual, 4);
}

// ---- importance of synthetic studies ------------------------------------------------------------

struct Synthetic {
  std::vector<json> configs;
  std::vector<double> values;
};

// n trials with a (log-uniform in [1e-4, 1]), b, c (uniform in [0, 1]) and opt (sgd/adam/rmsprop),
// from fixed seeds; the objective is `f` of them plus `noise` times uniform noise in [-1, 1).
template <typename F>
Synthetic synthetic(int n, F f, double noise, uint64_t seed = 7) {
  const std::vector<double> u = test::random_vector(static_cast<size_t>(5 * n), seed, 0.0, 1.0);
  Synthetic s;
  const char* opts[] = {"sgd", "adam", "rmsprop"};
  for (int i = 0; i < n; ++i) {
    const double a = std::pow(10.0, -4.0 + 4.0 * u[5 * i]);
    const json c = {{"a", a}, {"b", u[5 * i + 1]}, {"c", u[5 * i + 2]}, {"opt", opts[static_cast<int>(3 * u[5 * i + 3]) % 3]}};
    s.configs.push_back(c);
    s.values.push_back(f(c) + noise * (2.0 * u[5 * i + 4] - 1.0));
  }
  return s;
}

const std::vector<StudyParam> kParams = {numeric("a", 1e-4, 1.0, true), numeric("b", 0, 1), numeric("c", 0, 1),
                                         categorical("opt", {"sgd", "adam", "rmsprop"})};

TEST(ParamImportance, AParameterThatAloneDrivesTheObjectiveGetsAlmostAllOfIt) {
  // Objective: a smooth function of log10(a), plus noise worth ~1% of its variance.
  const Synthetic s = synthetic(80, [](const json& c) { return 0.9 - 0.02 * std::pow(std::log10(c["a"].get<double>()) + 2.0, 2); },
                                0.005);
  const ImportanceResult r = param_importance(kParams, s.configs, s.values);
  ASSERT_TRUE(r.computed);
  EXPECT_EQ(r.method, ImportanceResult::Method::Additive);
  EXPECT_EQ(r.params.front().name, "a");
  EXPECT_GT(find(r, "a").importance, 0.9);
  // 10 quantile bins capture most but not all of a smooth effect (the rest stays within the bins).
  EXPECT_GT(find(r, "a").variance_share, 0.8);
  for (const char* other : {"b", "c", "opt"}) EXPECT_LT(find(r, other).variance_share, 0.03) << other;
  double sum = 0.0;
  for (const ParamImportance& p : r.params) sum += p.importance;
  EXPECT_NEAR(sum, 1.0, 1e-12);
}

TEST(ParamImportance, ACategoricalThatAloneDrivesTheObjectiveGetsAlmostAllOfIt) {
  const std::map<std::string, double> effect = {{"sgd", 0.90}, {"adam", 0.95}, {"rmsprop", 0.80}};
  const Synthetic s = synthetic(60, [&](const json& c) { return effect.at(c["opt"].get<std::string>()); }, 0.01);
  const ImportanceResult r = param_importance(kParams, s.configs, s.values);
  ASSERT_TRUE(r.computed);
  EXPECT_EQ(r.params.front().name, "opt");
  EXPECT_GT(find(r, "opt").importance, 0.9);
  EXPECT_EQ(find(r, "opt").groups, 3);
}

TEST(ParamImportance, PureNoiseExplainsLittle) {
  // Under pure noise each corrected share is ~0 (the correction subtracts the d_j s^2 / n that
  // fitting d_j group values to noise gives on average); its spread is about sqrt(2 d_j) / n, i.e.
  // ~0.02 for 9 bins and 200 trials. Normalised importances may still single one out (they divide
  // small numbers), so the assertion is on the shares: together they stay far from "dominating".
  const Synthetic s = synthetic(200, [](const json&) { return 0.5; }, 0.1, 11);
  const ImportanceResult r = param_importance(kParams, s.configs, s.values);
  ASSERT_TRUE(r.computed);
  for (const ParamImportance& p : r.params) {
    EXPECT_LT(p.variance_share, 0.08) << p.name;
    EXPECT_LT(p.marginal_share, 0.08) << p.name;
  }
  EXPECT_LT(r.explained, 0.15);
}

TEST(ParamImportance, AStrongParameterDoesNotLeakIntoACorrelatedIdleOne) {
  // b tracks a (b = position of a in its range + small jitter) but has no effect of its own. Alone,
  // b looks important (its bins are nearly a's bins); in the additive model a keeps the effect.
  Synthetic s = synthetic(100, [](const json& c) { return std::log10(c["a"].get<double>()); }, 0.05);
  const std::vector<double> jitter = test::random_vector(100, 5, -0.15, 0.15);
  for (size_t i = 0; i < s.configs.size(); ++i)
    s.configs[i]["b"] = (std::log10(s.configs[i]["a"].get<double>()) + 4.0) / 4.0 + jitter[i];
  const ImportanceResult r = param_importance(kParams, s.configs, s.values);
  ASSERT_TRUE(r.computed);
  EXPECT_GT(find(r, "b").marginal_share, 0.5) << "the test needs b to look important alone";
  EXPECT_LT(find(r, "b").variance_share, 0.1);
  EXPECT_GT(find(r, "a").importance, 0.85);
}

TEST(ParamImportance, InactiveIsALevelOfItsOwn) {
  // width is active in half of the trials; the objective only depends on whether it is active.
  StudyParam width = numeric("width", 16, 1024, true, true);
  std::vector<json> configs;
  std::vector<double> values;
  const std::vector<double> u = test::random_vector(80, 3, 0.0, 1.0);
  for (int i = 0; i < 40; ++i) {
    const bool active = i % 2 == 0;
    configs.push_back(active ? json{{"width", 16 + 1000 * u[i]}} : json::object());
    values.push_back((active ? 0.9 : 0.8) + 0.01 * u[40 + i]);
  }
  ImportanceResult r = param_importance({width}, configs, values);
  ASSERT_TRUE(r.computed);
  EXPECT_GT(find(r, "width").variance_share, 0.9);
  EXPECT_EQ(find(r, "width").active, 20);
  // With its parent (layers: 1 -> inactive, 2 -> active) listed first, the two are aliased: the
  // parent, earlier in the space, gets the effect.
  for (size_t i = 0; i < configs.size(); ++i) configs[i]["layers"] = i % 2 == 0 ? 2 : 1;
  r = param_importance({numeric("layers", 1, 2), width}, configs, values);
  EXPECT_GT(find(r, "layers").importance, 0.95);
  EXPECT_LT(find(r, "width").variance_share, 0.02);
}

TEST(ParamImportance, ANestedConditionalParameterNeitherInflatesNorRobsItsParent) {
  // momentum is active for sgd and rmsprop only, so its "inactive" group is the parent's other
  // choices (aliased). Its effect within the active trials must not depend on which of its bins
  // the fit used as the baseline: that arbitrary offset would otherwise show up as an effect of
  // the parent.
  const StudyParam opt4 = categorical("opt", {"sgd", "adam", "adamw", "rmsprop"});
  const StudyParam momentum = numeric("momentum", 0, 0.99, false, true);
  const std::vector<double> u = test::random_vector(3 * 400, 23, 0.0, 1.0);
  const char* opts[] = {"sgd", "adam", "adamw", "rmsprop"};
  std::vector<json> configs;
  std::vector<double> noise_only, momentum_only;
  for (int i = 0; i < 400; ++i) {
    const std::string opt = opts[i % 4];
    json c = {{"opt", opt}};
    const bool active = opt == "sgd" || opt == "rmsprop";
    if (active) c["momentum"] = 0.99 * u[3 * i];
    configs.push_back(c);
    noise_only.push_back(u[3 * i + 1]);
    // Inactive trials sit at the active trials' average, so the parent has no effect either.
    momentum_only.push_back((active ? 2.0 * u[3 * i] : 0.99) + 0.1 * u[3 * i + 2]);
  }
  ImportanceResult r = param_importance({opt4, momentum}, configs, noise_only);
  EXPECT_LT(find(r, "opt").variance_share, 0.02);
  EXPECT_LT(find(r, "momentum").variance_share, 0.03);
  r = param_importance({opt4, momentum}, configs, momentum_only);
  EXPECT_GT(find(r, "momentum").importance, 0.95);
  EXPECT_LT(find(r, "opt").variance_share, 0.02);
}

TEST(ParamImportance, TooFewTrialsManyChoicesOrAConstantObjective) {
  const Synthetic few = synthetic(7, [](const json& c) { return c["b"].get<double>(); }, 0.0);
  ImportanceResult r = param_importance(kParams, few.configs, few.values);
  EXPECT_FALSE(r.computed);
  EXPECT_NE(r.why_not.find("at least 8"), std::string::npos) << r.why_not;
  EXPECT_NE(r.why_not.find("has 7"), std::string::npos) << r.why_not;
  EXPECT_FALSE(param_importance({}, few.configs, few.values).computed);

  // 10 trials, a categorical with 9 observed choices: the additive model would leave no residual
  // degrees of freedom even with 2 bins per numeric parameter, so each is analysed alone.
  std::vector<json> configs;
  std::vector<double> values;
  std::vector<json> levels;
  for (int i = 0; i < 9; ++i) levels.push_back("c" + std::to_string(i));
  for (int i = 0; i < 10; ++i) {
    configs.push_back({{"x", i}, {"k", levels[static_cast<size_t>(i % 9)]}});
    values.push_back(static_cast<double>(i));
  }
  r = param_importance({numeric("x", 0, 9), categorical("k", levels)}, configs, values);
  ASSERT_TRUE(r.computed);
  EXPECT_EQ(r.method, ImportanceResult::Method::Marginal);
  EXPECT_GT(find(r, "x").importance, find(r, "k").importance);

  const Synthetic flat = synthetic(20, [](const json&) { return 0.97; }, 0.0);
  r = param_importance(kParams, flat.configs, flat.values);
  ASSERT_TRUE(r.computed);
  EXPECT_TRUE(r.no_signal);
  for (const ParamImportance& p : r.params) EXPECT_EQ(p.importance, 0.0) << p.name;
}

TEST(ParamImportance, RejectsMismatchedOrNonFiniteInput) {
  const Synthetic s = synthetic(10, [](const json&) { return 1.0; }, 0.1);
  std::vector<double> values = s.values;
  values.pop_back();
  EXPECT_TRUE(test::throws_with<ShapeError>([&] { param_importance(kParams, s.configs, values); }, {"10", "9"}));
  values = s.values;
  values[4] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(test::throws_with<NumericError>([&] { param_importance(kParams, s.configs, values); }, {"#4", "nan"}));
}

}  // namespace
}  // namespace gd::report
