// Samplers on synthetic minimisation problems, Branin (2-d), Hartmann-6 and a mixed space, over many
// fixed seeds: the model-based samplers (TPE, GP) must reach a given regret in clearly fewer
// evaluations than random search. Each run is sequential (one trial at a time); a run that never
// reaches the regret within the budget counts as budget + 1 evaluations. Assertions are on the
// median over seeds, so one unlucky seed cannot fail the test and one lucky seed cannot pass it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/tune/sampler.h"
#include "engine/tune/search_space.h"

namespace gd::tune {
namespace {

struct Problem {
  std::string name;
  SearchSpace space;
  std::function<double(const nlohmann::json&)> f;
  double optimum;
};

// Branin-Hoo on [-5, 10] x [0, 15]; global minimum 0.397887 at three points.
Problem branin() {
  const SearchSpace space = SearchSpace::from_toml_string(R"(
[params.x1]
type = "float"
low = -5.0
high = 10.0
[params.x2]
type = "float"
low = 0.0
high = 15.0
)",
                                                          "branin");
  auto f = [](const nlohmann::json& p) {
    const double x1 = p["x1"].get<double>(), x2 = p["x2"].get<double>();
    const double pi = 3.14159265358979323846;
    const double b = 5.1 / (4 * pi * pi), c = 5 / pi, r = 6, s = 10, t = 1 / (8 * pi);
    const double u = x2 - b * x1 * x1 + c * x1 - r;
    return u * u + s * (1 - t) * std::cos(x1) + s;
  };
  return {"branin", space, f, 0.397887357729738};
}

// Hartmann-6 on [0, 1]^6; global minimum -3.32237.
Problem hartmann6() {
  std::string toml;
  for (int i = 1; i <= 6; ++i) {
    toml += "[params.x" + std::to_string(i) + "]\ntype = \"float\"\nlow = 0.0\nhigh = 1.0\n";
  }
  const SearchSpace space = SearchSpace::from_toml_string(toml, "hartmann6");
  auto f = [](const nlohmann::json& p) {
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    static const double a[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                   {0.05, 10, 17, 0.1, 8, 14},
                                   {3, 3.5, 1.7, 10, 17, 8},
                                   {17, 8, 0.05, 10, 0.1, 14}};
    static const double pm[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                    {2329, 4135, 8307, 3736, 1004, 9991},
                                    {2348, 1451, 3522, 2883, 3047, 6650},
                                    {4047, 8828, 8732, 5743, 1091, 381}};
    double x[6];
    for (int j = 0; j < 6; ++j) x[j] = p["x" + std::to_string(j + 1)].get<double>();
    double sum = 0.0;
    for (int i = 0; i < 4; ++i) {
      double inner = 0.0;
      for (int j = 0; j < 6; ++j) inner += a[i][j] * (x[j] - pm[i][j] * 1e-4) * (x[j] - pm[i][j] * 1e-4);
      sum += alpha[i] * std::exp(-inner);
    }
    return -sum;
  };
  return {"hartmann6", space, f, -3.32236801141551};
}

// A log-scaled float, a log-scaled int and a three-way categorical whose best float and int depend
// on the category: "sgd" is a broad basin with a worse floor (0.25), "adam" a narrow one holding
// the minimum (0), "rmsprop" in between (0.1). A regret below 0.05 exists only in "adam" near its
// best lr and width; a sampler that settles on "rmsprop" stays at 0.1 for ever. (The same problem
// as bench/samplers_synthetic.py's "mixed".)
Problem mixed() {
  const SearchSpace space = SearchSpace::from_toml_string(R"(
[params.lr]
type = "float"
low = 1e-5
high = 1.0
log = true
[params.width]
type = "int"
low = 4
high = 1024
log = true
[params.kind]
type = "categorical"
choices = ["sgd", "adam", "rmsprop"]
)",
                                                          "mixed");
  auto f = [](const nlohmann::json& p) {
    struct Basin { double floor, curvature, lr, width; };
    const std::string kind = p.at("kind").get<std::string>();
    const Basin b = kind == "sgd" ? Basin{0.25, 0.05, -1.0, 6.0}
                    : kind == "adam" ? Basin{0.0, 0.6, -3.5, 8.0}
                                     : Basin{0.1, 0.2, -2.5, 5.0};
    const double d_lr = std::log10(p.at("lr").get<double>()) - b.lr;
    const double d_w = std::log2(p.at("width").get<double>()) - b.width;
    return b.floor + b.curvature * (d_lr * d_lr + 0.25 * d_w * d_w);
  };
  return {"mixed", space, f, 0.0};
}

