// CPU float throughput of the memory-bound ops: activation, dropout, max pooling, batch norm,
// softmax cross-entropy, optimiser updates. Each case reports GB/s of the minimum traffic the op must
// move (every input read once, every output written once), so numbers are comparable across
// implementations, and that rate as a fraction of the measured copy bandwidth ("of_peak",
// bench/support/bench_util.h).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "bench/support/bench_util.h"

#include "engine/ops/activation.h"
#include "engine/ops/batchnorm.h"
#include "engine/ops/dropout.h"
#include "engine/ops/optim_update.h"
#include "engine/ops/pool2d.h"
#include "engine/ops/softmax_xent.h"

namespace {

// A conv feature-map batch: N=128, C=64, 24x24.
constexpr int64_t kN = 128, kC = 64, kH = 24, kW = 24;
constexpr int64_t kElems = kN * kC * kH * kW;

std::vector<float> random_floats(int64_t n, uint32_t seed) {
  return gd::bench::random_floats(static_cast<size_t>(n), seed);
}

void report_bytes(benchmark::State& state, const gd::bench::LoopClock& clock, double bytes_per_iteration) {
  gd::bench::report_bytes(state, clock, bytes_per_iteration, gd::bench::cpu_copy_peak_bytes());
}

void BM_ReluForward(benchmark::State& state) {
  const std::vector<float> x = random_floats(kElems, 1);
  std::vector<float> y(kElems);
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    gd::activation_forward_ref<float>(gd::Activation::ReLU, kElems, x.data(), y.data());
    benchmark::ClobberMemory();
  }
  report_bytes(state, clock, 2.0 * kElems * sizeof(float));  // x in, y out
}
BENCHMARK(BM_ReluForward)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ReluBackward(benchmark::State& state) {
  const std::vector<float> x = random_floats(kElems, 1), dy = random_floats(kElems, 2);
  std::vector<float> y(kElems), dx(kElems);
  gd::activation_forward_ref<float>(gd::Activation::ReLU, kElems, x.data(), y.data());
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    gd::activation_backward_ref<float>(gd::Activation::ReLU, kElems, x.data(), y.data(), dy.data(), dx.data());
    benchmark::ClobberMemory();
  }
  report_bytes(state, clock, 3.0 * kElems * sizeof(float));  // y, dy in, dx out
}
BENCHMARK(BM_ReluBackward)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DropoutForward(benchmark::State& state) {
  const std::vector<float> x = random_floats(kElems, 3);
  std::vector<float> y(kElems);
  gd::DropoutParams d;
  d.p = 0.5f;
  d.seed = 42;
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    gd::dropout_forward_ref<float>(d, kElems, x.data(), y.data());
    benchmark::ClobberMemory();
    ++d.step;  // a fresh mask each iteration, as in training
  }
  report_bytes(state, clock, 2.0 * kElems * sizeof(float));  // x in, y out
}
BENCHMARK(BM_DropoutForward)->Unit(benchmark::kMillisecond)->UseRealTime();

gd::Pool2dShape pool_shape() {
  gd::Pool2dShape s;
  s.n = kN;
  s.c = kC;
  s.h = kH;
  s.w = kW;
  s.k = 2;
  s.stride = 2;
  s.pad = 0;
  return s;
}

void BM_MaxPoolForward(benchmark::State& state) {
  const gd::Pool2dShape s = pool_shape();
  const int64_t out = s.n * s.c * s.oh() * s.ow();
  const std::vector<float> x = random_floats(kElems, 4);
  std::vector<float> y(out);
  std::vector<int32_t> am(out);
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    gd::maxpool2d_forward_ref<float>(s, x.data(), y.data(), am.data());
    benchmark::ClobberMemory();
  }
  report_bytes(state, clock, kElems * 4.0 + out * 8.0);  // x in; y and argmax out
}
BENCHMARK(BM_MaxPoolForward)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MaxPoolBackward(benchmark::State& state) {
  const gd::Pool2dShape s = pool_shape();
  const int64_t out = s.n * s.c * s.oh() * s.ow();
  const std::vector<float> x = random_floats(kElems, 4), dy = random_floats(out, 5);
  std::vector<float> y(out), dx(kElems);
  std::vector<int32_t> am(out);
  gd::maxpool2d_forward_ref<float>(s, x.data(), y.data(), am.data());
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    gd::maxpool2d_backward_ref<float>(s, dy.data(), am.data(), dx.data());
    benchmark::ClobberMemory();
  }
  report_bytes(state, clock, out * 8.0 + kElems * 4.0);  // dy and argmax in; dx out
}
BENCHMARK(BM_MaxPoolBackward)->Unit(benchmark::kMillisecond)->UseRealTime();

