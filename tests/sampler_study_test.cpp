// Every sampler through a simulated parallel study on the example space spaces/mlp.toml
// (conditional widths, a categorical optimiser, a fixed epoch count): four workers, trials that
// complete, get pruned (with intermediate values) or fail, proposals made while others are still
// Running. Every proposal must be a valid, new configuration, and the model-based samplers must
// do better than random search on the synthetic objective (maximum 0.98).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "engine/tune/sampler.h"

namespace gd::tune {
namespace {

using nlohmann::json;

// A made-up "validation accuracy": best near lr 0.03 (sgd) / 1e-3 (adam family), momentum 0.9,
// small weight decay, dropout 0.2, two layers of ~256 units.
double accuracy(const json& p) {
  const std::string opt = p["optimizer"];
  const double best_lr = opt == "sgd" ? 0.03 : 1e-3;
  double a = 0.98 - 0.02 * std::pow(std::log10(p["lr"].get<double>() / best_lr), 2);
  if (p.contains("momentum")) a -= 0.05 * std::fabs(p["momentum"].get<double>() - 0.9);
  a -= 0.005 * std::fabs(std::log10(p["weight_decay"].get<double>() / 1e-4));
  a -= 0.03 * std::fabs(p["dropout"].get<double>() - 0.2);
  a -= 0.004 * std::fabs(p["layers"].get<int>() - 2);
  a -= 0.003 * std::fabs(std::log2(p["width1"].get<int>() / 256.0));
  if (p.contains("width2")) a -= 0.003 * std::fabs(std::log2(p["width2"].get<int>() / 256.0));
  return a;
}

struct StudyResult {
  double best = -1.0;
  int proposals = 0;
};

StudyResult run_study(const std::string& name, uint64_t seed, int trials) {
  const SearchSpace space = SearchSpace::from_toml_file(std::string(GD_SOURCE_DIR) + "/spaces/mlp.toml");
  auto sampler = make_sampler(name);
  std::vector<Trial> history;
  std::set<std::string> keys;
  StudyResult r;
  constexpr int kWorkers = 4;
  for (int t = 0; t < trials; ++t) {
    // Finish the oldest running trial once every worker is busy: complete, pruned or failed.
    std::vector<Trial*> running;
    for (Trial& h : history) {
      if (h.state == TrialState::Running) running.push_back(&h);
    }
    if (static_cast<int>(running.size()) >= kWorkers) {
      Trial& done = *running.front();
      const double acc = accuracy(done.params);
      if (done.number % 7 == 3) {
        done.state = TrialState::Failed;
        done.fail_reason = "diverged";
      } else if (acc < 0.9 && done.number % 2 == 0) {
        done.state = TrialState::Pruned;
        done.intermediate = {{1, acc - 0.05}, {2, acc - 0.03}};
        done.value = acc - 0.03;
      } else {
        done.state = TrialState::Complete;
        done.intermediate = {{1, acc - 0.05}, {2, acc - 0.03}, {3, acc}};
        done.value = acc;
        r.best = std::max(r.best, acc);
      }
    }
    Trial next;
    next.id = t;
    next.number = t;
    next.params = sampler->sample(space, history, Direction::Maximize, seed, t);
    next.sampler = sampler->last_proposer();
    EXPECT_EQ(space.check_params(next.params), "") << name << " " << next.params.dump();
    EXPECT_TRUE(keys.insert(space.canonical_key(next.params)).second) << name << " repeated " << next.params.dump();
    EXPECT_TRUE(next.params.contains("width1")) << "width1 is always active";
    history.push_back(next);
    ++r.proposals;
  }
  return r;
}

TEST(SamplerStudy, EverySamplerRunsAParallelStudyOnTheExampleSpace) {
  for (const char* name : {"random", "grid", "tpe", "gp", "coarse-fine"}) {
    const StudyResult r = run_study(name, 3, 40);
    EXPECT_EQ(r.proposals, 40) << name;
    EXPECT_GT(r.best, 0.0) << name;
  }
}

TEST(SamplerStudy, ModelBasedSamplersBeatRandomSearch) {
  // Median over 15 seeds of the regret (0.98 - best completed accuracy) after 80 proposals.
  // Observed: random 0.0121, coarse-fine 0.0075 (its first ~24 proposals are random by design),
  // tpe 0.0078 (0.0073 before its categorical kernels became conditional, parzen_estimator.h: it
  // now also explores optimisers whose optimum it has not seen, which costs a little here, where
  // three of the four share one), gp 0.0055; the bounds leave room for small changes.
  constexpr uint64_t kSeeds = 15;
  auto median_regret = [](const std::string& name) {
    std::vector<double> regret;
    for (uint64_t seed = 1; seed <= kSeeds; ++seed) regret.push_back(0.98 - run_study(name, seed, 80).best);
    std::sort(regret.begin(), regret.end());
    std::printf("%-11s median regret %.4f\n", name.c_str(), regret[kSeeds / 2]);
    return regret[kSeeds / 2];
  };
  const double random = median_regret("random");
  EXPECT_LT(median_regret("tpe"), 0.7 * random);
  EXPECT_LT(median_regret("gp"), 0.7 * random);
  EXPECT_LT(median_regret("coarse-fine"), random);
}

}  // namespace
}  // namespace gd::tune
