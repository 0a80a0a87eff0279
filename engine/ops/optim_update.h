#pragma once
// Fused parameter updates over one flat array of n parameters (all layers' parameters live in one
// contiguous buffer, so one call — one kernel launch on CUDA — updates the whole model).
// Semantics follow PyTorch's torch.optim exactly, so results can be compared step by step.
//   SGD     : g = grad + wd*param; v = momentum*v + g; g = nesterov ? g + momentum*v : v;
//             param -= lr*g.   (momentum == 0: v unused, may be nullptr)
//   Adam    : g = grad + wd*param (L2, coupled); m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
//             param -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)
//   AdamW   : as Adam with g = grad, and param *= (1 - lr*wd) first (decoupled decay).
//   RMSprop : g = grad + wd*param; sq = alpha*sq + (1-alpha)*g^2; d = g/(sqrt(sq)+eps);
//             momentum > 0: buf = momentum*buf + d; param -= lr*buf; else param -= lr*d.
// Every update OVERWRITES param and its state buffers in place; grad is read only.
//
// Live mode (engine/ops/live_step.h): with `live.live` set, the per-step numbers (lr, and for Adam
// the bias corrections of step t) come from live.table[live.live->batch] (backend memory, one row
// per batch of the epoch, filled by the host with the functions below) instead of the struct's `lr`
// and `step`, so a recorded step replays with the current values. Both modes give the same bits.
#include <cstdint>

#include "engine/ops/live_step.h"

namespace gd {

// The numbers of one update that change from step to step, computed on the host in double.
struct UpdateStepScalars {
  double lr = 0.0;
  double adam_step_size = 0.0;     // lr / (1 - beta1^t)
  double adam_inv_sqrt_bc2 = 1.0;  // 1 / sqrt(1 - beta2^t)
  double adamw_shrink = 1.0;       // 1 - lr * weight_decay for AdamW, 1 otherwise
};

struct LiveUpdate {
  const UpdateStepScalars* table = nullptr;  // (batches of the epoch), backend memory
  const LiveStep* live = nullptr;            // backend memory; null = use the host values
};

struct SgdParams {
  double lr = 0.01, momentum = 0.0, weight_decay = 0.0;
  bool nesterov = false;
  LiveUpdate live;
};
struct AdamParams {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  bool decoupled = false;  // true = AdamW
  int64_t step = 1;        // 1-based step count used for bias correction
  LiveUpdate live;
};
struct RmspropParams {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0.0, momentum = 0.0;
  LiveUpdate live;
};

// The per-step scalars of an update with these parameters (lr and, for Adam, p.step), with the
// expressions every backend uses. Throws gd::Error for a non-finite or negative lr or step < 1.
UpdateStepScalars sgd_step_scalars(const SgdParams& p);
UpdateStepScalars adam_step_scalars(const AdamParams& p);
UpdateStepScalars rmsprop_step_scalars(const RmspropParams& p);

// The row an op uses: the live table's row for the current batch, or `host` (from the functions
// above). Dereferences backend memory, so it runs where the op runs.
GD_HOST_DEVICE inline UpdateStepScalars resolve_update(const LiveUpdate& l, const UpdateStepScalars& host) {
  return l.live != nullptr ? l.table[l.live->batch] : host;
}

template <typename T>
void sgd_update_ref(const SgdParams& p, int64_t n, T* param, const T* grad, T* velocity);
template <typename T>
void adam_update_ref(const AdamParams& p, int64_t n, T* param, const T* grad, T* m, T* v);
template <typename T>
void rmsprop_update_ref(const RmspropParams& p, int64_t n, T* param, const T* grad, T* square_avg,
                        T* momentum_buf);

}  // namespace gd
