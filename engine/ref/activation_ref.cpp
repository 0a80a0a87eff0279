// CPU reference (and production CPU path) for element-wise activations.
// Backward uses y only for ReLU, Tanh, Sigmoid and ELU (so an in-place forward, y == x, still has a
// correct backward; x may then be nullptr) and x only for GELU (y may then be nullptr).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <string>

#include "engine/core/error.h"
#include "engine/ops/activation.h"

namespace gd {

namespace {

// Below this many elements the thread start-up costs more than the loop.
constexpr int64_t kParallelMin = int64_t{1} << 15;

// y[i] = f(x[i]) for i in [0, n).
template <typename T, typename F>
void map_unary(int64_t n, const T* x, T* y, F f) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

// out[i] = f(a[i], b[i]) for i in [0, n).
template <typename T, typename F>
void map_binary(int64_t n, const T* a, const T* b, T* out, F f) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
}

template <typename T>
T gelu(T x) {
  const T inv_sqrt2 = T(0.70710678118654752440);
  return T(0.5) * x * (T(1) + std::erf(x * inv_sqrt2));
}

// d/dx [x * Phi(x)] = Phi(x) + x * phi(x).
template <typename T>
T gelu_grad(T x) {
  const T inv_sqrt2 = T(0.70710678118654752440);
  const T inv_sqrt2pi = T(0.39894228040143267794);
  return T(0.5) * (T(1) + std::erf(x * inv_sqrt2)) + x * inv_sqrt2pi * std::exp(T(-0.5) * x * x);
}

}  // namespace

Activation parse_activation(const std::string& name) {
  std::string s = name;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (s == "relu") return Activation::ReLU;
  if (s == "tanh") return Activation::Tanh;
  if (s == "sigmoid") return Activation::Sigmoid;
  if (s == "elu") return Activation::ELU;
  if (s == "gelu") return Activation::GELU;
  throw ConfigError("unknown activation '" + name + "' (expected relu, tanh, sigmoid, elu or gelu)");
}

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::ReLU: return "relu";
    case Activation::Tanh: return "tanh";
    case Activation::Sigmoid: return "sigmoid";
    case Activation::ELU: return "elu";
    case Activation::GELU: return "gelu";
  }
  throw ConfigError("activation_name: invalid Activation value " + std::to_string(static_cast<int>(a)));
}

// x (n) -> y (n). y == x is allowed.
template <typename T>
void activation_forward_ref(Activation a, int64_t n, const T* x, T* y) {
  GD_CHECK_SHAPE(n >= 0, "activation " << activation_name(a) << ": negative element count " << n);
  switch (a) {
    case Activation::ReLU:
      return map_unary(n, x, y, [](T v) { return v < T(0) ? T(0) : v; });  // NaN passes through
    case Activation::Tanh:
      return map_unary(n, x, y, [](T v) { return std::tanh(v); });
    case Activation::Sigmoid:
      return map_unary(n, x, y, [](T v) { return T(1) / (T(1) + std::exp(-v)); });
    case Activation::ELU:
      return map_unary(n, x, y, [](T v) { return v > T(0) ? v : std::expm1(v); });
    case Activation::GELU:
      return map_unary(n, x, y, [](T v) { return gelu(v); });
  }
  throw ConfigError("activation forward: invalid Activation value " + std::to_string(static_cast<int>(a)));
}

// x (n), y (n), dy (n) -> dx (n) = dy * f'(x). OVERWRITES dx. dx may alias dy.
template <typename T>
void activation_backward_ref(Activation a, int64_t n, const T* x, const T* y, const T* dy, T* dx) {
  GD_CHECK_SHAPE(n >= 0, "activation " << activation_name(a) << " backward: negative element count " << n);
  switch (a) {
    case Activation::ReLU:  // y > 0 exactly when x > 0; ReLU'(0) = 0.
      return map_binary(n, y, dy, dx, [](T yv, T g) { return yv > T(0) ? g : T(0); });
    case Activation::Tanh:  // 1 - tanh^2
      return map_binary(n, y, dy, dx, [](T yv, T g) { return g * (T(1) - yv * yv); });
    case Activation::Sigmoid:  // s (1 - s)
      return map_binary(n, y, dy, dx, [](T yv, T g) { return g * yv * (T(1) - yv); });
    case Activation::ELU:  // x > 0: 1; x <= 0: exp(x) = y + 1
      return map_binary(n, y, dy, dx, [](T yv, T g) { return yv > T(0) ? g : g * (yv + T(1)); });
    case Activation::GELU:
      return map_binary(n, x, dy, dx, [](T xv, T g) { return g * gelu_grad(xv); });
  }
  throw ConfigError("activation backward: invalid Activation value " + std::to_string(static_cast<int>(a)));
}

#define GD_INSTANTIATE_ACTIVATION(T)                                                  \
  template void activation_forward_ref<T>(Activation, int64_t, const T*, T*);         \
  template void activation_backward_ref<T>(Activation, int64_t, const T*, const T*, const T*, T*);
GD_INSTANTIATE_ACTIVATION(float)
GD_INSTANTIATE_ACTIVATION(double)
#undef GD_INSTANTIATE_ACTIVATION

}  // namespace gd
