// GPU throughput of every CUDA-backend kernel at the real layer sizes of mlp, cnn and lcnn, as a
// fraction of this device's measured peaks:
//   compute: the best of several cuBLAS SGEMMs 8192^3 (FP32, default math mode: no TF32);
//   bandwidth: the best of several 1 GiB device-to-device copies (read + write bytes counted).
// Timing: CUDA events around each launch (manual time), with L2 flushed before every repeat by
// writing a buffer twice the L2 size, so no case is timed on a warm cache. FLOPs count 2*MACs of the
// direct algorithm; bytes count each operand read once and each result written once.
// Without a usable device every case reports an error saying why (nothing is silently skipped).
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "bench/support/bench_util.h"
#include "kernels/cuda_backend.h"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_device.h"
#include "kernels/cuda_ops.h"

namespace {

using gd::cuda::Context;

// One backend (stream, cuBLAS, cuDNN) for the whole process; nullptr when no device.
gd::CudaBackend* backend(std::string* why) {
  static std::string reason;
  static std::unique_ptr<gd::CudaBackend> be = [] {
    std::unique_ptr<gd::CudaBackend> b;
    if (gd::cuda::device_available(&reason)) b = std::make_unique<gd::CudaBackend>();
    return b;
  }();
  if (why) *why = reason;
  return be.get();
}

// Device buffer filled with uniform [-1, 1) floats (or zeros), on the context's stream (the backend's
// stream is non-blocking: a legacy-stream copy would not be ordered with its kernels).
class DeviceFloats {
 public:
  DeviceFloats(Context& ctx, size_t n, uint32_t seed = 0) : n_(std::max<size_t>(n, 1)) {
    GD_CUDA_CHECK(cudaMalloc(&p_, n_ * sizeof(float)));
    if (seed) {
      const auto h = gd::bench::random_floats(n_, seed);
      GD_CUDA_CHECK(cudaMemcpyAsync(p_, h.data(), n_ * sizeof(float), cudaMemcpyHostToDevice, ctx.stream));
    } else {
      GD_CUDA_CHECK(cudaMemsetAsync(p_, 0, n_ * sizeof(float), ctx.stream));
    }
    GD_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));  // h goes out of scope
  }
  ~DeviceFloats() { cudaFree(p_); }
  DeviceFloats(const DeviceFloats&) = delete;
  DeviceFloats& operator=(const DeviceFloats&) = delete;
  float* get() const { return p_; }
  size_t size() const { return n_; }

 private:
  size_t n_;
  float* p_ = nullptr;
};

// Times `launch` with CUDA events, flushing L2 before each repeat.
class GpuTimer {
 public:
  explicit GpuTimer(Context& ctx) : ctx_(ctx) {
    int dev = 0, l2 = 0;
    GD_CUDA_CHECK(cudaGetDevice(&dev));
    GD_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev));
    flush_bytes_ = std::max<size_t>(2 * static_cast<size_t>(l2), size_t{64} << 20);
    GD_CUDA_CHECK(cudaMalloc(&flush_, flush_bytes_));
    GD_CUDA_CHECK(cudaEventCreate(&start_));
    GD_CUDA_CHECK(cudaEventCreate(&stop_));
  }
  ~GpuTimer() {
    cudaFree(flush_);
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  template <typename Fn>
  void run(benchmark::State& state, Fn&& launch) {
    launch();  // warm-up: cuDNN/cuBLAS plans, first-touch
    GD_CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));
    for (auto _ : state) {
      GD_CUDA_CHECK(cudaMemsetAsync(flush_, 0, flush_bytes_, ctx_.stream));
      GD_CUDA_CHECK(cudaEventRecord(start_, ctx_.stream));
      launch();
      GD_CUDA_CHECK(cudaEventRecord(stop_, ctx_.stream));
      GD_CUDA_CHECK(cudaEventSynchronize(stop_));
      float ms = 0.f;
      GD_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
      state.SetIterationTime(ms / 1e3);
      seconds_ += ms / 1e3;
    }
  }
  double seconds() const { return seconds_; }

 private:
  Context& ctx_;
  void* flush_ = nullptr;
  size_t flush_bytes_ = 0;
  cudaEvent_t start_{}, stop_{};
  double seconds_ = 0.0;
};

