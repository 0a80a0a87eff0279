// CUDA element-wise activations (contract: engine/ops/activation.h; reference:
// engine/ref/activation_ref.cpp). Same formulas as the reference in float; tanhf/expf/expm1f/erff
// are the CUDA libdevice versions, within a few ulp of the host libm, so tests compare with a
// tolerance (ReLU is exact).
#include <cstdint>
#include <string>

#include "engine/core/error.h"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_ops.h"
#include "kernels/elementwise_grid.cuh"

namespace gd::cuda {
namespace {
using namespace ew;

constexpr float kInvSqrt2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;

__device__ inline float act_forward(Activation a, float v) {
  switch (a) {
    case Activation::ReLU: return v < 0.0f ? 0.0f : v;  // NaN passes through, as in the reference
    case Activation::Tanh: return tanhf(v);
    case Activation::Sigmoid: return 1.0f / (1.0f + expf(-v));
    case Activation::ELU: return v > 0.0f ? v : expm1f(v);
    case Activation::GELU: return 0.5f * v * (1.0f + erff(v * kInvSqrt2));
  }
  return v;  // unreachable: the launcher rejects other values
}

// dx given the saved value: y for ReLU/Tanh/Sigmoid/ELU, x for GELU (as the reference).
__device__ inline float act_backward(Activation a, float saved, float g) {
  switch (a) {
    case Activation::ReLU: return saved > 0.0f ? g : 0.0f;
    case Activation::Tanh: return g * (1.0f - saved * saved);
    case Activation::Sigmoid: return g * saved * (1.0f - saved);
    case Activation::ELU: return saved > 0.0f ? g : g * (saved + 1.0f);
    case Activation::GELU:
      return g * (0.5f * (1.0f + erff(saved * kInvSqrt2)) +
                  saved * kInvSqrt2Pi * expf(-0.5f * saved * saved));
  }
  return g;
}

// x (n) -> y (n). y may alias x (no __restrict__).
__global__ void activation_forward_kernel(Activation a, int64_t n, const float* x /* (n) */,
                                          float* y /* (n) */) {
  for (int64_t i = grid_first(); i < n; i += grid_stride()) y[i] = act_forward(a, x[i]);
}

// saved (n) = y or x, dy (n) -> dx (n) OVERWRITTEN. dx may alias dy.
__global__ void activation_backward_kernel(Activation a, int64_t n, const float* saved /* (n) */,
                                           const float* dy /* (n) */, float* dx /* (n) */) {
  for (int64_t i = grid_first(); i < n; i += grid_stride()) dx[i] = act_backward(a, saved[i], dy[i]);
}

void check_activation(Activation a, int64_t n, const char* what) {
  const int v = static_cast<int>(a);
  GD_CHECK_T(v >= static_cast<int>(Activation::ReLU) && v <= static_cast<int>(Activation::GELU), ConfigError,
             what << ": invalid Activation value " << v);
  GD_CHECK_SHAPE(n >= 0, what << " " << activation_name(a) << ": negative element count " << n);
}

}  // namespace

void activation_forward(Context& ctx, Activation a, int64_t n, const float* x, float* y) {
  check_activation(a, n, "activation forward (cuda)");
  if (n == 0) return;
  GD_CHECK(x != nullptr && y != nullptr, "activation forward (cuda): null buffer for n = " << n);
  activation_forward_kernel<<<grid_blocks(n), kBlock, 0, ctx.stream>>>(a, n, x, y);
  GD_CUDA_LAUNCH("activation_forward_kernel");
}

void activation_backward(Context& ctx, Activation a, int64_t n, const float* x, const float* y,
                         const float* dy, float* dx) {
  check_activation(a, n, "activation backward (cuda)");
  if (n == 0) return;
  const float* saved = a == Activation::GELU ? x : y;
  GD_CHECK(saved != nullptr && dy != nullptr && dx != nullptr,
           "activation backward (cuda) " << activation_name(a) << ": null buffer for n = " << n
                                         << " (needs " << (a == Activation::GELU ? "x" : "y") << ", dy, dx)");
  activation_backward_kernel<<<grid_blocks(n), kBlock, 0, ctx.stream>>>(a, n, saved, dy, dx);
  GD_CUDA_LAUNCH("activation_backward_kernel");
}

}  // namespace gd::cuda
