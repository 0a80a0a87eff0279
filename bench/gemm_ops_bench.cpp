// CPU float throughput of the GEMM-bound references (the production CPU path) at the real layer
// sizes of the dense, cnn and lcnn models. Reports FLOP/s (counter "FLOP", a rate) and the fraction
// of this machine's measured SGEMM peak ("of_peak", bench/support/bench_util.h): forward counts
// 2*MACs; backward counts the dw GEMM plus, where the layer computes it, the dx GEMM. First layers
// (C = 1, fed by the image) skip dx as training does. BM_SgemmPeak is the reference point itself.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/support/bench_util.h"

#include "engine/ops/conv2d.h"
#include "engine/ops/dense.h"
#include "engine/ops/lc2d.h"
#include "engine/ref/blas_gemm.h"

namespace {

using gd::bench::random_floats;

void set_flops(benchmark::State& state, const gd::bench::LoopClock& clock, double flops_per_iter) {
  gd::bench::report_flops(state, clock, flops_per_iter, gd::bench::cpu_sgemm_peak_flops());
}

// The peak itself, for the table: one 2048^3 SGEMM per iteration through the engine's BLAS.
void BM_SgemmPeak(benchmark::State& state) {
  const int64_t n = state.range(0);
  const auto a = random_floats(n * n, 1), b = random_floats(n * n, 2);
  std::vector<float> c(n * n);
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    gd::ref::gemm<float>(gd::ref::kNoTrans, gd::ref::kNoTrans, n, n, n, 1.f, a.data(), n, b.data(), n, 0.f,
                         c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  set_flops(state, clock, 2.0 * n * n * n);
}
BENCHMARK(BM_SgemmPeak)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);

// args: n, k, m
void BM_DenseForward(benchmark::State& state) {
  const gd::DenseShape s{state.range(0), state.range(1), state.range(2)};
  const auto x = random_floats(s.n * s.k, 1), w = random_floats(s.m * s.k, 2),
             b = random_floats(s.m, 3);
  std::vector<float> y(s.n * s.m);
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    gd::dense_forward_ref(s, x.data(), w.data(), b.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, clock, 2.0 * s.n * s.k * s.m);
}
void BM_DenseBackward(benchmark::State& state) {
  const gd::DenseShape s{state.range(0), state.range(1), state.range(2)};
  const auto x = random_floats(s.n * s.k, 1), w = random_floats(s.m * s.k, 2);
  const auto dy = random_floats(s.n * s.m, 3);
  std::vector<float> dx(x.size()), dw(w.size()), db(s.m);
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    gd::dense_backward_ref(s, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data());
    benchmark::DoNotOptimize(dw.data());
  }
  set_flops(state, clock, 4.0 * s.n * s.k * s.m);
}
BENCHMARK(BM_DenseForward)->Args({128, 784, 512})->Args({128, 512, 256})->UseRealTime();
BENCHMARK(BM_DenseBackward)->Args({128, 784, 512})->Args({128, 512, 256})->UseRealTime();