double measure_sgemm_peak(Context& ctx) {
  constexpr int n = 8192;
  DeviceFloats a(ctx, size_t{n} * n, 1), b(ctx, size_t{n} * n, 2), c(ctx, size_t{n} * n);
  const float one = 1.f, zero = 0.f;
  cudaEvent_t t0, t1;
  GD_CUDA_CHECK(cudaEventCreate(&t0));
  GD_CUDA_CHECK(cudaEventCreate(&t1));
  float best = 1e30f;
  for (int r = 0; r < 6; ++r) {  // the first is a warm-up
    GD_CUDA_CHECK(cudaEventRecord(t0, ctx.stream));
    GD_CUDA_CHECK(cublasSgemm(ctx.cublas, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a.get(), n, b.get(), n,
                              &zero, c.get(), n));
    GD_CUDA_CHECK(cudaEventRecord(t1, ctx.stream));
    GD_CUDA_CHECK(cudaEventSynchronize(t1));
    float ms = 0.f;
    GD_CUDA_CHECK(cudaEventElapsedTime(&ms, t0, t1));
    if (r > 0) best = std::min(best, ms);
  }
  cudaEventDestroy(t0);
  cudaEventDestroy(t1);
  const double flops = 2.0 * n * n * double(n) / (best / 1e3);
  benchmark::AddCustomContext("gd_gpu_sgemm_peak_tflops", std::to_string(flops / 1e12) + " (cuBLAS SGEMM 8192^3 FP32)");
  return flops;
}

double measure_copy_peak(Context& ctx) {
  constexpr size_t bytes = size_t{1} << 30;
  void *src = nullptr, *dst = nullptr;
  GD_CUDA_CHECK(cudaMalloc(&src, bytes));
  GD_CUDA_CHECK(cudaMalloc(&dst, bytes));
  cudaEvent_t t0, t1;
  GD_CUDA_CHECK(cudaEventCreate(&t0));
  GD_CUDA_CHECK(cudaEventCreate(&t1));
  float best = 1e30f;
  for (int r = 0; r < 6; ++r) {
    GD_CUDA_CHECK(cudaEventRecord(t0, ctx.stream));
    GD_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, ctx.stream));
    GD_CUDA_CHECK(cudaEventRecord(t1, ctx.stream));
    GD_CUDA_CHECK(cudaEventSynchronize(t1));
    float ms = 0.f;
    GD_CUDA_CHECK(cudaEventElapsedTime(&ms, t0, t1));
    if (r > 0) best = std::min(best, ms);
  }
  cudaEventDestroy(t0);
  cudaEventDestroy(t1);
  cudaFree(src);
  cudaFree(dst);
  const double rate = 2.0 * bytes / (best / 1e3);
  benchmark::AddCustomContext("gd_gpu_copy_peak_gbps", std::to_string(rate / 1e9) + " (1 GiB device-to-device copy, read+write)");
  return rate;
}

double gpu_flops_peak(Context& ctx) {
  static const double p = measure_sgemm_peak(ctx);
  return p;
}
double gpu_bytes_peak(Context& ctx) {
  static const double p = measure_copy_peak(ctx);
  return p;
}

void report(benchmark::State& state, const GpuTimer& t, double per_iter, double peak, const char* unit) {
  const double total = per_iter * static_cast<double>(state.iterations());
  state.counters[unit] = benchmark::Counter(total, benchmark::Counter::kIsRate);
  state.counters["of_peak"] = t.seconds() > 0 ? total / t.seconds() / peak : 0.0;
}

// Runs `body(ctx)` or marks the case as failed with the reason there is no device.
template <typename Body>
void with_device(benchmark::State& state, Body&& body) {
  std::string why;
  gd::CudaBackend* be = backend(&why);
  if (!be) {
    state.SkipWithError(("no usable CUDA device: " + why).c_str());
    return;
  }
  body(be->context());
}

