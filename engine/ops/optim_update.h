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
#include <cstdint>

namespace gd {

struct SgdParams {
  double lr = 0.01, momentum = 0.0, weight_decay = 0.0;
  bool nesterov = false;
};
struct AdamParams {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  bool decoupled = false;  // true = AdamW
  int64_t step = 1;        // 1-based step count used for bias correction
};
struct RmspropParams {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0.0, momentum = 0.0;
};

template <typename T>
void sgd_update_ref(const SgdParams& p, int64_t n, T* param, const T* grad, T* velocity);
template <typename T>
void adam_update_ref(const AdamParams& p, int64_t n, T* param, const T* grad, T* m, T* v);
template <typename T>
void rmsprop_update_ref(const RmspropParams& p, int64_t n, T* param, const T* grad, T* square_avg,
                        T* momentum_buf);

}  // namespace gd
