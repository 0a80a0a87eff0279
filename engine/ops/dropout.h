#pragma once
// Inverted dropout with a counter-based mask: element e of a step is kept iff
//   philox_uniform(seed, stream, step, e) >= p
// and kept elements are scaled by 1/(1-p). The mask is never stored: backward regenerates it from
// the same (seed, stream, step), so CPU and CUDA masks are identical by construction.
//   forward : x (n) -> y (n)
//   backward: dy (n) -> dx (n) = dy * mask / (1-p)   (OVERWRITES)
// p in [0, 1); p == 0 copies.
// `live` (backend memory, see engine/ops/live_step.h), when set, supplies the step instead of `step`.
#include <cstdint>

#include "engine/ops/live_step.h"

namespace gd {

struct DropoutParams {
  float p = 0.5f;
  uint64_t seed = 0;
  uint32_t stream = 0;  // one per dropout layer
  uint64_t step = 0;    // training step; a new mask each step
  const LiveStep* live = nullptr;  // when set, its step is used instead of `step`
};

bool dropout_keep(const DropoutParams& d, uint64_t element);

template <typename T>
void dropout_forward_ref(const DropoutParams& d, int64_t n, const T* x, T* y);
template <typename T>
void dropout_backward_ref(const DropoutParams& d, int64_t n, const T* dy, T* dx);

}  // namespace gd
