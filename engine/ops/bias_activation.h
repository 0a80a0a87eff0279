#pragma once
// Fused per-channel bias and activation: the epilogue of a dense, conv2d or locally connected layer
// followed by an activation, in one pass. Tensors are viewed as (outer, channels, inner) with the
// channel index in the middle, exactly as the bias kernels see them (kernels/bias.cuh):
//   dense  y (N,M):        outer = N, channels = M,     inner = 1
//   conv2d y (N,F,OH,OW):  outer = N, channels = F,     inner = OH*OW
//   lc2d   y (N,F,OH,OW):  outer = N, channels = F*P,   inner = 1   (bias (F,OH,OW), P = OH*OW)
//
//   forward : y[o][c][i] = act(y[o][c][i] + b[c])      IN PLACE (y is read and OVERWRITTEN).
//             b may be nullptr: activation only. The float add comes first and the activation
//             formula is that of activation_forward_ref, so the result is bit-identical to
//             `y += b` followed by activation_forward_ref.
//   backward: dpre[o][c][i] = dy * act'(from y)        OVERWRITES dpre; dpre may alias dy.
//             db[c] = sum over o, i of dpre[o][c][i]     OVERWRITES db; skipped when db == nullptr.
//             y is the activated output (the forward's result): act' is computed from it exactly
//             as activation_backward_ref does (relu: y > 0; tanh: 1 - y^2; sigmoid: y (1 - y);
//             elu: y > 0 ? 1 : y + 1), so dpre is bit-identical to activation_backward_ref's dx.
//             db is accumulated in double in a fixed order (independent of the thread count).
// Every extent must be >= 1 (ShapeError). GELU's derivative needs the pre-activation x, which the
// in-place forward overwrites, so GELU is never fused: these functions throw ConfigError for it,
// and callers ask activation_fusable first.
#include <cstdint>

#include "engine/ops/activation.h"

namespace gd {

// True for the activations whose derivative follows from the output alone (relu, tanh, sigmoid, elu).
bool activation_fusable(Activation a);

template <typename T>
void bias_activation_forward_ref(Activation a, int64_t outer, int64_t channels, int64_t inner,
                                 const T* b, T* y);
template <typename T>
void bias_activation_backward_ref(Activation a, int64_t outer, int64_t channels, int64_t inner,
                                  const T* y, const T* dy, T* dpre, T* db);

}  // namespace gd
