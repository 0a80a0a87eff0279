// CPU references for the fused optimiser updates of engine/ops/optim_update.h (torch.optim
// semantics). Every element is independent: one OpenMP parallel-for + simd loop over n.
//
// Precision: each element is widened to double, updated in double, and rounded back to T once per
// stored value, for both instantiations. The update is memory-bound (SGD touches 3-4 floats, Adam 7
// per element), so the double arithmetic costs nothing measurable, and it makes the float path
// differ from the double path only by the final rounding of each stored value.
// Per-call scalars (bias corrections, 1 - alpha, ...) are computed once, in double, outside the loop.
// Note: the Adam and RMSprop loops vectorise only when compiled with -fno-math-errno; otherwise GCC
// keeps a branch after each sqrt to set errno and runs them scalar (~3.7x slower, measured with GCC 12).
#include <cmath>
#include <cstdint>

#include "engine/core/error.h"
#include "engine/ops/optim_update.h"

namespace gd {
namespace {

// Below this many elements the update runs on the calling thread: waking the OpenMP team costs more
// than the whole loop.
constexpr int64_t kParallelMin = 1 << 15;

void check_common(const char* op, int64_t n, const void* param, const void* grad, double weight_decay) {
  GD_CHECK(n >= 0, op << ": n must be >= 0, got " << n);
  GD_CHECK(n == 0 || (param != nullptr && grad != nullptr),
           op << ": param and grad must be non-null for n = " << n);
  GD_CHECK(std::isfinite(weight_decay) && weight_decay >= 0.0,
           op << ": weight_decay must be finite and >= 0, got " << weight_decay);
}

void check_lr(const char* op, double lr) {
  GD_CHECK(std::isfinite(lr) && lr >= 0.0, op << ": lr must be finite and >= 0, got " << lr);
}

void check_live(const char* op, const LiveUpdate& l) {
  GD_CHECK(l.live == nullptr || l.table != nullptr, op << ": a live step needs its table of update scalars");
}

}  // namespace

UpdateStepScalars sgd_step_scalars(const SgdParams& p) {
  check_lr("sgd_update", p.lr);
  UpdateStepScalars k;
  k.lr = p.lr;
  return k;
}

UpdateStepScalars rmsprop_step_scalars(const RmspropParams& p) {
  check_lr("rmsprop_update", p.lr);
  UpdateStepScalars k;
  k.lr = p.lr;
  return k;
}

// param -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps), PyTorch's grouping of the same formula.
// Coupled (Adam) decay adds wd*param to the gradient; decoupled (AdamW) shrinks param first.
UpdateStepScalars adam_step_scalars(const AdamParams& p) {
  check_lr(p.decoupled ? "adamw_update" : "adam_update", p.lr);
  GD_CHECK(p.step >= 1, "adam_update: step is 1-based, got " << p.step);
  const double t = static_cast<double>(p.step);
  UpdateStepScalars k;
  k.lr = p.lr;
  k.adam_step_size = p.lr / (1.0 - std::pow(p.beta1, t));
  k.adam_inv_sqrt_bc2 = 1.0 / std::sqrt(1.0 - std::pow(p.beta2, t));
  k.adamw_shrink = p.decoupled ? 1.0 - p.lr * p.weight_decay : 1.0;
  return k;
}

// param (n), grad (n), velocity (n, or nullptr when momentum == 0). OVERWRITES param, velocity.
template <typename T>
void sgd_update_ref(const SgdParams& p, int64_t n, T* param, const T* grad, T* velocity) {
  check_common("sgd_update", n, param, grad, p.weight_decay);
  check_live("sgd_update", p.live);
  GD_CHECK(p.momentum >= 0.0 && p.momentum < 1.0,
           "sgd_update: momentum must be in [0, 1), got " << p.momentum);
  GD_CHECK(!p.nesterov || p.momentum > 0.0, "sgd_update: nesterov requires momentum > 0");
  GD_CHECK(p.momentum == 0.0 || n == 0 || velocity != nullptr,
           "sgd_update: momentum = " << p.momentum << " needs a velocity buffer of " << n
                                     << " elements, got nullptr");
  const double lr = resolve_update(p.live, p.live.live ? UpdateStepScalars{} : sgd_step_scalars(p)).lr;
  const double wd = p.weight_decay, mu = p.momentum;
  if (mu == 0.0) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) {
      const double w = static_cast<double>(param[i]);
      const double g = static_cast<double>(grad[i]) + wd * w;
      param[i] = static_cast<T>(w - lr * g);
    }
    return;
  }
  const bool nesterov = p.nesterov;
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const double w = static_cast<double>(param[i]);
    const double g = static_cast<double>(grad[i]) + wd * w;
    const double v = mu * static_cast<double>(velocity[i]) + g;
    const double d = nesterov ? g + mu * v : v;
    velocity[i] = static_cast<T>(v);
    param[i] = static_cast<T>(w - lr * d);
  }
}

