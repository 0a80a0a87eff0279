// CPU float convolution, im2col + GEMM (conv2d_*_ref<float>) against Winograd F(4x4,3x3)
// (conv2d_*_winograd), at the cnn's second layer (128 x 32x26x26 -> 64x24x24) and at channel counts
// that show where Winograd starts to pay (the C >= 8 rule of conv2d_uses_winograd).
// The "FLOP" counter is a rate counted as the DIRECT convolution's flops for both paths (forward:
// 2 * N*F*OH*OW*C*9; backward: twice that, dw and dx), so the two paths' numbers compare directly
// and Winograd can exceed the machine's peak.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "engine/ops/conv2d.h"
#include "engine/ref/conv2d_winograd.h"

namespace {

std::vector<float> random_floats(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// args: n, c, h, w, f, pad (3x3 kernel, stride 1)
gd::Conv2dShape shape(const benchmark::State& st) {
  return {st.range(0), st.range(1), st.range(2), st.range(3), st.range(4), 3, 3, 1, st.range(5)};
}
double direct_flops(const gd::Conv2dShape& s) {
  return 2.0 * double(s.n) * s.f * s.oh() * s.ow() * s.c * s.kh * s.kw;
}
void set_flops(benchmark::State& state, double flops_per_iter) {
  state.counters["FLOP"] = benchmark::Counter(
      flops_per_iter * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

struct Data {
  std::vector<float> x, w, b, dy, y, dx, dw, db;
  explicit Data(const gd::Conv2dShape& s)
      : x(random_floats(s.n * s.c * s.h * s.w, 1)),
        w(random_floats(s.f * s.c * 9, 2)),
        b(random_floats(s.f, 3)),
        dy(random_floats(s.n * s.f * s.oh() * s.ow(), 4)),
        y(dy.size()),
        dx(x.size()),
        dw(w.size()),
        db(b.size()) {}
};

template <bool kWinograd>
void BM_Conv3x3Forward(benchmark::State& state) {
  const gd::Conv2dShape s = shape(state);
  Data d(s);
  std::vector<float> ws(kWinograd ? gd::conv2d_winograd_workspace_elems(s) : gd::conv2d_workspace_elems(s));
  for (auto _ : state) {
    if (kWinograd) {
      gd::conv2d_forward_winograd(s, d.x.data(), d.w.data(), d.b.data(), d.y.data(), ws.data());
    } else {
      gd::conv2d_forward_ref<float>(s, d.x.data(), d.w.data(), d.b.data(), d.y.data(), ws.data());
    }
    benchmark::DoNotOptimize(d.y.data());
  }
  set_flops(state, direct_flops(s));
}

template <bool kWinograd>
void BM_Conv3x3Backward(benchmark::State& state) {
  const gd::Conv2dShape s = shape(state);
  Data d(s);
  std::vector<float> ws(kWinograd ? gd::conv2d_winograd_workspace_elems(s) : gd::conv2d_workspace_elems(s));
  for (auto _ : state) {
    if (kWinograd) {
      gd::conv2d_backward_winograd(s, d.x.data(), d.w.data(), d.dy.data(), d.dx.data(), d.dw.data(),
                                   d.db.data(), ws.data());
    } else {
      gd::conv2d_backward_ref<float>(s, d.x.data(), d.w.data(), d.dy.data(), d.dx.data(), d.dw.data(),
                                     d.db.data(), ws.data());
    }
    benchmark::DoNotOptimize(d.dw.data());
  }
  set_flops(state, 2.0 * direct_flops(s));
}

// cnn layer 2 first, then the channel counts behind the C >= 8 rule of conv2d_uses_winograd: cnn
// layer 1 (C = 1) and C = 4 stay on im2col, C = 8 switches (with as few as 1 output channel).
void shapes(benchmark::internal::Benchmark* b) {
  b->Args({128, 32, 26, 26, 64, 0});
  b->Args({128, 1, 28, 28, 32, 0});
  b->Args({128, 4, 26, 26, 32, 1});
  b->Args({128, 8, 26, 26, 8, 1});
  b->Args({128, 8, 26, 26, 1, 1});
  b->Args({128, 64, 12, 12, 64, 1});
  b->UseRealTime();
}

BENCHMARK_TEMPLATE(BM_Conv3x3Forward, false)->Name("Im2colForward")->Apply(shapes);
BENCHMARK_TEMPLATE(BM_Conv3x3Forward, true)->Name("WinogradForward")->Apply(shapes);
BENCHMARK_TEMPLATE(BM_Conv3x3Backward, false)->Name("Im2colBackward")->Apply(shapes);
BENCHMARK_TEMPLATE(BM_Conv3x3Backward, true)->Name("WinogradBackward")->Apply(shapes);

}  // namespace
