// AskTellStudy (engine/tune/ask_tell.h): tuning an arbitrary function through ask/tell on a SQLite
// study. Misuse (a tell for an unknown trial, a second tell, a non-finite value) is a ConfigError
// naming the trial; trials asked and never told end Failed when the object goes away; the samplers
// see the told values (the GP finds a quadratic's minimum far better than random search).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/tune/ask_tell.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_support.h"

namespace gd::tune {
namespace {

SearchSpace unit_square() {
  return SearchSpace::from_toml_string(
      "[params.x]\ntype = \"float\"\nlow = -5.0\nhigh = 5.0\n[params.y]\ntype = \"float\"\nlow = -5.0\nhigh = 5.0\n");
}

double quadratic(const nlohmann::json& p) {
  const double x = p.at("x").get<double>(), y = p.at("y").get<double>();
  return (x - 1.0) * (x - 1.0) + (y + 2.0) * (y + 2.0);
}

TEST(AskTellStudy, MisuseIsAClearError) {
  test::TempDir dir("ask-tell-misuse");
  AskTellStudy s(dir.file("s.db"), "q", unit_square(), Direction::Minimize, "random");
  const AskedTrial t = s.ask();
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { s.tell(t.number + 5, 1.0); },
                                             {"trial " + std::to_string(t.number + 5), "not handed out"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { s.tell(t.number, NAN); }, {"nan", "tell_failed"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { s.tell(t.number, INFINITY); }, {"inf"}));
  s.tell(t.number, quadratic(t.params));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { s.tell(t.number, 1.0); }, {"already told"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { s.tell_failed(t.number, "x"); }, {"already told"}));
  const auto trials = s.trials();
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].state, TrialState::Complete);
  EXPECT_DOUBLE_EQ(*trials[0].value, quadratic(t.params));
}

TEST(AskTellStudy, TrialsNeverToldEndFailedWhenTheStudyGoesAway) {
  test::TempDir dir("ask-tell-untold");
  {
    AskTellStudy s(dir.file("s.db"), "q", unit_square(), Direction::Minimize, "tpe");
    s.ask();
    const AskedTrial b = s.ask();
    s.tell(b.number, 2.0);
  }
  AskTellStudy again(dir.file("s.db"), "q", unit_square(), Direction::Minimize, "tpe");
  const auto trials = again.trials();
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0].state, TrialState::Failed);
  EXPECT_NE(trials[0].fail_reason.find("never told"), std::string::npos) << trials[0].fail_reason;
  EXPECT_EQ(trials[1].state, TrialState::Complete);
  // Another direction or space for the same study name is refused.
  EXPECT_THROW(AskTellStudy(dir.file("s.db"), "q", unit_square(), Direction::Maximize, "tpe"), ConfigError);
}

double best_of(const std::string& db, const std::string& sampler, uint64_t seed, int n) {
  AskTellStudy s(db, "q", unit_square(), Direction::Minimize, sampler, nlohmann::json::object(), seed);
  for (int i = 0; i < n; ++i) {
    const AskedTrial t = s.ask();
    EXPECT_EQ(t.number, i);
    s.tell(t.number, quadratic(t.params));
  }
  return *s.best_trial()->value;
}

TEST(AskTellStudy, TheGpFindsAQuadraticsMinimumFarBetterThanRandomSearch) {
  test::TempDir dir("ask-tell-quadratic");
  std::vector<double> gp, random;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    gp.push_back(best_of(dir.file("gp" + std::to_string(seed) + ".db"), "gp", seed, 20));
    random.push_back(best_of(dir.file("rs" + std::to_string(seed) + ".db"), "random", seed, 20));
  }
  std::sort(gp.begin(), gp.end());
  std::sort(random.begin(), random.end());
  EXPECT_LT(gp[2], random[2] / 4) << "median best after 20 trials: gp " << gp[2] << ", random " << random[2];
}

}  // namespace
}  // namespace gd::tune
