#pragma once
// Shared by every benchmark: seeded inputs, and throughput counters reported both as a rate and as
// a fraction of this machine's measured peak, so a number says how close to the hardware limit a
// kernel runs.
//   compute peak: the best of several large SGEMMs (2048^3, through the same BLAS the engine uses,
//                 all threads) measured once per process;
//   bandwidth peak: the best of several 256 MiB memcpy calls (read + write bytes counted).
// Both are printed in the benchmark context (gd_cpu_sgemm_peak_gflops, gd_cpu_copy_peak_gbps).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <vector>

namespace gd::bench {

std::vector<float> random_floats(size_t n, uint32_t seed);  // uniform in [-1, 1)

double cpu_sgemm_peak_flops();  // FLOP/s
double cpu_copy_peak_bytes();   // bytes/s

// Wall time of one benchmark-function call: construct it right before `for (auto _ : state)`.
// The fraction of peak is computed from it (Google Benchmark would print a rate counter with "/s").
class LoopClock {
 public:
  LoopClock() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// counters "FLOP" (rate, FLOP/s) and "of_peak" (that rate / peak_flops, a plain fraction).
void report_flops(benchmark::State& state, const LoopClock& clock, double flops_per_iteration, double peak_flops);
// counters "bytes" (rate, bytes/s) and "of_peak" (that rate / peak_bytes). Above 1 means the working
// set stayed in cache (the peak is a DRAM-sized copy).
void report_bytes(benchmark::State& state, const LoopClock& clock, double bytes_per_iteration, double peak_bytes);

}  // namespace gd::bench
