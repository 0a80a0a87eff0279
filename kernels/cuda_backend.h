#pragma once
// The CUDA backend: device memory through cudaMalloc, every op through the gd::cuda launchers of
// kernels/cuda_ops.h on one non-blocking stream (with its cuBLAS handle, and cuDNN handle when
// GD_HAVE_CUDNN). Ops are asynchronous; copy_from_host, copy_to_host, sum_squares and synchronize
// wait for the stream. Host code that needs no CUDA headers uses kernels/cuda_backend_factory.h.
#include <memory>
#include <string>

#include "engine/backend/backend.h"
#include "kernels/cuda_context.h"

namespace gd::cuda {
class StreamMemory;
}

namespace gd {

class CudaBackend final : public Backend {
 public:
  CudaBackend();  // device 0; throws gd::Error when CUDA, cuBLAS or cuDNN cannot be set up
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  Device device() const override { return Device::CUDA; }
  std::string description() const override { return description_; }
  cuda::Context& context() { return ctx_; }

  // Every GEMM and convolution launched afterwards runs in mode p (the Context carries it).
  void set_math_precision(MathPrecision p) override { ctx_.precision = p; }
  MathPrecision math_precision() const override { return ctx_.precision; }

  // Zero-initialised device memory (at least 256 bytes), stream-ordered (kernels/cuda_stream_memory.h):
  // freed on the backend's stream, without a device synchronisation, when the last Tensor referring
  // to it goes away. Throws while a graph is being recorded.
  std::shared_ptr<Buffer> allocate(size_t bytes) override;
  // Synchronous, for any (pageable or pinned) host memory; ordered after earlier work on the stream.
  void copy_from_host(void* dst, const void* host_src, size_t bytes) override;
  void copy_to_host(void* host_dst, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;  // device to device, on the stream
  void fill(float* dst, int64_t n, float value) override;
  void synchronize() override;

  void gather_images_u8(int64_t n, int64_t row, const uint8_t* images, const int32_t* idx, float mean,
                        float std, float* dst) override;
  void gather_labels_u8(int64_t n, const uint8_t* labels, const int32_t* idx, int32_t* dst) override;
  void normalize(int64_t n, float mean, float std, float* x) override;
  void augment_affine(const AugmentParams& p, int64_t n, int64_t c, int64_t h, int64_t w, const float* x,
                      float* y, const int32_t* sample_ids) override;

  void dense_forward(const DenseShape& s, const float* x, const float* w, const float* b,
                     float* y) override;
  void dense_backward(const DenseShape& s, const float* x, const float* w, const float* dy, float* dx,
                      float* dw, float* db) override;
  size_t conv2d_workspace_bytes(const Conv2dShape& s) override;
  void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y,
                      Workspace workspace) override;
  void conv2d_backward(const Conv2dShape& s, const float* x, const float* w, const float* dy,
                       float* dx, float* dw, float* db, Workspace workspace) override;
  size_t lc2d_workspace_bytes(const Lc2dShape& s) override;
  void lc2d_forward(const Lc2dShape& s, const float* x, const float* w, const float* b, float* y,
                    void* workspace) override;
  void lc2d_backward(const Lc2dShape& s, const float* x, const float* w, const float* dy, float* dx,
                     float* dw, float* db, void* workspace) override;
  void maxpool2d_forward(const Pool2dShape& s, const float* x, float* y, int32_t* argmax) override;
  void maxpool2d_backward(const Pool2dShape& s, const float* dy, const int32_t* argmax,
                          float* dx) override;
  void avgpool2d_forward(const Pool2dShape& s, const float* x, float* y) override;
  void avgpool2d_backward(const Pool2dShape& s, const float* dy, float* dx) override;
  void activation_forward(Activation a, int64_t n, const float* x, float* y) override;
  void activation_backward(Activation a, int64_t n, const float* x, const float* y, const float* dy,
                           float* dx) override;
  void bias_activation_forward(Activation a, int64_t outer, int64_t channels, int64_t inner,
                               const float* b, float* y) override;
  void bias_activation_backward(Activation a, int64_t outer, int64_t channels, int64_t inner,
                                const float* y, const float* dy, float* dpre, float* db) override;
  void dropout_forward(const DropoutParams& d, int64_t n, const float* x, float* y) override;
  void dropout_backward(const DropoutParams& d, int64_t n, const float* dy, float* dx) override;
  void batchnorm_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                               const float* beta, float* y, float* save_mean, float* save_invstd,
                               float* running_mean, float* running_var) override;
  void batchnorm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma,
                              const float* beta, const float* running_mean, const float* running_var,
                              float* y) override;
  void batchnorm_backward(const BatchNormShape& s, const float* x, const float* gamma,
                          const float* save_mean, const float* save_invstd, const float* dy, float* dx,
                          float* dgamma, float* dbeta) override;
  void softmax_xent(const SoftmaxXentShape& s, const float* logits, const int32_t* labels,
                    float* dlogits, double* loss_sum, int64_t* correct) override;
  void softmax(int64_t n, int64_t c, const float* logits, float* probs) override;
  void confusion_accumulate(int64_t n, int64_t c, const float* logits, const int32_t* labels,
                            int64_t* confusion) override;

  void sgd_update(const SgdParams& p, int64_t n, float* param, const float* grad,
                  float* velocity) override;
  void adam_update(const AdamParams& p, int64_t n, float* param, const float* grad, float* m,
                   float* v) override;
  void rmsprop_update(const RmspropParams& p, int64_t n, float* param, const float* grad,
                      float* square_avg, float* momentum_buf) override;
  double sum_squares(int64_t n, const float* x) override;  // synchronises
  void scale(int64_t n, float alpha, float* x) override;
  void clip_grad_norm(int64_t n, double max_norm, float* grads) override;

  // Grows its own workspace on first use for a larger n (an allocation per dataset size, never per step).
  void shuffle(int64_t n, uint64_t seed, uint64_t epoch, int32_t* order) override;
  void select_batch(const int32_t* order, int64_t batch_size, const LiveStep* live, int64_t n,
                    int32_t* dst) override;
  void advance_step(LiveStep* live) override;
  // A CUDA graph captured from the backend's stream (kernels/cuda_graph.h); buffers dropped while
  // recording are freed when it ends.
  std::unique_ptr<RecordedWork> record(const std::function<void()>& work) override;
  bool recording() const override;
  void check_recording(const std::string& where) override;

 private:
  void release() noexcept;  // destroys whatever handles exist; never throws

  std::shared_ptr<cuda::StreamMemory> memory_;  // owns ctx_.stream
  cuda::Context ctx_;
  std::string description_;
  void* cublas_workspace_ = nullptr;  // kCublasWorkspaceBytes, set on the handle so capture never allocates
  std::shared_ptr<Buffer> shuffle_workspace_;  // grown on demand by shuffle()
};

}  // namespace gd
