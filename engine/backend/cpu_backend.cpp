#include "engine/backend/cpu_backend.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "engine/core/error.h"
#include "engine/ops/shuffle.h"
#include "engine/ref/conv2d_winograd.h"

namespace gd {
namespace {
void free_aligned(void* p) { std::free(p); }
}  // namespace

CpuBackend::CpuBackend() = default;

std::string CpuBackend::description() const {
  std::ostringstream os;
  os << "cpu (" << omp_get_max_threads() << " threads, OpenBLAS)";
  return os.str();
}

void CpuBackend::set_math_precision(MathPrecision p) {
  GD_CHECK_T(p == MathPrecision::FP32, ConfigError,
             "math precision " << math_precision_name(p)
                               << " needs --device cuda: the CPU backend computes in FP32 only "
                                  "(use --precision fp32 or run on a CUDA device)");
}

std::shared_ptr<Buffer> CpuBackend::allocate(size_t bytes) {
  const size_t rounded = std::max<size_t>(64, (bytes + 63) / 64 * 64);
  void* p = std::aligned_alloc(64, rounded);
  GD_CHECK(p != nullptr, "cpu allocation of " << bytes << " bytes failed");
  std::memset(p, 0, rounded);
  return std::make_shared<Buffer>(Device::CPU, p, bytes, &free_aligned);
}

void CpuBackend::copy_from_host(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}
void CpuBackend::copy_to_host(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}
void CpuBackend::copy(void* dst, const void* src, size_t bytes) {
  if (bytes && dst != src) std::memcpy(dst, src, bytes);
}
void CpuBackend::fill(float* dst, int64_t n, float value) { std::fill(dst, dst + n, value); }

void CpuBackend::gather_images_u8(int64_t n, int64_t row, const uint8_t* images, const int32_t* idx,
                                  float mean, float std, float* dst) {
  const float a = 1.0f / (255.0f * std), b = -mean / std;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* src = images + static_cast<int64_t>(idx[i]) * row;
    float* out = dst + i * row;
    for (int64_t j = 0; j < row; ++j) out[j] = static_cast<float>(src[j]) * a + b;
  }
}

void CpuBackend::gather_labels_u8(int64_t n, const uint8_t* labels, const int32_t* idx, int32_t* dst) {
  for (int64_t i = 0; i < n; ++i) dst[i] = labels[idx[i]];
}

void CpuBackend::normalize(int64_t n, float mean, float std, float* x) {
  const float inv = 1.0f / std;
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) x[i] = (x[i] - mean) * inv;
}

void CpuBackend::augment_affine(const AugmentParams& p, int64_t n, int64_t c, int64_t h, int64_t w,
                                const float* x, float* y, const int32_t* sample_ids) {
  augment_affine_ref<float>(p, n, c, h, w, x, y, sample_ids);
}

