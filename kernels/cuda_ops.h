#pragma once
// Launchers of the CUDA backend: one per op, same argument order as the CPU reference
// (engine/ops/*.h: shapes, layouts and OVERWRITE/ACCUMULATE semantics are identical), with the
// Context first. Every pointer is device memory. Launchers enqueue on ctx.stream and check every
// launch/library call with GD_CUDA_CHECK (kernels/cuda_check.cuh); only functions that return a value
// to the host synchronise.
#include <cstddef>
#include <cstdint>

#include "engine/ops/activation.h"
#include "engine/ops/augment.h"
#include "engine/ops/batchnorm.h"
#include "engine/ops/bias_activation.h"
#include "engine/ops/conv2d.h"
#include "engine/ops/dense.h"
#include "engine/ops/dropout.h"
#include "engine/ops/lc2d.h"
#include "engine/ops/live_step.h"
#include "engine/ops/optim_update.h"
#include "engine/ops/pool2d.h"
#include "engine/ops/softmax_xent.h"
#include "kernels/cuda_context.h"

namespace gd::cuda {

// ---- GEMM-bound (kernels/dense.cu, conv2d.cu, lc2d.cu) -------------------------------------------
void dense_forward(Context& ctx, const DenseShape& s, const float* x, const float* w, const float* b, float* y);
void dense_backward(Context& ctx, const DenseShape& s, const float* x, const float* w, const float* dy,
                    float* dx, float* dw, float* db);
size_t conv2d_workspace_bytes(Context& ctx, const Conv2dShape& s);
void conv2d_forward(Context& ctx, const Conv2dShape& s, const float* x, const float* w, const float* b,
                    float* y, Workspace workspace);
void conv2d_backward(Context& ctx, const Conv2dShape& s, const float* x, const float* w, const float* dy,
                     float* dx, float* dw, float* db, Workspace workspace);
size_t lc2d_workspace_bytes(const Lc2dShape& s);
void lc2d_forward(Context& ctx, const Lc2dShape& s, const float* x, const float* w, const float* b, float* y,
                  void* workspace);
void lc2d_backward(Context& ctx, const Lc2dShape& s, const float* x, const float* w, const float* dy,
                   float* dx, float* dw, float* db, void* workspace);

// ---- pooling and batch norm (kernels/pool2d.cu, batchnorm.cu) ------------------------------------
void maxpool2d_forward(Context& ctx, const Pool2dShape& s, const float* x, float* y, int32_t* argmax);
void maxpool2d_backward(Context& ctx, const Pool2dShape& s, const float* dy, const int32_t* argmax, float* dx);
void avgpool2d_forward(Context& ctx, const Pool2dShape& s, const float* x, float* y);
void avgpool2d_backward(Context& ctx, const Pool2dShape& s, const float* dy, float* dx);
void batchnorm_forward_train(Context& ctx, const BatchNormShape& s, const float* x, const float* gamma,
                             const float* beta, float* y, float* save_mean, float* save_invstd,
                             float* running_mean, float* running_var);
void batchnorm_forward_eval(Context& ctx, const BatchNormShape& s, const float* x, const float* gamma,
                            const float* beta, const float* running_mean, const float* running_var, float* y);
void batchnorm_backward(Context& ctx, const BatchNormShape& s, const float* x, const float* gamma,
                        const float* save_mean, const float* save_invstd, const float* dy, float* dx,
                        float* dgamma, float* dbeta);

// ---- element-wise, loss, optimiser, input (kernels/activation.cu, bias_activation.cu, dropout.cu,
//      softmax_xent.cu, optim_update.cu, input.cu, reduce.cu) --------------------------------------------------------
void activation_forward(Context& ctx, Activation a, int64_t n, const float* x, float* y);
void activation_backward(Context& ctx, Activation a, int64_t n, const float* x, const float* y,
                         const float* dy, float* dx);
// Fused bias + activation (kernels/bias_activation.cu; engine/ops/bias_activation.h): forward in place,
// b may be nullptr; backward is one kernel that writes dpre (may alias dy) and, when db is not
// nullptr, sums it per channel in double in a fixed order (deterministic, no atomics).
void bias_activation_forward(Context& ctx, Activation a, int64_t outer, int64_t channels, int64_t inner,
                             const float* b, float* y);
void bias_activation_backward(Context& ctx, Activation a, int64_t outer, int64_t channels, int64_t inner,
                              const float* y, const float* dy, float* dpre, float* db);
void dropout_forward(Context& ctx, const DropoutParams& d, int64_t n, const float* x, float* y);
void dropout_backward(Context& ctx, const DropoutParams& d, int64_t n, const float* dy, float* dx);
// Fused forward+backward; ACCUMULATES the batch's summed loss into *loss_sum and its correct count
// into *correct (device scalars); dlogits OVERWRITTEN (skipped when nullptr). A NaN/inf logit makes
// the loss sum non-finite (the trainer's periodic check reports it).
void softmax_xent(Context& ctx, const SoftmaxXentShape& s, const float* logits, const int32_t* labels,
                  float* dlogits, double* loss_sum, int64_t* correct);
void softmax(Context& ctx, int64_t n, int64_t c, const float* logits, float* probs);
void confusion_accumulate(Context& ctx, int64_t n, int64_t c, const float* logits, const int32_t* labels,
                          int64_t* confusion);
void sgd_update(Context& ctx, const SgdParams& p, int64_t n, float* param, const float* grad, float* velocity);
void adam_update(Context& ctx, const AdamParams& p, int64_t n, float* param, const float* grad, float* m, float* v);
void rmsprop_update(Context& ctx, const RmspropParams& p, int64_t n, float* param, const float* grad,
                    float* square_avg, float* momentum_buf);
double sum_squares(Context& ctx, int64_t n, const float* x);  // synchronises
void scale(Context& ctx, int64_t n, float alpha, float* x);
// No host round trip, no allocation (uses ctx.reduction_scratch): safe inside a recorded graph.
void clip_grad_norm(Context& ctx, int64_t n, double max_norm, float* grads);
void fill(Context& ctx, float* dst, int64_t n, float value);
void gather_images_u8(Context& ctx, int64_t n, int64_t row, const uint8_t* images, const int32_t* idx,
                      float mean, float std, float* dst);
void gather_labels_u8(Context& ctx, int64_t n, const uint8_t* labels, const int32_t* idx, int32_t* dst);
void normalize(Context& ctx, int64_t n, float mean, float std, float* x);
void augment_affine(Context& ctx, const AugmentParams& p, int64_t n, int64_t c, int64_t h, int64_t w,
                    const float* x, float* y, const int32_t* sample_ids);

// ---- the live step counters (kernels/live_step.cu; engine/ops/live_step.h) ------------------------
void select_batch(Context& ctx, const int32_t* order, int64_t batch_size, const LiveStep* live, int64_t n,
                  int32_t* dst);
void advance_step(Context& ctx, LiveStep* live);

// ---- the epoch shuffle (kernels/shuffle.cu; engine/ops/shuffle.h) ---------------------------------
size_t shuffle_workspace_bytes(int64_t n);
// order (n) OVERWRITTEN; workspace of at least shuffle_workspace_bytes(n) bytes (device memory).
void shuffle(Context& ctx, int64_t n, uint64_t seed, uint64_t epoch, int32_t* order, void* workspace,
             size_t workspace_bytes);

}  // namespace gd::cuda