// param (n), grad (n), m (n), v (n). OVERWRITES param, m, v.
template <typename T>
void adam_update_ref(const AdamParams& p, int64_t n, T* param, const T* grad, T* m, T* v) {
  const char* op = p.decoupled ? "adamw_update" : "adam_update";
  check_common(op, n, param, grad, p.weight_decay);
  check_live(op, p.live);
  GD_CHECK(p.beta1 >= 0.0 && p.beta1 < 1.0, "adam_update: beta1 must be in [0, 1), got " << p.beta1);
  GD_CHECK(p.beta2 >= 0.0 && p.beta2 < 1.0, "adam_update: beta2 must be in [0, 1), got " << p.beta2);
  GD_CHECK(p.eps > 0.0, "adam_update: eps must be > 0, got " << p.eps);
  GD_CHECK(n == 0 || (m != nullptr && v != nullptr), "adam_update: m and v must be non-null");
  const UpdateStepScalars k = resolve_update(p.live, p.live.live ? UpdateStepScalars{} : adam_step_scalars(p));
  const double b1 = p.beta1, b2 = p.beta2, eps = p.eps;
  const double step_size = k.adam_step_size, inv_sqrt_bc2 = k.adam_inv_sqrt_bc2, shrink = k.adamw_shrink;
  const double wd_grad = p.decoupled ? 0.0 : p.weight_decay;
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const double w0 = static_cast<double>(param[i]);
    const double g = static_cast<double>(grad[i]) + wd_grad * w0;
    const double w = w0 * shrink;
    const double mi = b1 * static_cast<double>(m[i]) + (1.0 - b1) * g;
    const double vi = b2 * static_cast<double>(v[i]) + (1.0 - b2) * g * g;
    m[i] = static_cast<T>(mi);
    v[i] = static_cast<T>(vi);
    param[i] = static_cast<T>(w - step_size * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps));
  }
}

// param (n), grad (n), square_avg (n), momentum_buf (n, or nullptr when momentum == 0).
// OVERWRITES param, square_avg, momentum_buf.
template <typename T>
void rmsprop_update_ref(const RmspropParams& p, int64_t n, T* param, const T* grad, T* square_avg,
                        T* momentum_buf) {
  check_common("rmsprop_update", n, param, grad, p.weight_decay);
  check_live("rmsprop_update", p.live);
  GD_CHECK(p.alpha >= 0.0 && p.alpha < 1.0, "rmsprop_update: alpha must be in [0, 1), got " << p.alpha);
  GD_CHECK(p.eps > 0.0, "rmsprop_update: eps must be > 0, got " << p.eps);
  GD_CHECK(p.momentum >= 0.0 && p.momentum < 1.0,
           "rmsprop_update: momentum must be in [0, 1), got " << p.momentum);
  GD_CHECK(n == 0 || square_avg != nullptr, "rmsprop_update: square_avg must be non-null");
  GD_CHECK(p.momentum == 0.0 || n == 0 || momentum_buf != nullptr,
           "rmsprop_update: momentum = " << p.momentum << " needs a momentum buffer of " << n
                                         << " elements, got nullptr");
  const double lr = resolve_update(p.live, p.live.live ? UpdateStepScalars{} : rmsprop_step_scalars(p)).lr;
  const double wd = p.weight_decay, a = p.alpha, eps = p.eps, mu = p.momentum;
  if (mu == 0.0) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) {
      const double w = static_cast<double>(param[i]);
      const double g = static_cast<double>(grad[i]) + wd * w;
      const double sq = a * static_cast<double>(square_avg[i]) + (1.0 - a) * g * g;
      square_avg[i] = static_cast<T>(sq);
      param[i] = static_cast<T>(w - lr * g / (std::sqrt(sq) + eps));
    }
    return;
  }
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const double w = static_cast<double>(param[i]);
    const double g = static_cast<double>(grad[i]) + wd * w;
    const double sq = a * static_cast<double>(square_avg[i]) + (1.0 - a) * g * g;
    const double buf = mu * static_cast<double>(momentum_buf[i]) + g / (std::sqrt(sq) + eps);
    square_avg[i] = static_cast<T>(sq);
    momentum_buf[i] = static_cast<T>(buf);
    param[i] = static_cast<T>(w - lr * buf);
  }
}

template void sgd_update_ref<float>(const SgdParams&, int64_t, float*, const float*, float*);
template void sgd_update_ref<double>(const SgdParams&, int64_t, double*, const double*, double*);
template void adam_update_ref<float>(const AdamParams&, int64_t, float*, const float*, float*, float*);
template void adam_update_ref<double>(const AdamParams&, int64_t, double*, const double*, double*,
                                      double*);
template void rmsprop_update_ref<float>(const RmspropParams&, int64_t, float*, const float*, float*,
                                        float*);
template void rmsprop_update_ref<double>(const RmspropParams&, int64_t, double*, const double*,
                                         double*, double*);

}  // namespace gd