void CpuBackend::dense_forward(const DenseShape& s, const float* x, const float* w, const float* b,
                               float* y) {
  dense_forward_ref<float>(s, x, w, b, y);
}
void CpuBackend::dense_backward(const DenseShape& s, const float* x, const float* w, const float* dy,
                                float* dx, float* dw, float* db) {
  dense_backward_ref<float>(s, x, w, dy, dx, dw, db);
}
// 3x3 stride-1 convolutions with enough channels run Winograd F(4x4,3x3), the rest im2col + GEMM.
// The choice depends on the shape only, never on the batch, so the workspace sized for the largest
// batch covers every smaller one.
size_t CpuBackend::conv2d_workspace_bytes(const Conv2dShape& s) {
  const size_t elems = conv2d_uses_winograd(s) ? conv2d_winograd_workspace_elems(s)
                                               : conv2d_workspace_elems(s);
  return elems * sizeof(float);
}
// The caller's workspace must hold what this shape needs (a smaller batch needs at most as much).
float* CpuBackend::conv2d_scratch(const Conv2dShape& s, Workspace ws) {
  const size_t need = conv2d_workspace_bytes(s);
  GD_CHECK_SHAPE(ws.bytes >= need && (ws.data || need == 0),
                 "conv2d: workspace of " << ws.bytes << " bytes for x (" << s.n << "," << s.c << "," << s.h << ","
                                         << s.w << ") f=" << s.f << " k=" << s.kh << "x" << s.kw << ", which needs "
                                         << need);
  return static_cast<float*>(ws.data);
}
void CpuBackend::conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                                float* y, Workspace workspace) {
  float* ws = conv2d_scratch(s, workspace);
  if (conv2d_uses_winograd(s)) {
    conv2d_forward_winograd(s, x, w, b, y, ws);
  } else {
    conv2d_forward_ref<float>(s, x, w, b, y, ws);
  }
}
void CpuBackend::conv2d_backward(const Conv2dShape& s, const float* x, const float* w, const float* dy,
                                 float* dx, float* dw, float* db, Workspace workspace) {
  float* ws = conv2d_scratch(s, workspace);
  if (conv2d_uses_winograd(s)) {
    conv2d_backward_winograd(s, x, w, dy, dx, dw, db, ws);
  } else {
    conv2d_backward_ref<float>(s, x, w, dy, dx, dw, db, ws);
  }
}
size_t CpuBackend::lc2d_workspace_bytes(const Lc2dShape& s) { return lc2d_workspace_elems(s) * sizeof(float); }
void CpuBackend::lc2d_forward(const Lc2dShape& s, const float* x, const float* w, const float* b,
                              float* y, void* ws) {
  lc2d_forward_ref<float>(s, x, w, b, y, static_cast<float*>(ws));
}
void CpuBackend::lc2d_backward(const Lc2dShape& s, const float* x, const float* w, const float* dy,
                               float* dx, float* dw, float* db, void* ws) {
  lc2d_backward_ref<float>(s, x, w, dy, dx, dw, db, static_cast<float*>(ws));
}
void CpuBackend::maxpool2d_forward(const Pool2dShape& s, const float* x, float* y, int32_t* argmax) {
  maxpool2d_forward_ref<float>(s, x, y, argmax);
}
void CpuBackend::maxpool2d_backward(const Pool2dShape& s, const float* dy, const int32_t* argmax,
                                    float* dx) {
  maxpool2d_backward_ref<float>(s, dy, argmax, dx);
}
void CpuBackend::avgpool2d_forward(const Pool2dShape& s, const float* x, float* y) {
  avgpool2d_forward_ref<float>(s, x, y);
}
void CpuBackend::avgpool2d_backward(const Pool2dShape& s, const float* dy, float* dx) {
  avgpool2d_backward_ref<float>(s, dy, dx);
}
void CpuBackend::activation_forward(Activation a, int64_t n, const float* x, float* y) {
  activation_forward_ref<float>(a, n, x, y);
}
void CpuBackend::activation_backward(Activation a, int64_t n, const float* x, const float* y,
                                     const float* dy, float* dx) {
  activation_backward_ref<float>(a, n, x, y, dy, dx);
}
void CpuBackend::bias_activation_forward(Activation a, int64_t outer, int64_t channels, int64_t inner,
                                         const float* b, float* y) {
  bias_activation_forward_ref<float>(a, outer, channels, inner, b, y);
}
void CpuBackend::bias_activation_backward(Activation a, int64_t outer, int64_t channels, int64_t inner,
                                          const float* y, const float* dy, float* dpre, float* db) {
  bias_activation_backward_ref<float>(a, outer, channels, inner, y, dy, dpre, db);
}
void CpuBackend::dropout_forward(const DropoutParams& d, int64_t n, const float* x, float* y) {
  dropout_forward_ref<float>(d, n, x, y);
}
void CpuBackend::dropout_backward(const DropoutParams& d, int64_t n, const float* dy, float* dx) {
  dropout_backward_ref<float>(d, n, dy, dx);
}
void CpuBackend::batchnorm_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                                         const float* beta, float* y, float* save_mean,
                                         float* save_invstd, float* running_mean, float* running_var) {
  batchnorm_forward_train_ref<float>(s, x, gamma, beta, y, save_mean, save_invstd, running_mean,
                                     running_var);
}
void CpuBackend::batchnorm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma,
                                        const float* beta, const float* running_mean,
                                        const float* running_var, float* y) {
  batchnorm_forward_eval_ref<float>(s, x, gamma, beta, running_mean, running_var, y);
}
void CpuBackend::batchnorm_backward(const BatchNormShape& s, const float* x, const float* gamma,
                                    const float* save_mean, const float* save_invstd, const float* dy,
                                    float* dx, float* dgamma, float* dbeta) {
  batchnorm_backward_ref<float>(s, x, gamma, save_mean, save_invstd, dy, dx, dgamma, dbeta);
}
void CpuBackend::softmax_xent(const SoftmaxXentShape& s, const float* logits, const int32_t* labels,
                              float* dlogits, double* loss_sum, int64_t* correct) {
  int64_t c = 0;
  const double mean = softmax_xent_forward_backward_ref<float>(s, logits, labels, nullptr, dlogits, &c);
  *loss_sum += mean * static_cast<double>(s.n);
  *correct += c;
}
void CpuBackend::softmax(int64_t n, int64_t c, const float* logits, float* probs) {
  softmax_ref<float>(n, c, logits, probs);
}
void CpuBackend::confusion_accumulate(int64_t n, int64_t c, const float* logits,
                                      const int32_t* labels, int64_t* confusion) {
  for (int64_t i = 0; i < n; ++i) {
    const float* row = logits + i * c;
    const int64_t pred = std::max_element(row, row + c) - row;
    GD_CHECK(labels[i] >= 0 && labels[i] < c, "label " << labels[i] << " out of range [0," << c << ")");
    confusion[labels[i] * c + pred] += 1;
  }
}
void CpuBackend::sgd_update(const SgdParams& p, int64_t n, float* param, const float* grad,
                            float* velocity) {
  sgd_update_ref<float>(p, n, param, grad, velocity);
}
void CpuBackend::adam_update(const AdamParams& p, int64_t n, float* param, const float* grad, float* m,
                             float* v) {
  adam_update_ref<float>(p, n, param, grad, m, v);
}
void CpuBackend::rmsprop_update(const RmspropParams& p, int64_t n, float* param, const float* grad,
                                float* square_avg, float* momentum_buf) {
  rmsprop_update_ref<float>(p, n, param, grad, square_avg, momentum_buf);
}
double CpuBackend::sum_squares(int64_t n, const float* x) {
  double acc = 0.0;
#pragma omp parallel for reduction(+ : acc) schedule(static)
  for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(x[i]) * x[i];
  return acc;
}
void CpuBackend::scale(int64_t n, float alpha, float* x) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) x[i] *= alpha;
}
void CpuBackend::clip_grad_norm(int64_t n, double max_norm, float* grads) {
  GD_CHECK(std::isfinite(max_norm) && max_norm > 0.0, "clip_grad_norm: max_norm must be finite and > 0, got " << max_norm);
  const double norm = std::sqrt(sum_squares(n, grads));
  if (norm > max_norm) scale(n, static_cast<float>(max_norm / norm), grads);
}

void CpuBackend::shuffle(int64_t n, uint64_t seed, uint64_t epoch, int32_t* order) {
  shuffle_ref(n, seed, epoch, order);
}

void CpuBackend::select_batch(const int32_t* order, int64_t batch_size, const LiveStep* live, int64_t n,
                              int32_t* dst) {
  GD_CHECK(n >= 0 && n <= batch_size, "select_batch: n = " << n << " outside [0, " << batch_size << "]");
  if (n > 0) std::memcpy(dst, order + live->batch * batch_size, static_cast<size_t>(n) * sizeof(int32_t));
}

void CpuBackend::advance_step(LiveStep* live) {
  ++live->step;
  ++live->batch;
}

}  // namespace gd
