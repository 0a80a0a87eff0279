#include "bench/support/bench_util.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <string>

#include "engine/ref/blas_gemm.h"

namespace gd::bench {
namespace {

template <typename Fn>
double best_seconds(int repeats, Fn&& fn) {
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

double measure_sgemm_peak() {
  constexpr int64_t n = 2048;
  const auto a = random_floats(n * n, 11), b = random_floats(n * n, 12);
  std::vector<float> c(n * n);
  auto run = [&] {
    ref::gemm<float>(ref::kNoTrans, ref::kNoTrans, n, n, n, 1.f, a.data(), n, b.data(), n, 0.f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  };
  run();  // warm-up (thread pool, page faults)
  const double flops = 2.0 * n * n * n / best_seconds(5, run);
  benchmark::AddCustomContext("gd_cpu_sgemm_peak_gflops", std::to_string(flops / 1e9) + " (SGEMM 2048^3, best of 5)");
  return flops;
}

double measure_copy_peak() {
  constexpr size_t bytes = size_t{256} << 20;
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  auto run = [&] {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::DoNotOptimize(dst.data());
  };
  run();
  const double rate = 2.0 * bytes / best_seconds(5, run);
  benchmark::AddCustomContext("gd_cpu_copy_peak_gbps", std::to_string(rate / 1e9) + " (memcpy 256 MiB, read+write, best of 5)");
  return rate;
}

}  // namespace

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

double cpu_sgemm_peak_flops() {
  static const double peak = measure_sgemm_peak();
  return peak;
}

double cpu_copy_peak_bytes() {
  static const double peak = measure_copy_peak();
  return peak;
}

void report_flops(benchmark::State& state, const LoopClock& clock, double flops_per_iteration, double peak_flops) {
  const double total = flops_per_iteration * static_cast<double>(state.iterations());
  const double seconds = clock.seconds();
  state.counters["FLOP"] = benchmark::Counter(total, benchmark::Counter::kIsRate);
  state.counters["of_peak"] = seconds > 0 ? total / seconds / peak_flops : 0.0;
}

void report_bytes(benchmark::State& state, const LoopClock& clock, double bytes_per_iteration, double peak_bytes) {
  const double total = bytes_per_iteration * static_cast<double>(state.iterations());
  const double seconds = clock.seconds();
  state.counters["bytes"] = benchmark::Counter(total, benchmark::Counter::kIsRate);
  state.counters["of_peak"] = seconds > 0 ? total / seconds / peak_bytes : 0.0;
}

}  // namespace gd::bench
