// CPU reference (and production CPU path) for the fused bias + activation epilogue
// (engine/ops/bias_activation.h). The forward is one in-place pass; the backward writes dpre and, in
// the same pass, sums it per channel in double. Every db entry is summed in a fixed order that does
// not depend on the thread count: for inner == 1 a block of columns runs down the rows in order
// (one OpenMP iteration per block); for inner > 1 one channel per iteration, its (outer) runs of
// `inner` values in order, each run summed with a SIMD reduction whose order the compiler fixes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "engine/core/error.h"
#include "engine/ops/bias_activation.h"

namespace gd {

namespace {

// Below this many elements the thread start-up costs more than the loop (as activation_ref.cpp).
constexpr int64_t kParallelMin = int64_t{1} << 15;
// inner == 1 backward: columns per block (one row segment is 256 bytes of floats); the block's
// double accumulators live on the stack.
constexpr int64_t kCols = 64;

// The formulas of engine/ref/activation_ref.cpp, written as the same expressions in the same order
// so that both compile to the same operations (tests/bias_activation_test.cpp checks the results
// bit for bit). bwd takes the activated output y and the incoming gradient g.
template <typename T>
struct Relu {
  static T fwd(T v) { return v < T(0) ? T(0) : v; }  // NaN passes through
  static T bwd(T yv, T g) { return yv > T(0) ? g : T(0); }
};
template <typename T>
struct Tanh {
  static T fwd(T v) { return std::tanh(v); }
  static T bwd(T yv, T g) { return g * (T(1) - yv * yv); }
};
template <typename T>
struct Sigmoid {
  static T fwd(T v) { return T(1) / (T(1) + std::exp(-v)); }
  static T bwd(T yv, T g) { return g * yv * (T(1) - yv); }
};
template <typename T>
struct Elu {
  static T fwd(T v) { return v > T(0) ? v : std::expm1(v); }
  static T bwd(T yv, T g) { return yv > T(0) ? g : g * (yv + T(1)); }
};

// Calls f(Op{}) with the formulas of a; ConfigError for GELU and invalid values.
template <typename T, typename F>
void with_activation(Activation a, const char* what, F&& f) {
  switch (a) {
    case Activation::ReLU: return f(Relu<T>{});
    case Activation::Tanh: return f(Tanh<T>{});
    case Activation::Sigmoid: return f(Sigmoid<T>{});
    case Activation::ELU: return f(Elu<T>{});
    case Activation::GELU:
      throw ConfigError(std::string(what) +
                        ": gelu cannot be fused (its derivative needs the pre-activation input, "
                        "which the in-place forward overwrites)");
  }
  throw ConfigError(std::string(what) + ": invalid Activation value " +
                    std::to_string(static_cast<int>(a)));
}

void check_extents(int64_t outer, int64_t channels, int64_t inner, const char* what) {
  GD_CHECK_SHAPE(outer >= 1 && channels >= 1 && inner >= 1,
                 what << ": extents must be >= 1, got outer=" << outer << " channels=" << channels
                      << " inner=" << inner);
}

// y (outer, channels, inner) = act(y + b[c]) in place; b may be null.
template <typename Op, typename T>
void forward_pass(int64_t outer, int64_t channels, int64_t inner, const T* b, T* y) {
  const int64_t total = outer * channels * inner;
  const bool par = total >= kParallelMin;
  if (!b) {
#pragma omp parallel for simd schedule(static) if (par)
    for (int64_t e = 0; e < total; ++e) y[e] = Op::fwd(y[e]);
  } else if (inner == 1) {
#pragma omp parallel for schedule(static) if (par)
    for (int64_t o = 0; o < outer; ++o) {
      T* row = y + o * channels;
#pragma omp simd
      for (int64_t c = 0; c < channels; ++c) row[c] = Op::fwd(row[c] + b[c]);
    }
  } else {
#pragma omp parallel for schedule(static) if (par)
    for (int64_t oc = 0; oc < outer * channels; ++oc) {
      T* run = y + oc * inner;
      const T bc = b[oc % channels];
#pragma omp simd
      for (int64_t i = 0; i < inner; ++i) run[i] = Op::fwd(run[i] + bc);
    }
  }
}

// dpre[i] = dy[i] * act'(y[i]) for i in [0, n) (dpre may alias dy). Kept apart from the sums that
// read it back (from L1): fused into one loop, GCC turns `acc += (y > 0 ? g : 0)` into a branch
// around the add and the loop stops vectorising (5x slower on random signs).
template <typename Op, typename T>
void write_dpre(int64_t n, const T* y, const T* dy, T* dpre) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) dpre[i] = Op::bwd(y[i], dy[i]);
}