// ---- GEMM-bound ------------------------------------------------------------------------------------
// args: n, k, m
void BM_CudaDenseForward(benchmark::State& state) {
  with_device(state, [&](Context& ctx) {
    const gd::DenseShape s{state.range(0), state.range(1), state.range(2)};
    DeviceFloats x(ctx, s.n * s.k, 1), w(ctx, s.m * s.k, 2), b(ctx, s.m, 3), y(ctx, s.n * s.m);
    GpuTimer t(ctx);
    t.run(state, [&] { gd::cuda::dense_forward(ctx, s, x.get(), w.get(), b.get(), y.get()); });
    report(state, t, 2.0 * s.n * s.k * s.m, gpu_flops_peak(ctx), "FLOP");
  });
}
void BM_CudaDenseBackward(benchmark::State& state) {
  with_device(state, [&](Context& ctx) {
    const gd::DenseShape s{state.range(0), state.range(1), state.range(2)};
    DeviceFloats x(ctx, s.n * s.k, 1), w(ctx, s.m * s.k, 2), dy(ctx, s.n * s.m, 3), dx(ctx, s.n * s.k), dw(ctx, s.m * s.k), db(ctx, s.m);
    GpuTimer t(ctx);
    t.run(state, [&] { gd::cuda::dense_backward(ctx, s, x.get(), w.get(), dy.get(), dx.get(), dw.get(), db.get()); });
    report(state, t, 4.0 * s.n * s.k * s.m, gpu_flops_peak(ctx), "FLOP");
  });
}
// mlp layers 1-2 and cnn's fc after the convolutions
BENCHMARK(BM_CudaDenseForward)->Args({128, 784, 512})->Args({128, 512, 256})->Args({128, 9216, 128})->UseManualTime();
BENCHMARK(BM_CudaDenseBackward)->Args({128, 784, 512})->Args({128, 512, 256})->Args({128, 9216, 128})->UseManualTime();

// args: n, c, h, w, f, k, stride, pad
gd::Conv2dShape conv_shape(const benchmark::State& st) {
  return {st.range(0), st.range(1), st.range(2), st.range(3), st.range(4),
          st.range(5), st.range(5), st.range(6), st.range(7)};
}
double conv_macs(const gd::Conv2dShape& s) { return double(s.n) * s.f * s.oh() * s.ow() * s.c * s.kh * s.kw; }

void BM_CudaConv2dForward(benchmark::State& state) {
  with_device(state, [&](Context& ctx) {
    const gd::Conv2dShape s = conv_shape(state);
    DeviceFloats x(ctx, s.n * s.c * s.h * s.w, 1), w(ctx, s.f * s.c * s.kh * s.kw, 2), b(ctx, s.f, 3), y(ctx, s.n * s.f * s.oh() * s.ow());
    DeviceFloats ws(ctx, gd::cuda::conv2d_workspace_bytes(ctx, s) / sizeof(float) + 1);
    const gd::Workspace scratch{ws.get(), ws.size() * sizeof(float)};
    GpuTimer t(ctx);
    t.run(state, [&] { gd::cuda::conv2d_forward(ctx, s, x.get(), w.get(), b.get(), y.get(), scratch); });
    report(state, t, 2.0 * conv_macs(s), gpu_flops_peak(ctx), "FLOP");
  });
}
void BM_CudaConv2dBackward(benchmark::State& state) {
  with_device(state, [&](Context& ctx) {
    const gd::Conv2dShape s = conv_shape(state);
    const bool with_dx = s.c > 1;  // the first layer (fed by the image) needs no dx
    DeviceFloats x(ctx, s.n * s.c * s.h * s.w, 1), w(ctx, s.f * s.c * s.kh * s.kw, 2), dy(ctx, s.n * s.f * s.oh() * s.ow(), 3);
    DeviceFloats dx(ctx, s.n * s.c * s.h * s.w), dw(ctx, s.f * s.c * s.kh * s.kw), db(ctx, s.f);
    DeviceFloats ws(ctx, gd::cuda::conv2d_workspace_bytes(ctx, s) / sizeof(float) + 1);
    const gd::Workspace scratch{ws.get(), ws.size() * sizeof(float)};
    GpuTimer t(ctx);
    t.run(state, [&] {
      gd::cuda::conv2d_backward(ctx, s, x.get(), w.get(), dy.get(), with_dx ? dx.get() : nullptr, dw.get(), db.get(),
                                scratch);
    });
    report(state, t, (with_dx ? 4.0 : 2.0) * conv_macs(s), gpu_flops_peak(ctx), "FLOP");
  });
}
BENCHMARK(BM_CudaConv2dForward)->Args({128, 1, 28, 28, 32, 3, 1, 0})->Args({128, 32, 26, 26, 64, 3, 1, 0})->UseManualTime();
BENCHMARK(BM_CudaConv2dBackward)->Args({128, 1, 28, 28, 32, 3, 1, 0})->Args({128, 32, 26, 26, 64, 3, 1, 0})->UseManualTime();

