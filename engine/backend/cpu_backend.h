#pragma once
// The CPU backend: forwards every op to its *_ref<float> reference (OpenMP + OpenBLAS), so the
// reference every CUDA kernel is checked against is also a usable, multithreaded backend. One
// exception: 3x3 stride-1 convolutions with >= 8 input channels run the Winograd F(4x4,3x3) path
// (engine/ref/conv2d_winograd.h), itself tested against the reference.
#include "engine/backend/backend.h"

namespace gd {

class CpuBackend final : public Backend {
 public:
  CpuBackend();
  Device device() const override { return Device::CPU; }
  std::string description() const override;

  // Only FP32: any other mode throws ConfigError saying it needs --device cuda.
  void set_math_precision(MathPrecision p) override;
  MathPrecision math_precision() const override { return MathPrecision::FP32; }

  std::shared_ptr<Buffer> allocate(size_t bytes) override;
  void copy_from_host(void* dst, const void* host_src, size_t bytes) override;
  void copy_to_host(void* host_dst, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;
  void fill(float* dst, int64_t n, float value) override;
  void synchronize() override {}

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
  double sum_squares(int64_t n, const float* x) override;
  void scale(int64_t n, float alpha, float* x) override;
  void clip_grad_norm(int64_t n, double max_norm, float* grads) override;

  void shuffle(int64_t n, uint64_t seed, uint64_t epoch, int32_t* order) override;
  void select_batch(const int32_t* order, int64_t batch_size, const LiveStep* live, int64_t n,
                    int32_t* dst) override;
  void advance_step(LiveStep* live) override;

 private:
  float* conv2d_scratch(const Conv2dShape& s, Workspace ws);  // checks the capacity
};

}  // namespace gd