// dpre = dy * act'(y) (dpre may alias dy); db[c] = sum of dpre over o, i in double, unless null.
template <typename Op, typename T>
void backward_pass(int64_t outer, int64_t channels, int64_t inner, const T* y, const T* dy, T* dpre,
                   T* db) {
  const int64_t total = outer * channels * inner;
  const bool par = total >= kParallelMin;
  if (!db) {
#pragma omp parallel for simd schedule(static) if (par)
    for (int64_t e = 0; e < total; ++e) dpre[e] = Op::bwd(y[e], dy[e]);
  } else if (inner == 1) {
    const int64_t blocks = (channels + kCols - 1) / kCols;
#pragma omp parallel for schedule(static) if (par)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t c0 = blk * kCols, nc = std::min(kCols, channels - c0);
      double acc[kCols] = {};
      for (int64_t o = 0; o < outer; ++o) {
        const int64_t base = o * channels + c0;
        T* d = dpre + base;
        write_dpre<Op>(nc, y + base, dy + base, d);
#pragma omp simd
        for (int64_t j = 0; j < nc; ++j) acc[j] += d[j];
      }
      for (int64_t j = 0; j < nc; ++j) db[c0 + j] = static_cast<T>(acc[j]);
    }
  } else {
#pragma omp parallel for schedule(static) if (par)
    for (int64_t c = 0; c < channels; ++c) {
      double acc = 0.0;
      for (int64_t o = 0; o < outer; ++o) {
        const int64_t base = (o * channels + c) * inner;
        T* d = dpre + base;
        write_dpre<Op>(inner, y + base, dy + base, d);
        double part = 0.0;
#pragma omp simd reduction(+ : part)
        for (int64_t i = 0; i < inner; ++i) part += d[i];
        acc += part;
      }
      db[c] = static_cast<T>(acc);
    }
  }
}

}  // namespace

bool activation_fusable(Activation a) {
  switch (a) {
    case Activation::ReLU:
    case Activation::Tanh:
    case Activation::Sigmoid:
    case Activation::ELU: return true;
    case Activation::GELU: return false;
  }
  return false;
}

// y (outer, channels, inner), b (channels) or nullptr -> y = act(y + b), in place.
template <typename T>
void bias_activation_forward_ref(Activation a, int64_t outer, int64_t channels, int64_t inner,
                                 const T* b, T* y) {
  const char* what = "bias_activation_forward_ref";
  check_extents(outer, channels, inner, what);
  GD_CHECK(y != nullptr, what << ": null y");
  with_activation<T>(a, what, [&](auto op) {
    forward_pass<decltype(op)>(outer, channels, inner, b, y);
  });
}

// y, dy (outer, channels, inner) -> dpre (outer, channels, inner) OVERWRITTEN (may alias dy),
//                                   db (channels) OVERWRITTEN unless null.
template <typename T>
void bias_activation_backward_ref(Activation a, int64_t outer, int64_t channels, int64_t inner,
                                  const T* y, const T* dy, T* dpre, T* db) {
  const char* what = "bias_activation_backward_ref";
  check_extents(outer, channels, inner, what);
  GD_CHECK(y && dy && dpre, what << ": null y, dy or dpre");
  with_activation<T>(a, what, [&](auto op) {
    backward_pass<decltype(op)>(outer, channels, inner, y, dy, dpre, db);
  });
}

#define GD_INSTANTIATE_BIAS_ACTIVATION(T)                                                           \
  template void bias_activation_forward_ref<T>(Activation, int64_t, int64_t, int64_t, const T*, T*); \
  template void bias_activation_backward_ref<T>(Activation, int64_t, int64_t, int64_t, const T*,    \
                                                const T*, T*, T*);
GD_INSTANTIATE_BIAS_ACTIVATION(float)
GD_INSTANTIATE_BIAS_ACTIVATION(double)
#undef GD_INSTANTIATE_BIAS_ACTIVATION

}  // namespace gd