// args: n, c, h, w, f, k, stride, pad (square kernel)
gd::Conv2dShape conv_shape(const benchmark::State& st) {
  return {st.range(0), st.range(1), st.range(2), st.range(3), st.range(4),
          st.range(5), st.range(5), st.range(6), st.range(7)};
}
double conv_macs(const gd::Conv2dShape& s) {
  return double(s.n) * s.f * s.oh() * s.ow() * s.c * s.kh * s.kw;
}
void BM_Conv2dForward(benchmark::State& state) {
  const gd::Conv2dShape s = conv_shape(state);
  const auto x = random_floats(s.n * s.c * s.h * s.w, 1);
  const auto w = random_floats(s.f * s.c * s.kh * s.kw, 2), b = random_floats(s.f, 3);
  std::vector<float> y(s.n * s.f * s.oh() * s.ow()), ws(gd::conv2d_workspace_elems(s));
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    gd::conv2d_forward_ref(s, x.data(), w.data(), b.data(), y.data(), ws.data());
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, clock, 2.0 * conv_macs(s));
}
void BM_Conv2dBackward(benchmark::State& state) {
  const gd::Conv2dShape s = conv_shape(state);
  const bool with_dx = s.c > 1;
  const auto x = random_floats(s.n * s.c * s.h * s.w, 1);
  const auto w = random_floats(s.f * s.c * s.kh * s.kw, 2);
  const auto dy = random_floats(s.n * s.f * s.oh() * s.ow(), 3);
  std::vector<float> dx(x.size()), dw(w.size()), db(s.f), ws(gd::conv2d_workspace_elems(s));
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    gd::conv2d_backward_ref(s, x.data(), w.data(), dy.data(), with_dx ? dx.data() : nullptr,
                            dw.data(), db.data(), ws.data());
    benchmark::DoNotOptimize(dw.data());
  }
  set_flops(state, clock, (with_dx ? 4.0 : 2.0) * conv_macs(s));
}
// cnn layer 1: 1x28x28 -> 32x26x26; layer 2: 32x26x26 -> 64x24x24 (3x3, stride 1, pad 0)
BENCHMARK(BM_Conv2dForward)
    ->Args({128, 1, 28, 28, 32, 3, 1, 0})
    ->Args({128, 32, 26, 26, 64, 3, 1, 0})
    ->UseRealTime();
BENCHMARK(BM_Conv2dBackward)
    ->Args({128, 1, 28, 28, 32, 3, 1, 0})
    ->Args({128, 32, 26, 26, 64, 3, 1, 0})
    ->UseRealTime();

gd::Lc2dShape lc_shape(const benchmark::State& st) {
  return {st.range(0), st.range(1), st.range(2), st.range(3), st.range(4),
          st.range(5), st.range(5), st.range(6), st.range(7)};
}
double lc_macs(const gd::Lc2dShape& s) { return double(s.n) * s.f * s.positions() * s.receptive(); }
void BM_Lc2dForward(benchmark::State& state) {
  const gd::Lc2dShape s = lc_shape(state);
  const auto x = random_floats(s.n * s.c * s.h * s.w, 1);
  const auto w = random_floats(s.positions() * s.f * s.receptive(), 2);
  const auto b = random_floats(s.f * s.positions(), 3);
  std::vector<float> y(s.n * s.f * s.positions()), ws(gd::lc2d_workspace_elems(s));
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    gd::lc2d_forward_ref(s, x.data(), w.data(), b.data(), y.data(), ws.data());
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, clock, 2.0 * lc_macs(s));
}
void BM_Lc2dBackward(benchmark::State& state) {
  const gd::Lc2dShape s = lc_shape(state);
  const bool with_dx = s.c > 1;
  const auto x = random_floats(s.n * s.c * s.h * s.w, 1);
  const auto w = random_floats(s.positions() * s.f * s.receptive(), 2);
  const auto dy = random_floats(s.n * s.f * s.positions(), 3);
  std::vector<float> dx(x.size()), dw(w.size()), db(s.f * s.positions()),
      ws(gd::lc2d_workspace_elems(s));
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    gd::lc2d_backward_ref(s, x.data(), w.data(), dy.data(), with_dx ? dx.data() : nullptr,
                          dw.data(), db.data(), ws.data());
    benchmark::DoNotOptimize(dw.data());
  }
  set_flops(state, clock, (with_dx ? 4.0 : 2.0) * lc_macs(s));
}
// lcnn layer 1: 1x28x28 -> 16x14x14; layer 2: 16x14x14 -> 32x7x7 (5x5, stride 2, pad 2)
BENCHMARK(BM_Lc2dForward)
    ->Args({128, 1, 28, 28, 16, 5, 2, 2})
    ->Args({128, 16, 14, 14, 32, 5, 2, 2})
    ->UseRealTime();
BENCHMARK(BM_Lc2dBackward)
    ->Args({128, 1, 28, 28, 16, 5, 2, 2})
    ->Args({128, 16, 14, 14, 32, 5, 2, 2})
    ->UseRealTime();

}  // namespace
