// Time of one GP-BO suggestion (GpSampler via Sampler::sample) with 100, 250 and 500 Complete
// trials over a 10-parameter space (6 floats, 3 of them log-scaled, 2 ints, 2 categoricals),
// reported in ms per suggestion. Two cases:
//   BM_GpSuggest           steady state: the hyperparameters for this history are cached (the
//                          sampler refits only when the observation count crosses its schedule,
//                          about every 10% growth), so this is the posterior (Cholesky at n),
//                          candidate scoring and acquisition refinement;
//   BM_GpSuggestWithRefit  the cache cleared before every call: the suggestion that also refits
//                          the hyperparameters (on at most max_fit_points = 200 observations).
// The amortised cost per suggestion is about steady + refit / (n / 10).
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "engine/tune/gp_sampler.h"
#include "engine/tune/random_sampler.h"
#include "engine/tune/search_space.h"

namespace {

using gd::tune::Direction;
using gd::tune::SearchSpace;
using gd::tune::Trial;

SearchSpace bench_space() {
  return SearchSpace::from_toml_string(R"(
[params.lr]
type = "float"
low = 1e-4
high = 0.3
log = true
[params.weight_decay]
type = "float"
low = 1e-6
high = 1e-2
log = true
[params.eps]
type = "float"
low = 1e-8
high = 1e-4
log = true
[params.momentum]
type = "float"
low = 0.0
high = 0.99
[params.dropout]
type = "float"
low = 0.0
high = 0.6
[params.label_smoothing]
type = "float"
low = 0.0
high = 0.2
[params.batch_size]
type = "int"
low = 16
high = 512
log = true
[params.neurons]
type = "int"
low = 32
high = 1024
step = 32
[params.optimizer]
type = "categorical"
choices = ["sgd", "adam", "adamw", "rmsprop"]
[params.schedule]
type = "categorical"
choices = ["constant", "step", "cosine"]
)",
                                       "bench");
}

// A smooth synthetic "validation accuracy" over the unit coordinates.
double objective(const SearchSpace& space, const nlohmann::json& params) {
  const std::vector<double> u = space.to_unit(params);
  double s = 0.0;
  for (size_t d = 0; d < u.size(); ++d) s += std::sin(3.0 * u[d] + static_cast<double>(d)) * (1.0 + 0.1 * static_cast<double>(d));
  return 0.9 + 0.01 * s;
}

std::vector<Trial> history_of(const SearchSpace& space, int n) {
  gd::tune::RandomSampler random;
  std::vector<Trial> history;
  for (int t = 0; t < n; ++t) {
    Trial trial;
    trial.id = t;
    trial.number = t;
    trial.params = random.sample(space, history, Direction::Maximize, 7, t);
    trial.value = objective(space, trial.params);
    trial.state = gd::tune::TrialState::Complete;
    history.push_back(trial);
  }
  return history;
}

void BM_GpSuggest(benchmark::State& state) {
  const SearchSpace space = bench_space();
  const int n = static_cast<int>(state.range(0));
  const std::vector<Trial> history = history_of(space, n);
  gd::tune::GpSampler gp;
  gp.sample(space, history, Direction::Maximize, 11, n);  // fills the hyperparameter cache
  for (auto _ : state) {
    nlohmann::json p = gp.sample(space, history, Direction::Maximize, 11, n);
    benchmark::DoNotOptimize(p);
  }
  state.counters["fits"] = gp.fits();
}
BENCHMARK(BM_GpSuggest)->Arg(100)->Arg(250)->Arg(500)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GpSuggestWithRefit(benchmark::State& state) {
  const SearchSpace space = bench_space();
  const int n = static_cast<int>(state.range(0));
  const std::vector<Trial> history = history_of(space, n);
  gd::tune::GpSampler gp;
  for (auto _ : state) {
    gp.clear_cache();
    nlohmann::json p = gp.sample(space, history, Direction::Maximize, 11, n);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_GpSuggestWithRefit)->Arg(100)->Arg(250)->Arg(500)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
