// Fused bias + activation on the GPU (contract: engine/ops/bias_activation.h; reference:
// engine/ref/bias_activation_ref.cpp). Tensors are (outer, channels, inner) as in kernels/bias.cuh.
//   forward : one element-wise kernel, y = act(y + b[c]) in place (the bias add and the activation
//             of kernels/bias.cu + kernels/activation.cu in one pass over y).
//   backward: ONE kernel that computes dpre = dy * act'(y), writes it, and sums it per channel in
//             double: the per-channel sum kernels of kernels/channel_sums.cuh, the same ones bias.cu's
//             channel_bias_grad runs, so deterministic, no atomics, and db is bit-identical to
//             channel_bias_grad of the same dpre. Without db it is one element-wise kernel.
// The activation formulas are those of kernels/activation.cu (same float expressions), so the fused
// results equal the unfused add_channel_bias + activation_forward and activation_backward +
// channel_bias_grad bit for bit; against the CPU reference they differ by the libdevice vs libm
// ulps (tanhf, expf, expm1f). Each activation is a template argument: no per-element switch.
#include <algorithm>
#include <cstdint>
#include <string>

#include "engine/core/error.h"
#include "kernels/channel_sums.cuh"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_ops.h"
#include "kernels/elementwise_grid.cuh"

namespace gd::cuda {
namespace {

using namespace ew;

// fwd(v): the activation; bwd(y, g): g * act' computed from the output y.
struct Relu {
  __device__ static float fwd(float v) { return v < 0.0f ? 0.0f : v; }  // NaN passes through
  __device__ static float bwd(float yv, float g) { return yv > 0.0f ? g : 0.0f; }
};
struct Tanh {
  __device__ static float fwd(float v) { return tanhf(v); }
  __device__ static float bwd(float yv, float g) { return g * (1.0f - yv * yv); }
};
struct Sigmoid {
  __device__ static float fwd(float v) { return 1.0f / (1.0f + expf(-v)); }
  __device__ static float bwd(float yv, float g) { return g * yv * (1.0f - yv); }
};
struct Elu {
  __device__ static float fwd(float v) { return v > 0.0f ? v : expm1f(v); }
  __device__ static float bwd(float yv, float g) { return yv > 0.0f ? g : g * (yv + 1.0f); }
};

// y (outer, channels, inner) = act(y + b[c]) in place; total = outer*channels*inner.
template <typename Op, bool kBias>
__global__ void bias_act_forward_kernel(int64_t total, int64_t channels, int64_t inner,
                                        const float* __restrict__ b, float* __restrict__ y) {
  for (int64_t e = grid_first(); e < total; e += grid_stride()) {
    float v = y[e];
    if (kBias) v += b[(e / inner) % channels];
    y[e] = Op::fwd(v);
  }
}

// dpre = dy * act'(y), no bias gradient. dpre may alias dy (no __restrict__ on either).
template <typename Op>
__global__ void act_backward_kernel(int64_t total, const float* __restrict__ y, const float* dy,
                                    float* dpre) {
  for (int64_t e = grid_first(); e < total; e += grid_stride()) dpre[e] = Op::bwd(y[e], dy[e]);
}

// The fused backward's term: g * act'(y), written to dpre while it is summed into db.
template <typename Op>
struct ActGradTerm {
  __device__ static float at(const float* y, const float* dy, int64_t e) { return Op::bwd(y[e], dy[e]); }
};

template <typename Op>
void launch_forward(cudaStream_t stream, int64_t outer, int64_t channels, int64_t inner,
                    const float* b, float* y) {
  const int64_t total = outer * channels * inner;
  if (b) {
    bias_act_forward_kernel<Op, true><<<grid_blocks(total), kBlock, 0, stream>>>(total, channels, inner, b, y);
  } else {
    bias_act_forward_kernel<Op, false><<<grid_blocks(total), kBlock, 0, stream>>>(total, channels, inner, b, y);
  }
  GD_CUDA_LAUNCH("bias_act_forward_kernel");
}

template <typename Op>
void launch_backward(cudaStream_t stream, int64_t outer, int64_t channels, int64_t inner,
                     const float* y, const float* dy, float* dpre, float* db) {
  if (!db) {
    const int64_t total = outer * channels * inner;
    act_backward_kernel<Op><<<grid_blocks(total), kBlock, 0, stream>>>(total, y, dy, dpre);
    GD_CUDA_LAUNCH("act_backward_kernel");
  } else {
    detail::launch_channel_sums<ActGradTerm<Op>, true>(stream, outer, channels, inner, y, dy, dpre, db);
  }
}

void check_args(Activation a, int64_t outer, int64_t channels, int64_t inner, const char* what) {
  const int v = static_cast<int>(a);
  GD_CHECK_T(v >= static_cast<int>(Activation::ReLU) && v <= static_cast<int>(Activation::GELU), ConfigError,
             what << ": invalid Activation value " << v);
  GD_CHECK_T(activation_fusable(a), ConfigError,
             what << ": " << activation_name(a)
                  << " cannot be fused (its derivative needs the pre-activation input, which the "
                     "in-place forward overwrites)");
  GD_CHECK_SHAPE(outer >= 1 && channels >= 1 && inner >= 1,
                 what << ": extents must be >= 1, got outer=" << outer << " channels=" << channels
                      << " inner=" << inner);
}

}  // namespace

// y (outer, channels, inner), b (channels) or nullptr -> y = act(y + b), in place.
void bias_activation_forward(Context& ctx, Activation a, int64_t outer, int64_t channels, int64_t inner,
                             const float* b, float* y) {
  const char* what = "bias_activation_forward (cuda)";
  check_args(a, outer, channels, inner, what);
  GD_CHECK(y != nullptr, what << ": null y");
  switch (a) {
    case Activation::ReLU: return launch_forward<Relu>(ctx.stream, outer, channels, inner, b, y);
    case Activation::Tanh: return launch_forward<Tanh>(ctx.stream, outer, channels, inner, b, y);
    case Activation::Sigmoid: return launch_forward<Sigmoid>(ctx.stream, outer, channels, inner, b, y);
    case Activation::ELU: return launch_forward<Elu>(ctx.stream, outer, channels, inner, b, y);
    case Activation::GELU: break;  // rejected by check_args
  }
}

// y, dy (outer, channels, inner) -> dpre OVERWRITTEN (may alias dy), db (channels) OVERWRITTEN
// unless nullptr.
void bias_activation_backward(Context& ctx, Activation a, int64_t outer, int64_t channels, int64_t inner,
                              const float* y, const float* dy, float* dpre, float* db) {
  const char* what = "bias_activation_backward (cuda)";
  check_args(a, outer, channels, inner, what);
  GD_CHECK(y && dy && dpre, what << ": null y, dy or dpre");
  switch (a) {
    case Activation::ReLU: return launch_backward<Relu>(ctx.stream, outer, channels, inner, y, dy, dpre, db);
    case Activation::Tanh: return launch_backward<Tanh>(ctx.stream, outer, channels, inner, y, dy, dpre, db);
    case Activation::Sigmoid:
      return launch_backward<Sigmoid>(ctx.stream, outer, channels, inner, y, dy, dpre, db);
    case Activation::ELU: return launch_backward<Elu>(ctx.stream, outer, channels, inner, y, dy, dpre, db);
    case Activation::GELU: break;  // rejected by check_args
  }
}

}  // namespace gd::cuda
