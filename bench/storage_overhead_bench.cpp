// Coordination overhead of a shared study: W worker processes run T trials of a no-op objective
// on one study (ask with the random sampler, one heartbeat, tell), and the wall time per trial is
// what the storage costs. The study lives where GD_BENCH_STORAGE points (a PostgreSQL URL or a
// SQLite path; a fresh database: the study "overhead" must not exist), with GD_BENCH_WORKERS
// (default 32) and GD_BENCH_TRIALS (default 1000). It also checks the result: exactly T trials,
// numbers 0..T-1 each once, none left running (counters lost/duplicated/stuck, all 0 when right).
// bench/storage_vs_optuna.py runs it beside Optuna's RDBStorage on the same server.
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "engine/tune/sampler.h"
#include "engine/tune/search_space.h"
#include "engine/tune/study_storage.h"

namespace {

using namespace gd::tune;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

void BM_SharedStudyCoordination(benchmark::State& state) {
  const char* location = std::getenv("GD_BENCH_STORAGE");
  if (!location || !*location) {
    state.SkipWithError("set GD_BENCH_STORAGE to a PostgreSQL URL or a SQLite path (a fresh database)");
    return;
  }
  const int workers = env_int("GD_BENCH_WORKERS", 32), trials = env_int("GD_BENCH_TRIALS", 1000);
  const SearchSpace space = SearchSpace::from_toml_string(
      "[params.x]\ntype = \"float\"\nlow = -10.0\nhigh = 10.0\n[params.y]\ntype = \"float\"\nlow = -10.0\nhigh = 10.0\n",
      "bench");
  {
    StudyStorage st(location);
    st.create_study("overhead", Direction::Minimize, space.to_json(), {{"arch", "none"}});
  }
  for (auto _ : state) {
    int gate[2];
    if (::pipe(gate) != 0) {
      state.SkipWithError("pipe failed");
      return;
    }
    std::vector<pid_t> kids;
    for (int w = 0; w < workers; ++w) {
      const int mine = trials / workers + (w < trials % workers ? 1 : 0);
      const pid_t pid = ::fork();
      if (pid == 0) {
        ::close(gate[1]);
        int rc = 0;
        try {
          StudyStorage st(location);  // connected before the clock starts, as Optuna's workers are
          const Study s = st.load_study("overhead");
          auto sampler = make_sampler("random");
          char c;
          if (::read(gate[0], &c, 1) != 0) rc = 3;  // wait for the start (EOF)
          for (int i = 0; i < mine; ++i) {
            Trial t = st.ask(
                s,
                [&](const std::vector<Trial>& all) {
                  return sampler->sample(space, all, s.direction, 1000 + static_cast<uint64_t>(w),
                                         static_cast<int>(all.size()));
                },
                "random", "cpu");
            st.heartbeat(t);
            const double x = t.params.at("x").get<double>(), y = t.params.at("y").get<double>();
            st.tell_complete(t, x * x + y * y);
          }
        } catch (const std::exception& e) {
          std::fprintf(stderr, "worker %d: %s\n", w, e.what());
          rc = 1;
        }
        ::_exit(rc);
      }
      kids.push_back(pid);
    }
    ::close(gate[0]);
    ::usleep(300000);  // every worker connected and waiting
    const auto t0 = std::chrono::steady_clock::now();
    ::close(gate[1]);
    int failed = 0;
    for (pid_t p : kids) {
      int st = 0;
      ::waitpid(p, &st, 0);
      failed += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(wall);

    StudyStorage st(location);
    const std::vector<Trial> all = st.trials(st.load_study("overhead"));
    std::set<int> numbers;
    int stuck = 0, complete = 0;
    for (const Trial& t : all) {
      numbers.insert(t.number);
      stuck += t.state == TrialState::Running;
      complete += t.state == TrialState::Complete;
    }
    const bool dense = numbers.size() == all.size() && (numbers.empty() || *numbers.rbegin() == static_cast<int>(all.size()) - 1);
    state.counters["workers"] = workers;
    state.counters["trials"] = static_cast<double>(all.size());
    state.counters["wall_s"] = wall;
    state.counters["ms_per_trial"] = 1000.0 * wall / trials;
    state.counters["worker_ms_per_trial"] = 1000.0 * wall * workers / trials;
    state.counters["lost"] = std::max(0, trials - complete - stuck);
    state.counters["duplicated"] = static_cast<double>(all.size() - numbers.size()) + (dense ? 0 : 1);
    state.counters["stuck"] = stuck;
    state.counters["failed_workers"] = failed;
  }
}
BENCHMARK(BM_SharedStudyCoordination)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace
