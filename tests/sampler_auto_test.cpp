// The default sampler "auto": the GP below 500 finished trials and up to 20 sampled parameters,
// TPE beyond, each choice with its reason; what proposed is recorded; its options are both parts'.
#include "engine/tune/auto_sampler.h"

#include <gtest/gtest.h>

#include "engine/core/error.h"
#include "engine/tune/sampler.h"

namespace gd::tune {
namespace {

SearchSpace floats(int n) {
  std::string toml;
  for (int i = 0; i < n; ++i)
    toml += "[params.x" + std::to_string(i) + "]\ntype = \"float\"\nlow = 0.0\nhigh = 1.0\n";
  return SearchSpace::from_toml_string(toml, "floats");
}

std::vector<Trial> history(int complete, int pruned = 0, int failed = 0, int running = 0) {
  std::vector<Trial> h;
  auto add = [&](TrialState s, int n) {
    for (int i = 0; i < n; ++i) {
      Trial t;
      t.number = static_cast<int>(h.size());
      t.id = t.number;
      t.state = s;
      t.params = {{"x0", 0.001 * t.number}, {"x1", 0.5}};
      if (s == TrialState::Complete) t.value = 0.001 * t.number;
      h.push_back(t);
    }
  };
  add(TrialState::Complete, complete);
  add(TrialState::Pruned, pruned);
  add(TrialState::Failed, failed);
  add(TrialState::Running, running);
  return h;
}

TEST(AutoSampler, GpBelowTheLimitsTpeBeyondWithTheReason) {
  const AutoChoice start = auto_sampler_choice(floats(10), {});
  EXPECT_EQ(start.sampler, "gp");
  EXPECT_NE(start.reason.find("0 finished trials, 10 sampled parameters"), std::string::npos) << start.reason;
  EXPECT_EQ(auto_sampler_choice(floats(2), history(499)).sampler, "gp");
  // Pruned trials count as finished; failed and running ones do not.
  EXPECT_EQ(auto_sampler_choice(floats(2), history(400, 99, 50, 50)).sampler, "gp");
  const AutoChoice many = auto_sampler_choice(floats(2), history(400, 100));
  EXPECT_EQ(many.sampler, "tpe");
  EXPECT_NE(many.reason.find("500 finished trials"), std::string::npos) << many.reason;
  EXPECT_EQ(auto_sampler_choice(floats(20), {}).sampler, "gp");
  const AutoChoice wide = auto_sampler_choice(floats(21), {});
  EXPECT_EQ(wide.sampler, "tpe");
  EXPECT_NE(wide.reason.find("more than 20 parameters"), std::string::npos) << wide.reason;
}

TEST(AutoSampler, RecordsWhichPartProposed) {
  auto s = make_sampler("auto");
  EXPECT_EQ(s->name(), "auto");
  const SearchSpace space = floats(2);
  // Past its startup the GP proposes; with 500 finished trials TPE does.
  std::vector<Trial> h = history(20);
  s->sample(space, h, Direction::Minimize, 3, 20);
  EXPECT_EQ(s->last_proposer(), "gp");
  h = history(500);
  s->sample(space, h, Direction::Minimize, 3, 500);
  EXPECT_EQ(s->last_proposer(), "tpe");
}

TEST(AutoSampler, TakesBothPartsOptionsAndRejectsOthers) {
  EXPECT_NO_THROW(make_sampler("auto", {{"n_startup", 5}, {"n_candidates", 64}, {"gamma", 0.2}}));
  try {
    make_sampler("auto", {{"resolution", 3}});
    FAIL() << "an option of neither part was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown option 'resolution'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_sampler("auto", {{"gamma", 2.0}}), ConfigError);
}

}  // namespace
}  // namespace gd::tune