gd::Lc2dShape lc_shape(const benchmark::State& st) {
  return {st.range(0), st.range(1), st.range(2), st.range(3), st.range(4),
          st.range(5), st.range(5), st.range(6), st.range(7)};
}
double lc_macs(const gd::Lc2dShape& s) { return double(s.n) * s.f * s.oh() * s.ow() * s.c * s.kh * s.kw; }

void BM_CudaLc2dForward(benchmark::State& state) {
  with_device(state, [&](Context& ctx) {
    const gd::Lc2dShape s = lc_shape(state);
    const int64_t p = s.oh() * s.ow(), r = s.c * s.kh * s.kw;
    DeviceFloats x(ctx, s.n * s.c * s.h * s.w, 1), w(ctx, p * s.f * r, 2), b(ctx, s.f * p, 3), y(ctx, s.n * s.f * p);
    DeviceFloats ws(ctx, gd::cuda::lc2d_workspace_bytes(s) / sizeof(float) + 1);
    GpuTimer t(ctx);
    t.run(state, [&] { gd::cuda::lc2d_forward(ctx, s, x.get(), w.get(), b.get(), y.get(), ws.get()); });
    report(state, t, 2.0 * lc_macs(s), gpu_flops_peak(ctx), "FLOP");
  });
}
// range(8): 1 = compute dx too (backward-data + backward-weights), 0 = backward-weights only.
void BM_CudaLc2dBackward(benchmark::State& state) {
  with_device(state, [&](Context& ctx) {
    const gd::Lc2dShape s = lc_shape(state);
    const bool with_dx = state.range(8) != 0;
    const int64_t p = s.oh() * s.ow(), r = s.c * s.kh * s.kw;
    DeviceFloats x(ctx, s.n * s.c * s.h * s.w, 1), w(ctx, p * s.f * r, 2), dy(ctx, s.n * s.f * p, 3);
    DeviceFloats dx(ctx, s.n * s.c * s.h * s.w), dw(ctx, p * s.f * r), db(ctx, s.f * p);
    DeviceFloats ws(ctx, gd::cuda::lc2d_workspace_bytes(s) / sizeof(float) + 1);
    GpuTimer t(ctx);
    t.run(state, [&] {
      gd::cuda::lc2d_backward(ctx, s, x.get(), w.get(), dy.get(), with_dx ? dx.get() : nullptr, dw.get(), db.get(),
                              ws.get());
    });
    report(state, t, (with_dx ? 4.0 : 2.0) * lc_macs(s), gpu_flops_peak(ctx), "FLOP");
  });
}
// lcnn layer 1: 1x28x28 -> 16x14x14 (5x5, stride 2, pad 2); layer 2: 16x14x14 -> 32x7x7
BENCHMARK(BM_CudaLc2dForward)->Args({128, 1, 28, 28, 16, 5, 2, 2})->Args({128, 16, 14, 14, 32, 5, 2, 2})->UseManualTime();
BENCHMARK(BM_CudaLc2dBackward)
    ->Args({128, 1, 28, 28, 16, 5, 2, 2, 0})
    ->Args({128, 16, 14, 14, 32, 5, 2, 2, 0})
    ->Args({128, 16, 14, 14, 32, 5, 2, 2, 1})
    ->UseManualTime();

// ---- memory-bound ----------------------------------------------------------------------------------
constexpr int64_t kMapElems = int64_t{128} * 64 * 24 * 24;  // cnn conv2 output batch
constexpr int64_t kMlpParams = 535818;

