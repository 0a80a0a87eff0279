// CudaBackend: memory and copies through the CUDA runtime on one non-blocking stream; every op
// forwards to its gd::cuda launcher (kernels/cuda_ops.h) with the backend's Context.
//
// Ordering: all work (kernels, cuBLAS, cuDNN, memsets, copies, allocations and frees) goes to
// ctx_.stream, so it runs in program order. The stream is created non-blocking, i.e. it does NOT
// synchronise with the legacy default stream; that is why memory is zeroed with cudaMemsetAsync on
// the stream (kernels/cuda_stream_memory.h: stream-ordered allocation and free, never a device-wide
// synchronisation) and why the host copies are cudaMemcpyAsync on ctx_.stream followed by a stream
// synchronisation. Tests and benchmarks follow the same rule (tests/support/cuda_test_util.h).
#include "kernels/cuda_backend.h"

#include <algorithm>

#include "engine/core/error.h"
#include "kernels/cuda_backend_factory.h"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_device.h"
#include "kernels/cuda_graph.h"
#include "kernels/cuda_ops.h"
#include "kernels/cuda_stream_memory.h"

namespace gd {
namespace {

constexpr size_t kCublasWorkspaceBytes = size_t{32} << 20;

}  // namespace

CudaBackend::CudaBackend() {
  try {
    GD_CUDA_CHECK(cudaSetDevice(0));
    memory_ = cuda::StreamMemory::create();
    ctx_.stream = memory_->stream();
    GD_CUDA_CHECK(cublasCreate(&ctx_.cublas));
    GD_CUDA_CHECK(cublasSetStream(ctx_.cublas, ctx_.stream));
    GD_CUDA_CHECK(cublasSetPointerMode(ctx_.cublas, CUBLAS_POINTER_MODE_HOST));
    // An explicit cuBLAS workspace, so GEMMs recorded into a CUDA graph never allocate (32 MiB is
    // NVIDIA's recommendation for Hopper).
    GD_CUDA_CHECK(cudaMalloc(&cublas_workspace_, kCublasWorkspaceBytes));
    GD_CUDA_CHECK(cublasSetWorkspace(ctx_.cublas, cublas_workspace_, kCublasWorkspaceBytes));
    GD_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&ctx_.reduction_scratch),
                             cuda::kReductionScratchDoubles * sizeof(double)));
#ifdef GD_HAVE_CUDNN
    GD_CUDA_CHECK(cudnnCreate(&ctx_.cudnn));
    GD_CUDA_CHECK(cudnnSetStream(ctx_.cudnn, ctx_.stream));
#endif
    description_ = "cuda (" + cuda::device_description() + ")";
  } catch (...) {
    release();
    throw;
  }
}

CudaBackend::~CudaBackend() { release(); }

void CudaBackend::release() noexcept {
  if (ctx_.stream) cudaStreamSynchronize(ctx_.stream);
#ifdef GD_HAVE_CUDNN
  if (ctx_.cudnn) cudnnDestroy(ctx_.cudnn);
  ctx_.cudnn = nullptr;
#endif
  if (ctx_.cublas) cublasDestroy(ctx_.cublas);
  ctx_.cublas = nullptr;
  ctx_.stream = nullptr;  // owned by memory_: buffers still alive keep it
  if (ctx_.reduction_scratch) cudaFree(ctx_.reduction_scratch);
  ctx_.reduction_scratch = nullptr;
  if (cublas_workspace_) cudaFree(cublas_workspace_);
  cublas_workspace_ = nullptr;
  memory_.reset();
  cudaGetLastError();  // errors while tearing down are not reported (destructors must not throw)
}

std::shared_ptr<Buffer> CudaBackend::allocate(size_t bytes) { return memory_->allocate(bytes); }

void CudaBackend::copy_from_host(void* dst, const void* host_src, size_t bytes) {
  if (!bytes) return;
  GD_CUDA_CHECK(cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, ctx_.stream));
  GD_CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));  // the caller may free or reuse host_src next
}

void CudaBackend::copy_to_host(void* host_dst, const void* src, size_t bytes) {
  if (!bytes) return;
  GD_CUDA_CHECK(cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, ctx_.stream));
  GD_CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));
}

void CudaBackend::copy(void* dst, const void* src, size_t bytes) {
  if (!bytes || dst == src) return;
  GD_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, ctx_.stream));
}

void CudaBackend::fill(float* dst, int64_t n, float value) { cuda::fill(ctx_, dst, n, value); }

void CudaBackend::synchronize() { GD_CUDA_CHECK(cudaStreamSynchronize(ctx_.stream)); }

