// TPE (engine/tune/tpe_sampler.h, parzen_estimator.h): the Parzen estimators, random startup,
// concentration on good regions, Running and Pruned trials treated as bad, conditional and
// categorical parameters, determinism.
#include "engine/tune/tpe_sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/tune/parzen_estimator.h"
#include "engine/tune/random_sampler.h"

#include "tests/support/tune_trials.h"

namespace gd::tune {
namespace {

using nlohmann::json;

using test::trial;
using test::unit_line;


TEST(ParzenEstimator, NumericDensityIntegratesToOneAndPeaksAtTheData) {
  const NumericParzen p({0.2, 0.25, 0.8}, {1.0, 1.0, 1.0}, 1.0);
  double integral = 0.0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) integral += std::exp(p.log_density((i + 0.5) / n)) / n;
  EXPECT_NEAR(integral, 1.0, 1e-4);  // midpoint rule error on a smooth density
  EXPECT_GT(p.log_density(0.22), p.log_density(0.5));
  // Bin masses add up to one and agree with the density integral.
  EXPECT_NEAR(std::exp(p.log_mass(0.0, 0.5)) + std::exp(p.log_mass(0.5, 1.0)), 1.0, 1e-12);
  double half = 0.0;
  for (int i = 0; i < n / 2; ++i) half += std::exp(p.log_density((i + 0.5) / n)) / n;
  EXPECT_NEAR(std::exp(p.log_mass(0.0, 0.5)), half, 1e-4);
  Rng rng(1, 0);
  for (int i = 0; i < 1000; ++i) {
    const double u = p.sample(rng);
    ASSERT_GE(u, 0.0);
    ASSERT_LE(u, 1.0);
  }
}

TEST(ParzenEstimator, CategoricalIsSmoothedCounts) {
  const CategoricalParzen c({0, 0, 2}, {1.0, 1.0, 1.0}, 3, 1.0);
  // (count + 1/3) / (3 + 1)
  EXPECT_NEAR(std::exp(c.log_prob(0)), (2 + 1.0 / 3) / 4, 1e-12);
  EXPECT_NEAR(std::exp(c.log_prob(1)), (1.0 / 3) / 4, 1e-12);
  EXPECT_NEAR(std::exp(c.log_prob(2)), (1 + 1.0 / 3) / 4, 1e-12);
}

TEST(ParzenEstimator, MultivariateDensityIntegratesToOne) {
  const SearchSpace s = SearchSpace::from_toml_string(
      "[params.x]\ntype = \"float\"\nlow = 0.0\nhigh = 1.0\n[params.c]\ntype = \"categorical\"\nchoices = [\"a\", \"b\"]\n", "xc");
  const std::vector<const ParamSpec*> specs = {&s.params()[0], &s.params()[1]};
  const MultivariateParzen p(specs, {{0.3, 0.25}, {0.6, 0.75}}, {1.0, 1.0}, 1.0);
  double integral = 0.0;
  const int n = 4000;
  for (double c : {0.25, 0.75}) {
    for (int i = 0; i < n; ++i) integral += std::exp(p.log_pdf({(i + 0.5) / n, c})) / n;
  }
  EXPECT_NEAR(integral, 1.0, 1e-4);
  // The pairs (0.3, "a") and (0.6, "b") were observed, the crossed ones were not. With two
  // observations the bandwidth is clipped to 1/3, so the kernels overlap and the margin is modest
  // (0.16 in log density at x = 0.3, by hand).
  EXPECT_GT(p.log_pdf({0.3, 0.25}), p.log_pdf({0.3, 0.75}) + 0.1);
  EXPECT_GT(p.log_pdf({0.6, 0.75}), p.log_pdf({0.6, 0.25}) + 0.1);
}

TEST(ParzenEstimator, WeightsRampOnlyBeyond25Observations) {
  EXPECT_EQ(tpe_weights(25), std::vector<double>(25, 1.0));
  const std::vector<double> w = tpe_weights(40);
  EXPECT_NEAR(w.front(), 1.0 / 40, 1e-12);
  for (size_t i = 1; i < w.size(); ++i) EXPECT_GE(w[i], w[i - 1]);
  EXPECT_EQ(w[15], 1.0);
}

TEST(TpeSampler, StartsWithRandomDrawsThenModels) {
  const SearchSpace s = unit_line();
  TpeSampler tpe;
  RandomSampler random;
  std::vector<Trial> history;
  for (int i = 0; i < 9; ++i) history.push_back(trial(i, {{"x", 0.05 + 0.1 * i}}, TrialState::Complete, i));
  // 9 < n_startup = 10 Complete trials: TPE's proposal is the random sampler's.
  EXPECT_EQ(tpe.sample(s, history, Direction::Minimize, 5, 9), random.sample(s, history, Direction::Minimize, 5, 9));
}

// Fraction of 40 proposals (trial numbers 100..139) within `radius` of `center`.
double fraction_near(TpeSampler& tpe, const SearchSpace& s, const std::vector<Trial>& history, double center,
                     double radius) {
  int near = 0;
  for (int t = 100; t < 140; ++t) near += std::fabs(tpe.sample(s, history, Direction::Minimize, 3, t)["x"].get<double>() - center) < radius;
  return near / 40.0;
}

TEST(TpeSampler, ConcentratesOnTheGoodRegionAndAvoidsRunningAndPrunedTrials) {
  const SearchSpace s = unit_line();
  TpeSampler tpe;
  std::vector<Trial> history;
  for (int i = 0; i < 40; ++i) {
    const double x = (i + 0.5) / 40.0;
    history.push_back(trial(i, {{"x", x}}, TrialState::Complete, (x - 0.3) * (x - 0.3)));
  }
  const double base = fraction_near(tpe, s, history, 0.3, 0.06);
  EXPECT_GT(base, 0.5);  // random search would put 12% there
  // Running trials (constant liar) and pruned trials packed around 0.3 make it look bad.
  for (const TrialState state : {TrialState::Running, TrialState::Pruned}) {
    std::vector<Trial> h = history;
    for (int i = 0; i < 40; ++i) {
      h.push_back(trial(40 + i, {{"x", 0.25 + 0.1 * i / 40.0}}, state,
                        state == TrialState::Pruned ? std::optional<double>(0.0) : std::nullopt));
    }
    const double crowded = fraction_near(tpe, s, h, 0.3, 0.06);
    EXPECT_LT(crowded, base - 0.2) << to_string(state);
  }
}

TEST(TpeSampler, LearnsCategoricalsAndModelsConditionalsWhereActive) {
  const SearchSpace s = SearchSpace::from_toml_string(R"(
[params.optimizer]
type = "categorical"
choices = ["sgd", "adam", "rmsprop"]
[params.momentum]
type = "float"
low = 0.0
high = 1.0
when = { optimizer = "sgd" }
[params.n]
type = "int"
low = 1
high = 20
)",
                                                      "cond");
  for (bool multivariate : {true, false}) {
    TpeOptions opt;
    opt.multivariate = multivariate;
    TpeSampler tpe(opt);
    // sgd with momentum near 0.9 and n near 15 is best.
    std::vector<Trial> history;
    RandomSampler random;
    for (int i = 0; i < 60; ++i) {
      const json p = random.sample(s, history, Direction::Maximize, 11, i);
      double v = p["optimizer"] == "sgd" ? 1.0 - std::fabs(p["momentum"].get<double>() - 0.9) : 0.0;
      v -= 0.02 * std::fabs(p["n"].get<int>() - 15);
      history.push_back(trial(i, p, TrialState::Complete, v));
    }
    int sgd = 0;
    double momentum_error = 0.0;
    for (int t = 60; t < 100; ++t) {
      const json p = tpe.sample(s, history, Direction::Maximize, 11, t);
      ASSERT_EQ(s.check_params(p), "") << p.dump();
      if (p["optimizer"] == "sgd") {
        ++sgd;
        momentum_error += std::fabs(p["momentum"].get<double>() - 0.9);
      }
    }
    EXPECT_GT(sgd, 25) << "multivariate=" << multivariate;  // random: ~13 of 40
    EXPECT_LT(momentum_error / std::max(sgd, 1), 0.15) << "multivariate=" << multivariate;  // random: ~0.4
  }
}

TEST(TpeSampler, DeterministicAndValidatesOptions) {
  const SearchSpace s = unit_line();
  std::vector<Trial> history;
  for (int i = 0; i < 15; ++i) history.push_back(trial(i, {{"x", (i + 0.5) / 15}}, TrialState::Complete, i % 4));
  TpeSampler a, b;
  EXPECT_EQ(a.sample(s, history, Direction::Maximize, 9, 15), b.sample(s, history, Direction::Maximize, 9, 15));
  TpeOptions bad;
  bad.gamma = 0.0;
  EXPECT_THROW(TpeSampler{bad}, ConfigError);
  bad = {};
  bad.n_ei_candidates = 0;
  EXPECT_THROW(TpeSampler{bad}, ConfigError);
}

}  // namespace
}  // namespace gd::tune