struct BatchNormData {
  gd::BatchNormShape sh;
  std::vector<float> x, dy, gamma, beta, y, dx, mean, invstd, rm, rv, dgamma, dbeta;
  BatchNormData()
      : x(random_floats(kElems, 6)), dy(random_floats(kElems, 7)), gamma(kC, 1.0f), beta(kC, 0.0f),
        y(kElems), dx(kElems), mean(kC), invstd(kC), rm(kC, 0.0f), rv(kC, 1.0f), dgamma(kC), dbeta(kC) {
    sh.n = kN;
    sh.c = kC;
    sh.s = kH * kW;
  }
  void forward() {
    gd::batchnorm_forward_train_ref<float>(sh, x.data(), gamma.data(), beta.data(), y.data(), mean.data(),
                                           invstd.data(), rm.data(), rv.data());
  }
};

void BM_BatchNormTrainForward(benchmark::State& state) {
  BatchNormData b;
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    b.forward();
    benchmark::ClobberMemory();
  }
  report_bytes(state, clock, 2.0 * kElems * sizeof(float));  // x in, y out (minimum; stats are O(C))
}
BENCHMARK(BM_BatchNormTrainForward)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BatchNormBackward(benchmark::State& state) {
  BatchNormData b;
  b.forward();
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    gd::batchnorm_backward_ref<float>(b.sh, b.x.data(), b.gamma.data(), b.mean.data(), b.invstd.data(),
                                      b.dy.data(), b.dx.data(), b.dgamma.data(), b.dbeta.data());
    benchmark::ClobberMemory();
  }
  report_bytes(state, clock, 3.0 * kElems * sizeof(float));  // x, dy in; dx out
}
BENCHMARK(BM_BatchNormBackward)->Unit(benchmark::kMillisecond)->UseRealTime();

// state.range(0) = batch rows N, 10 classes.
void BM_SoftmaxXent(benchmark::State& state) {
  const int64_t n = state.range(0), c = 10;
  const std::vector<float> logits = random_floats(n * c, 8);
  std::vector<int32_t> labels(n);
  for (int64_t i = 0; i < n; ++i) labels[i] = static_cast<int32_t>(i % c);
  std::vector<float> g(n * c);
  gd::SoftmaxXentShape s;
  s.n = n;
  s.c = c;
  int64_t correct = 0;
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    const double loss = gd::softmax_xent_forward_backward_ref<float>(s, logits.data(), labels.data(), nullptr,
                                                                     g.data(), &correct);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
  report_bytes(state, clock, n * c * 8.0 + n * 4.0);  // logits in, labels in, dlogits out
}
BENCHMARK(BM_SoftmaxXent)->Arg(128)->Arg(8192)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Fused optimiser updates over the mlp's 535,818 parameters (one call updates the whole model).
// Traffic: SGD reads param, grad, velocity and writes param, velocity (5 arrays); Adam reads param,
// grad, m, v and writes param, m, v (7 arrays).
constexpr int64_t kMlpParams = 535818;
void BM_SgdNesterovUpdate(benchmark::State& state) {
  std::vector<float> p = random_floats(kMlpParams, 10), g = random_floats(kMlpParams, 11), v(kMlpParams, 0.f);
  gd::SgdParams sp;
  sp.lr = 0.01;
  sp.momentum = 0.9;
  sp.nesterov = true;
  sp.weight_decay = 1e-4;
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    gd::sgd_update_ref<float>(sp, kMlpParams, p.data(), g.data(), v.data());
    benchmark::ClobberMemory();
  }
  report_bytes(state, clock, 5.0 * kMlpParams * sizeof(float));
}
BENCHMARK(BM_SgdNesterovUpdate)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_AdamUpdate(benchmark::State& state) {
  std::vector<float> p = random_floats(kMlpParams, 12), g = random_floats(kMlpParams, 13);
  std::vector<float> m(kMlpParams, 0.f), v(kMlpParams, 0.f);
  gd::AdamParams ap;
  ap.lr = 1e-3;
  ap.step = 10;
  const gd::bench::LoopClock clock;
  for (auto _ : state) {
    gd::adam_update_ref<float>(ap, kMlpParams, p.data(), g.data(), m.data(), v.data());
    benchmark::ClobberMemory();
  }
  report_bytes(state, clock, 7.0 * kMlpParams * sizeof(float));
}
BENCHMARK(BM_AdamUpdate)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