// Evaluations until f - optimum < threshold (budget + 1 when never). `history_out`, when given,
// receives every trial.
int evals_to_regret(const std::string& sampler, const Problem& p, uint64_t seed, int budget, double threshold,
                    std::vector<Trial>* history_out = nullptr) {
  auto s = make_sampler(sampler);
  std::vector<Trial> local;
  std::vector<Trial>& history = history_out ? *history_out : local;
  for (int t = 0; t < budget; ++t) {
    Trial trial;
    trial.id = t;
    trial.number = t;
    trial.params = s->sample(p.space, history, Direction::Minimize, seed, t);
    trial.value = p.f(trial.params);
    trial.state = TrialState::Complete;
    history.push_back(trial);
    if (!history_out && *trial.value - p.optimum < threshold) return t + 1;
  }
  for (const Trial& t : history)
    if (*t.value - p.optimum < threshold) return t.number + 1;
  return budget + 1;
}

double median_evals(const std::string& sampler, const Problem& p, int seeds, int budget, double threshold) {
  std::vector<int> evals;
  for (int s = 0; s < seeds; ++s) evals.push_back(evals_to_regret(sampler, p, 1000 + 17 * s, budget, threshold));
  std::sort(evals.begin(), evals.end());
  std::string all;
  for (int e : evals) all += " " + std::to_string(e);
  std::printf("%s %-6s median %d evaluations to regret < %g (budget %d):%s\n", p.name.c_str(), sampler.c_str(),
              evals[evals.size() / 2], threshold, budget, all.c_str());
  return evals[evals.size() / 2];
}

// Budgets, thresholds and seed counts: chosen so that random search rarely reaches the regret
// within the budget (its median is then budget + 1) while a working model-based sampler does in
// well under 0.6 x that; 15 seeds keep the median stable and the test within seconds.
constexpr int kSeeds = 15;

TEST(SamplerSynthetic, BraninTpeAndGpBeatRandom) {
  const Problem p = branin();
  constexpr int kBudget = 60;
  constexpr double kRegret = 0.2;
  const double random = median_evals("random", p, kSeeds, kBudget, kRegret);
  const double tpe = median_evals("tpe", p, kSeeds, kBudget, kRegret);
  const double gp = median_evals("gp", p, kSeeds, kBudget, kRegret);
  EXPECT_LE(tpe, 0.6 * random);
  EXPECT_LE(gp, 0.6 * random);
}

TEST(SamplerSynthetic, Hartmann6TpeAndGpBeatRandom) {
  const Problem p = hartmann6();
  constexpr int kBudget = 100;
  constexpr double kRegret = 0.7;
  const double random = median_evals("random", p, kSeeds, kBudget, kRegret);
  const double tpe = median_evals("tpe", p, kSeeds, kBudget, kRegret);
  const double gp = median_evals("gp", p, kSeeds, kBudget, kRegret);
  EXPECT_LE(tpe, 0.6 * random);
  EXPECT_LE(gp, 0.6 * random);
}

// The multivariate TPE on the mixed space, 30 seeds. Before its categorical kernels shrank their
// smoothing with the number of observations and a kernel drawn away from its observed category
// took its numeric values from the prior (parzen_estimator.h), it settled on "rmsprop" or "sgd" in
// 17 of these 30 seeds (over 90% of its last 50 trials there) and missed the target in 19 (median:
// never). After: 0 settled, 12 misses, median 121. The bounds sit between the two.
TEST(SamplerSynthetic, MixedSpaceTpeKeepsExploringCategories) {
  const Problem p = mixed();
  constexpr int kBudget = 150;
  constexpr double kRegret = 0.05;
  std::vector<int> evals;
  int misses = 0, locked = 0;
  constexpr int kMixedSeeds = 30;  // the spread between seeds is wide here: 30 keep the median stable
  for (int s = 0; s < kMixedSeeds; ++s) {
    std::vector<Trial> history;
    const int e = evals_to_regret("tpe", p, 1000 + 17 * s, kBudget, kRegret, &history);
    evals.push_back(e);
    misses += e > kBudget;
    std::map<std::string, int> last50;
    for (size_t t = history.size() - 50; t < history.size(); ++t) ++last50[history[t].params.at("kind")];
    for (const auto& [kind, count] : last50)
      if (kind != "adam" && count > 45) ++locked;
  }
  std::sort(evals.begin(), evals.end());
  std::string all;
  for (int e : evals) all += " " + std::to_string(e);
  std::printf("mixed tpe median %d evaluations to regret < %g (budget %d), %d misses, %d locked on a wrong "
              "category:%s\n", evals[evals.size() / 2], kRegret, kBudget, misses, locked, all.c_str());
  EXPECT_LE(evals[evals.size() / 2], 140);
  EXPECT_LE(misses, 15);
  EXPECT_LE(locked, 2);
}

}  // namespace
}  // namespace gd::tune
