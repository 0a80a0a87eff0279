// CUDA fused optimiser updates over the flat parameter array (contract: engine/ops/optim_update.h;
// reference: engine/ref/optim_update_ref.cpp). One launch per update, a 64-bit grid-stride loop over
// the n parameters. As in the reference, each element is widened to double, updated in double and
// rounded back to float once per stored value, and the per-step scalars (bias corrections, ...) are
// computed once in double on the host by the same functions (adam_step_scalars, ...; in live mode
// read from the table the host filled with them), so the float results agree with
// the reference to the last bit except where the two compilers contract a*b+c into an FMA
// differently (a difference of one double ulp before the final rounding, which changes the float
// result only in rare ties).
// The argument checks repeat the reference's, so both backends reject the same calls.
#include <cmath>
#include <cstdint>

#include "engine/core/error.h"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_ops.h"
#include "kernels/elementwise_grid.cuh"

namespace gd::cuda {
namespace {
using namespace ew;

void check_common(const char* op, int64_t n, const void* param, const void* grad, double weight_decay,
                  const LiveUpdate& live) {
  GD_CHECK(n >= 0, op << " (cuda): n must be >= 0, got " << n);
  GD_CHECK(n == 0 || (param != nullptr && grad != nullptr),
           op << " (cuda): param and grad must be non-null for n = " << n);
  GD_CHECK(std::isfinite(weight_decay) && weight_decay >= 0.0,
           op << " (cuda): weight_decay must be finite and >= 0, got " << weight_decay);
  GD_CHECK(live.live == nullptr || live.table != nullptr,
           op << " (cuda): a live step needs its table of update scalars");
}

// param (n), grad (n), velocity (n; unused and may be null when momentum == 0). OVERWRITES param,
// velocity.
// The step's scalars: `host`, or the live table's row for the current batch (read once per thread).
__global__ void sgd_kernel(UpdateStepScalars host, LiveUpdate live, double wd, double mu, bool nesterov, int64_t n,
                           float* param /* (n) */, const float* grad /* (n) */, float* velocity /* (n) or null */) {
  const double lr = resolve_update(live, host).lr;
  for (int64_t i = grid_first(); i < n; i += grid_stride()) {
    const double w = static_cast<double>(param[i]);
    const double g = static_cast<double>(grad[i]) + wd * w;
    if (mu == 0.0) {
      param[i] = static_cast<float>(w - lr * g);
    } else {
      const double v = mu * static_cast<double>(velocity[i]) + g;
      const double d = nesterov ? g + mu * v : v;
      velocity[i] = static_cast<float>(v);
      param[i] = static_cast<float>(w - lr * d);
    }
  }
}

struct AdamConstants {
  double b1, b2, eps;
  double wd_grad;  // coupled (Adam) decay added to the gradient, 0 for AdamW
};

// param (n), grad (n), m (n), v (n). OVERWRITES param, m, v.
__global__ void adam_kernel(AdamConstants k, UpdateStepScalars host, LiveUpdate live, int64_t n,
                            float* param /* (n) */, const float* grad /* (n) */, float* m /* (n) */,
                            float* v /* (n) */) {
  const UpdateStepScalars s = resolve_update(live, host);
  for (int64_t i = grid_first(); i < n; i += grid_stride()) {
    const double w0 = static_cast<double>(param[i]);
    const double g = static_cast<double>(grad[i]) + k.wd_grad * w0;
    const double w = w0 * s.adamw_shrink;
    const double mi = k.b1 * static_cast<double>(m[i]) + (1.0 - k.b1) * g;
    const double vi = k.b2 * static_cast<double>(v[i]) + (1.0 - k.b2) * g * g;
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    param[i] = static_cast<float>(w - s.adam_step_size * mi / (sqrt(vi) * s.adam_inv_sqrt_bc2 + k.eps));
  }
}

// param (n), grad (n), square_avg (n), momentum_buf (n; unused and may be null when momentum == 0).
// OVERWRITES param, square_avg, momentum_buf.
__global__ void rmsprop_kernel(UpdateStepScalars host, LiveUpdate live, double wd, double alpha, double eps,
                               double mu, int64_t n, float* param /* (n) */, const float* grad /* (n) */,
                               float* square_avg /* (n) */, float* momentum_buf /* (n) or null */) {
  const double lr = resolve_update(live, host).lr;
  for (int64_t i = grid_first(); i < n; i += grid_stride()) {
    const double w = static_cast<double>(param[i]);
    const double g = static_cast<double>(grad[i]) + wd * w;
    const double sq = alpha * static_cast<double>(square_avg[i]) + (1.0 - alpha) * g * g;
    square_avg[i] = static_cast<float>(sq);
    if (mu == 0.0) {
      param[i] = static_cast<float>(w - lr * g / (sqrt(sq) + eps));
    } else {
      const double buf = mu * static_cast<double>(momentum_buf[i]) + g / (sqrt(sq) + eps);
      momentum_buf[i] = static_cast<float>(buf);
      param[i] = static_cast<float>(w - lr * buf);
    }
  }
}

}  // namespace

void sgd_update(Context& ctx, const SgdParams& p, int64_t n, float* param, const float* grad, float* velocity) {
  check_common("sgd_update", n, param, grad, p.weight_decay, p.live);
  GD_CHECK(p.momentum >= 0.0 && p.momentum < 1.0, "sgd_update (cuda): momentum must be in [0, 1), got " << p.momentum);
  GD_CHECK(!p.nesterov || p.momentum > 0.0, "sgd_update (cuda): nesterov requires momentum > 0");
  GD_CHECK(p.momentum == 0.0 || n == 0 || velocity != nullptr,
           "sgd_update (cuda): momentum = " << p.momentum << " needs a velocity buffer of " << n
                                            << " elements, got nullptr");
  const UpdateStepScalars host = p.live.live ? UpdateStepScalars{} : sgd_step_scalars(p);
  if (n == 0) return;
  sgd_kernel<<<grid_blocks(n), kBlock, 0, ctx.stream>>>(host, p.live, p.weight_decay, p.momentum, p.nesterov, n,
                                                        param, grad, velocity);
  GD_CUDA_LAUNCH("sgd_kernel");
}

void adam_update(Context& ctx, const AdamParams& p, int64_t n, float* param, const float* grad, float* m, float* v) {
  const char* op = p.decoupled ? "adamw_update" : "adam_update";
  check_common(op, n, param, grad, p.weight_decay, p.live);
  GD_CHECK(p.beta1 >= 0.0 && p.beta1 < 1.0, op << " (cuda): beta1 must be in [0, 1), got " << p.beta1);
  GD_CHECK(p.beta2 >= 0.0 && p.beta2 < 1.0, op << " (cuda): beta2 must be in [0, 1), got " << p.beta2);
  GD_CHECK(p.eps > 0.0, op << " (cuda): eps must be > 0, got " << p.eps);
  GD_CHECK(n == 0 || (m != nullptr && v != nullptr), op << " (cuda): m and v must be non-null");
  // The reference's per-step scalars, from the same host function.
  const UpdateStepScalars host = p.live.live ? UpdateStepScalars{} : adam_step_scalars(p);
  if (n == 0) return;
  AdamConstants k;
  k.b1 = p.beta1;
  k.b2 = p.beta2;
  k.eps = p.eps;
  k.wd_grad = p.decoupled ? 0.0 : p.weight_decay;
  adam_kernel<<<grid_blocks(n), kBlock, 0, ctx.stream>>>(k, host, p.live, n, param, grad, m, v);
  GD_CUDA_LAUNCH("adam_kernel");
}

void rmsprop_update(Context& ctx, const RmspropParams& p, int64_t n, float* param, const float* grad,
                    float* square_avg, float* momentum_buf) {
  check_common("rmsprop_update", n, param, grad, p.weight_decay, p.live);
  GD_CHECK(p.alpha >= 0.0 && p.alpha < 1.0, "rmsprop_update (cuda): alpha must be in [0, 1), got " << p.alpha);
  GD_CHECK(p.eps > 0.0, "rmsprop_update (cuda): eps must be > 0, got " << p.eps);
  GD_CHECK(p.momentum >= 0.0 && p.momentum < 1.0,
           "rmsprop_update (cuda): momentum must be in [0, 1), got " << p.momentum);
  GD_CHECK(n == 0 || square_avg != nullptr, "rmsprop_update (cuda): square_avg must be non-null");
  GD_CHECK(p.momentum == 0.0 || n == 0 || momentum_buf != nullptr,
           "rmsprop_update (cuda): momentum = " << p.momentum << " needs a momentum buffer of " << n
                                                << " elements, got nullptr");
  const UpdateStepScalars host = p.live.live ? UpdateStepScalars{} : rmsprop_step_scalars(p);
  if (n == 0) return;
  rmsprop_kernel<<<grid_blocks(n), kBlock, 0, ctx.stream>>>(host, p.live, p.weight_decay, p.alpha, p.eps,
                                                            p.momentum, n, param, grad, square_avg, momentum_buf);
  GD_CUDA_LAUNCH("rmsprop_kernel");
}

}  // namespace gd::cuda