// ---- input -------------------------------------------------------------------------------------
void CudaBackend::gather_images_u8(int64_t n, int64_t row, const uint8_t* images, const int32_t* idx,
                                   float mean, float std, float* dst) {
  cuda::gather_images_u8(ctx_, n, row, images, idx, mean, std, dst);
}
void CudaBackend::gather_labels_u8(int64_t n, const uint8_t* labels, const int32_t* idx, int32_t* dst) {
  cuda::gather_labels_u8(ctx_, n, labels, idx, dst);
}
void CudaBackend::normalize(int64_t n, float mean, float std, float* x) { cuda::normalize(ctx_, n, mean, std, x); }
void CudaBackend::augment_affine(const AugmentParams& p, int64_t n, int64_t c, int64_t h, int64_t w,
                                 const float* x, float* y, const int32_t* sample_ids) {
  cuda::augment_affine(ctx_, p, n, c, h, w, x, y, sample_ids);
}

// ---- GEMM-bound ops ------------------------------------------------------------------------------
void CudaBackend::dense_forward(const DenseShape& s, const float* x, const float* w, const float* b, float* y) {
  cuda::dense_forward(ctx_, s, x, w, b, y);
}
void CudaBackend::dense_backward(const DenseShape& s, const float* x, const float* w, const float* dy,
                                 float* dx, float* dw, float* db) {
  cuda::dense_backward(ctx_, s, x, w, dy, dx, dw, db);
}
size_t CudaBackend::conv2d_workspace_bytes(const Conv2dShape& s) { return cuda::conv2d_workspace_bytes(ctx_, s); }
void CudaBackend::conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                                 float* y, Workspace workspace) {
  cuda::conv2d_forward(ctx_, s, x, w, b, y, workspace);
}
void CudaBackend::conv2d_backward(const Conv2dShape& s, const float* x, const float* w, const float* dy,
                                  float* dx, float* dw, float* db, Workspace workspace) {
  cuda::conv2d_backward(ctx_, s, x, w, dy, dx, dw, db, workspace);
}
size_t CudaBackend::lc2d_workspace_bytes(const Lc2dShape& s) { return cuda::lc2d_workspace_bytes(s); }
void CudaBackend::lc2d_forward(const Lc2dShape& s, const float* x, const float* w, const float* b, float* y,
                               void* workspace) {
  cuda::lc2d_forward(ctx_, s, x, w, b, y, workspace);
}
void CudaBackend::lc2d_backward(const Lc2dShape& s, const float* x, const float* w, const float* dy,
                                float* dx, float* dw, float* db, void* workspace) {
  cuda::lc2d_backward(ctx_, s, x, w, dy, dx, dw, db, workspace);
}

// ---- pooling, activations, dropout, batch norm ---------------------------------------------------
void CudaBackend::maxpool2d_forward(const Pool2dShape& s, const float* x, float* y, int32_t* argmax) {
  cuda::maxpool2d_forward(ctx_, s, x, y, argmax);
}
void CudaBackend::maxpool2d_backward(const Pool2dShape& s, const float* dy, const int32_t* argmax, float* dx) {
  cuda::maxpool2d_backward(ctx_, s, dy, argmax, dx);
}
void CudaBackend::avgpool2d_forward(const Pool2dShape& s, const float* x, float* y) {
  cuda::avgpool2d_forward(ctx_, s, x, y);
}
void CudaBackend::avgpool2d_backward(const Pool2dShape& s, const float* dy, float* dx) {
  cuda::avgpool2d_backward(ctx_, s, dy, dx);
}
void CudaBackend::activation_forward(Activation a, int64_t n, const float* x, float* y) {
  cuda::activation_forward(ctx_, a, n, x, y);
}
void CudaBackend::activation_backward(Activation a, int64_t n, const float* x, const float* y,
                                      const float* dy, float* dx) {
  cuda::activation_backward(ctx_, a, n, x, y, dy, dx);
}
void CudaBackend::bias_activation_forward(Activation a, int64_t outer, int64_t channels, int64_t inner,
                                          const float* b, float* y) {
  cuda::bias_activation_forward(ctx_, a, outer, channels, inner, b, y);
}
void CudaBackend::bias_activation_backward(Activation a, int64_t outer, int64_t channels, int64_t inner,
                                           const float* y, const float* dy, float* dpre, float* db) {
  cuda::bias_activation_backward(ctx_, a, outer, channels, inner, y, dy, dpre, db);
}
void CudaBackend::dropout_forward(const DropoutParams& d, int64_t n, const float* x, float* y) {
  cuda::dropout_forward(ctx_, d, n, x, y);
}
void CudaBackend::dropout_backward(const DropoutParams& d, int64_t n, const float* dy, float* dx) {
  cuda::dropout_backward(ctx_, d, n, dy, dx);
}
void CudaBackend::batchnorm_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                                          const float* beta, float* y, float* save_mean, float* save_invstd,
                                          float* running_mean, float* running_var) {
  cuda::batchnorm_forward_train(ctx_, s, x, gamma, beta, y, save_mean, save_invstd, running_mean, running_var);
}
void CudaBackend::batchnorm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma,
                                         const float* beta, const float* running_mean, const float* running_var,
                                         float* y) {
  cuda::batchnorm_forward_eval(ctx_, s, x, gamma, beta, running_mean, running_var, y);
}
void CudaBackend::batchnorm_backward(const BatchNormShape& s, const float* x, const float* gamma,
                                     const float* save_mean, const float* save_invstd, const float* dy,
                                     float* dx, float* dgamma, float* dbeta) {
  cuda::batchnorm_backward(ctx_, s, x, gamma, save_mean, save_invstd, dy, dx, dgamma, dbeta);
}