void BM_CudaDropoutForward(benchmark::State& state) {
  with_device(state, [&](Context& ctx) {
    DeviceFloats x(ctx, kMapElems, 1), y(ctx, kMapElems);
    gd::DropoutParams d;
    d.p = 0.25f;
    d.seed = 7;
    GpuTimer t(ctx);
    t.run(state, [&] { gd::cuda::dropout_forward(ctx, d, kMapElems, x.get(), y.get()); });
    report(state, t, 2.0 * kMapElems * sizeof(float), gpu_bytes_peak(ctx), "bytes");
  });
}
void BM_CudaDropoutBackward(benchmark::State& state) {
  with_device(state, [&](Context& ctx) {
    DeviceFloats dy(ctx, kMapElems, 1), dx(ctx, kMapElems);
    gd::DropoutParams d;
    d.p = 0.25f;
    d.seed = 7;
    GpuTimer t(ctx);
    t.run(state, [&] { gd::cuda::dropout_backward(ctx, d, kMapElems, dy.get(), dx.get()); });
    report(state, t, 2.0 * kMapElems * sizeof(float), gpu_bytes_peak(ctx), "bytes");
  });
}
BENCHMARK(BM_CudaDropoutForward)->UseManualTime();
BENCHMARK(BM_CudaDropoutBackward)->UseManualTime();

// rows of 10 logits; fused forward + backward
void BM_CudaSoftmaxXent(benchmark::State& state) {
  with_device(state, [&](Context& ctx) {
    const int64_t n = state.range(0), c = 10;
    DeviceFloats logits(ctx, n * c, 1), dlogits(ctx, n * c), stats(ctx, 4);
    std::vector<int32_t> host_labels(n);
    for (int64_t i = 0; i < n; ++i) host_labels[i] = static_cast<int32_t>(i % c);
    int32_t* labels = nullptr;
    GD_CUDA_CHECK(cudaMalloc(&labels, n * sizeof(int32_t)));
    GD_CUDA_CHECK(cudaMemcpyAsync(labels, host_labels.data(), n * sizeof(int32_t), cudaMemcpyHostToDevice, ctx.stream));
    GD_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
    gd::SoftmaxXentShape s;
    s.n = n;
    s.c = c;
    double* loss_sum = reinterpret_cast<double*>(stats.get());
    int64_t* correct = reinterpret_cast<int64_t*>(stats.get()) + 1;
    GpuTimer t(ctx);
    t.run(state, [&] { gd::cuda::softmax_xent(ctx, s, logits.get(), labels, dlogits.get(), loss_sum, correct); });
    report(state, t, n * c * 8.0 + n * 4.0, gpu_bytes_peak(ctx), "bytes");
    cudaFree(labels);
  });
}
BENCHMARK(BM_CudaSoftmaxXent)->Arg(128)->Arg(8192)->UseManualTime();

void BM_CudaSgdNesterovUpdate(benchmark::State& state) {
  with_device(state, [&](Context& ctx) {
    DeviceFloats p(ctx, kMlpParams, 1), g(ctx, kMlpParams, 2), v(ctx, kMlpParams);
    gd::SgdParams sp;
    sp.lr = 0.01;
    sp.momentum = 0.9;
    sp.nesterov = true;
    sp.weight_decay = 1e-4;
    GpuTimer t(ctx);
    t.run(state, [&] { gd::cuda::sgd_update(ctx, sp, kMlpParams, p.get(), g.get(), v.get()); });
    report(state, t, 5.0 * kMlpParams * sizeof(float), gpu_bytes_peak(ctx), "bytes");
  });
}
void BM_CudaAdamUpdate(benchmark::State& state) {
  with_device(state, [&](Context& ctx) {
    DeviceFloats p(ctx, kMlpParams, 1), g(ctx, kMlpParams, 2), m(ctx, kMlpParams), v(ctx, kMlpParams);
    gd::AdamParams ap;
    ap.step = 10;
    GpuTimer t(ctx);
    t.run(state, [&] { gd::cuda::adam_update(ctx, ap, kMlpParams, p.get(), g.get(), m.get(), v.get()); });
    report(state, t, 7.0 * kMlpParams * sizeof(float), gpu_bytes_peak(ctx), "bytes");
  });
}
BENCHMARK(BM_CudaSgdNesterovUpdate)->UseManualTime();
BENCHMARK(BM_CudaAdamUpdate)->UseManualTime();

}  // namespace