// ---- loss ----------------------------------------------------------------------------------------
void CudaBackend::softmax_xent(const SoftmaxXentShape& s, const float* logits, const int32_t* labels,
                               float* dlogits, double* loss_sum, int64_t* correct) {
  cuda::softmax_xent(ctx_, s, logits, labels, dlogits, loss_sum, correct);
}
void CudaBackend::softmax(int64_t n, int64_t c, const float* logits, float* probs) {
  cuda::softmax(ctx_, n, c, logits, probs);
}
void CudaBackend::confusion_accumulate(int64_t n, int64_t c, const float* logits, const int32_t* labels,
                                       int64_t* confusion) {
  cuda::confusion_accumulate(ctx_, n, c, logits, labels, confusion);
}

// ---- optimiser -----------------------------------------------------------------------------------
void CudaBackend::sgd_update(const SgdParams& p, int64_t n, float* param, const float* grad, float* velocity) {
  cuda::sgd_update(ctx_, p, n, param, grad, velocity);
}
void CudaBackend::adam_update(const AdamParams& p, int64_t n, float* param, const float* grad, float* m,
                              float* v) {
  cuda::adam_update(ctx_, p, n, param, grad, m, v);
}
void CudaBackend::rmsprop_update(const RmspropParams& p, int64_t n, float* param, const float* grad,
                                 float* square_avg, float* momentum_buf) {
  cuda::rmsprop_update(ctx_, p, n, param, grad, square_avg, momentum_buf);
}
double CudaBackend::sum_squares(int64_t n, const float* x) { return cuda::sum_squares(ctx_, n, x); }
void CudaBackend::scale(int64_t n, float alpha, float* x) { cuda::scale(ctx_, n, alpha, x); }
void CudaBackend::clip_grad_norm(int64_t n, double max_norm, float* grads) {
  cuda::clip_grad_norm(ctx_, n, max_norm, grads);
}

// ---- live step counters and recording -------------------------------------------------------------
void CudaBackend::select_batch(const int32_t* order, int64_t batch_size, const LiveStep* live, int64_t n,
                               int32_t* dst) {
  cuda::select_batch(ctx_, order, batch_size, live, n, dst);
}
void CudaBackend::advance_step(LiveStep* live) { cuda::advance_step(ctx_, live); }
void CudaBackend::shuffle(int64_t n, uint64_t seed, uint64_t epoch, int32_t* order) {
  const size_t need = cuda::shuffle_workspace_bytes(n);
  if (need > 0 && (!shuffle_workspace_ || shuffle_workspace_->bytes() < need)) {
    shuffle_workspace_.reset();  // free the smaller one first
    shuffle_workspace_ = allocate(need);
  }
  cuda::shuffle(ctx_, n, seed, epoch, order, need > 0 ? shuffle_workspace_->data() : nullptr, need);
}
std::unique_ptr<RecordedWork> CudaBackend::record(const std::function<void()>& work) {
  // The memory knows it is being recorded (allocations throw, frees wait) until the scope ends,
  // however recording ends.
  struct RecordingScope {
    cuda::StreamMemory& memory;
    explicit RecordingScope(cuda::StreamMemory& m) : memory(m) { memory.begin_recording(); }
    ~RecordingScope() { memory.end_recording(); }
  } scope(*memory_);
  return cuda::record_graph(ctx_.stream, work);
}

bool CudaBackend::recording() const { return memory_ && memory_->recording(); }

void CudaBackend::check_recording(const std::string& where) {
  if (!recording()) return;
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  GD_CUDA_CHECK(cudaStreamIsCapturing(ctx_.stream, &status));
  GD_CHECK(status == cudaStreamCaptureStatusActive,
           "the CUDA graph recording broke in " << where << " (capture status "
                                                << (status == cudaStreamCaptureStatusInvalidated ? "invalidated" : "none")
                                                << ")");
}

std::unique_ptr<Backend> make_cuda_backend() { return std::make_unique<CudaBackend>(); }

}  // namespace gd
