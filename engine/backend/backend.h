#pragma once
// The one dispatch point between the graph executor and the hardware. Each op of engine/ops/ has a
// virtual here with the same argument order as its reference; CpuBackend forwards to the *_ref<float>
// functions, CudaBackend (kernels/) to CUDA kernels, cuBLAS and cuDNN. All pointers are in the
// backend's own memory space: the executor never dereferences them.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/core/device.h"
#include "engine/core/math_precision.h"
#include "engine/core/tensor.h"
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

namespace gd {

// Backend work recorded once (Backend::record) and replayed with the same arguments.
class RecordedWork {
 public:
  virtual ~RecordedWork() = default;
  virtual void replay() = 0;  // enqueues the recorded work; asynchronous like any op
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual std::string description() const = 0;  // e.g. "cpu (2 threads, OpenBLAS)"

  // --- arithmetic -----------------------------------------------------------------------------
  // The compute mode of the GEMM-like ops (dense, locally connected, convolution): FP32 (the
  // default), TF32 or BF16 tensor-core math (engine/core/math_precision.h, docs/precision.md). Set
  // it before building networks or recording work: conv2d_workspace_bytes and recorded steps
  // depend on it. The CPU backend accepts only FP32 and throws ConfigError otherwise.
  virtual void set_math_precision(MathPrecision p) = 0;
  virtual MathPrecision math_precision() const = 0;

  // --- memory ---------------------------------------------------------------------------------
  virtual std::shared_ptr<Buffer> allocate(size_t bytes) = 0;  // zero-initialised
  Tensor empty(const Shape& shape);                            // allocate + wrap
  virtual void copy_from_host(void* dst, const void* host_src, size_t bytes) = 0;
  virtual void copy_to_host(void* host_dst, const void* src, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;  // within the backend
  virtual void fill(float* dst, int64_t n, float value) = 0;
  virtual void synchronize() = 0;

  // --- input ----------------------------------------------------------------------------------
  // Gathers batch rows idx[0..n) of a uint8 image set (rows of `row` bytes) into floats:
  // dst[i*row + j] = (images[idx[i]*row + j] / 255 - mean) / std.  images, idx in backend memory.
  virtual void gather_images_u8(int64_t n, int64_t row, const uint8_t* images, const int32_t* idx,
                                float mean, float std, float* dst) = 0;
  virtual void gather_labels_u8(int64_t n, const uint8_t* labels, const int32_t* idx,
                                int32_t* dst) = 0;
  // Random affine augmentation of a normalised batch x (N,C,H,W) -> y (N,C,H,W) (OVERWRITES y);
  // sample_ids (N) key each sample's transform (see engine/ops/augment.h).
  // x = (x - mean) / std in place over n values.
  virtual void normalize(int64_t n, float mean, float std, float* x) = 0;
  virtual void augment_affine(const AugmentParams& p, int64_t n, int64_t c, int64_t h, int64_t w,
                              const float* x, float* y, const int32_t* sample_ids) = 0;

  // --- ops (see engine/ops/*.h for shapes and overwrite semantics) ------------------------------
  virtual void dense_forward(const DenseShape& s, const float* x, const float* w, const float* b,
                             float* y) = 0;
  virtual void dense_backward(const DenseShape& s, const float* x, const float* w, const float* dy,
                              float* dx, float* dw, float* db) = 0;
  virtual size_t conv2d_workspace_bytes(const Conv2dShape& s) = 0;
  virtual void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                              float* y, Workspace workspace) = 0;
  virtual void conv2d_backward(const Conv2dShape& s, const float* x, const float* w, const float* dy,
                               float* dx, float* dw, float* db, Workspace workspace) = 0;
  virtual size_t lc2d_workspace_bytes(const Lc2dShape& s) = 0;
  virtual void lc2d_forward(const Lc2dShape& s, const float* x, const float* w, const float* b,
                            float* y, void* workspace) = 0;
  virtual void lc2d_backward(const Lc2dShape& s, const float* x, const float* w, const float* dy,
                             float* dx, float* dw, float* db, void* workspace) = 0;
  virtual void maxpool2d_forward(const Pool2dShape& s, const float* x, float* y, int32_t* argmax) = 0;
  virtual void maxpool2d_backward(const Pool2dShape& s, const float* dy, const int32_t* argmax,
                                  float* dx) = 0;
  virtual void avgpool2d_forward(const Pool2dShape& s, const float* x, float* y) = 0;
  virtual void avgpool2d_backward(const Pool2dShape& s, const float* dy, float* dx) = 0;
  virtual void activation_forward(Activation a, int64_t n, const float* x, float* y) = 0;
  virtual void activation_backward(Activation a, int64_t n, const float* x, const float* y,
                                   const float* dy, float* dx) = 0;
  // Fused bias + activation epilogue of dense/conv2d/lc2d (engine/ops/bias_activation.h): tensors
  // viewed as (outer, channels, inner). Forward IN PLACE y = act(y + b) (b may be nullptr);
  // backward dpre = dy * act'(y) OVERWRITTEN (may alias dy) and db = per-channel sums of dpre
  // OVERWRITTEN (skipped when nullptr). Only for activation_fusable(a): ConfigError otherwise.
  virtual void bias_activation_forward(Activation a, int64_t outer, int64_t channels, int64_t inner,
                                       const float* b, float* y) = 0;
  virtual void bias_activation_backward(Activation a, int64_t outer, int64_t channels, int64_t inner,
                                        const float* y, const float* dy, float* dpre, float* db) = 0;
  virtual void dropout_forward(const DropoutParams& d, int64_t n, const float* x, float* y) = 0;
  virtual void dropout_backward(const DropoutParams& d, int64_t n, const float* dy, float* dx) = 0;
  virtual void batchnorm_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                                       const float* beta, float* y, float* save_mean,
                                       float* save_invstd, float* running_mean,
                                       float* running_var) = 0;
  virtual void batchnorm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma,
                                      const float* beta, const float* running_mean,
                                      const float* running_var, float* y) = 0;
  virtual void batchnorm_backward(const BatchNormShape& s, const float* x, const float* gamma,
                                  const float* save_mean, const float* save_invstd, const float* dy,
                                  float* dx, float* dgamma, float* dbeta) = 0;
  // Loss statistics are accumulated on the backend (no host sync per step): adds the batch's summed
  // loss to *loss_sum and its correct count to *correct (both backend memory, ACCUMULATE).
  virtual void softmax_xent(const SoftmaxXentShape& s, const float* logits, const int32_t* labels,
                            float* dlogits, double* loss_sum, int64_t* correct) = 0;
  virtual void softmax(int64_t n, int64_t c, const float* logits, float* probs) = 0;
  // Adds predictions to a C x C confusion matrix (row = true label, col = argmax) (ACCUMULATE).
  virtual void confusion_accumulate(int64_t n, int64_t c, const float* logits,
                                    const int32_t* labels, int64_t* confusion) = 0;

  // --- optimiser updates over the flat parameter array -----------------------------------------
  virtual void sgd_update(const SgdParams& p, int64_t n, float* param, const float* grad,
                          float* velocity) = 0;
  virtual void adam_update(const AdamParams& p, int64_t n, float* param, const float* grad, float* m,
                           float* v) = 0;
  virtual void rmsprop_update(const RmspropParams& p, int64_t n, float* param, const float* grad,
                              float* square_avg, float* momentum_buf) = 0;
  // Sum of squares of n values (for gradient-norm clipping and NaN detection), returned to host.
  virtual double sum_squares(int64_t n, const float* x) = 0;
  virtual void scale(int64_t n, float alpha, float* x) = 0;
  // Gradient-norm clipping with no host round trip: norm = sqrt(sum of squares of grads (n)), in
  // double; when norm > max_norm, grads *= float(max_norm / norm) (OVERWRITES grads in place). A
  // non-finite norm leaves grads unchanged (the trainer's loss check then reports the divergence).
  virtual void clip_grad_norm(int64_t n, double max_norm, float* grads) = 0;

  // The epoch's sample order (engine/ops/shuffle.h): order (n, backend memory) OVERWRITTEN with the
  // permutation of (seed, epoch), the same on every backend.
  virtual void shuffle(int64_t n, uint64_t seed, uint64_t epoch, int32_t* order) = 0;

  // --- the training step's live counters (engine/ops/live_step.h) -------------------------------
  // dst[i] = order[live->batch * batch_size + i] for i in [0, n): the current batch's sample indices.
  // order (>= (live->batch + 1) * batch_size entries, or the dataset's end), dst (n), live: backend
  // memory. OVERWRITES dst.
  virtual void select_batch(const int32_t* order, int64_t batch_size, const LiveStep* live, int64_t n,
                            int32_t* dst) = 0;
  // ++live->step and ++live->batch where the backend runs, so a recorded step moves its own counters.
  virtual void advance_step(LiveStep* live) = 0;

  // --- recording --------------------------------------------------------------------------------
  // Records the backend work that `work` enqueues, for replay with the same arguments (a CUDA graph);
  // the work is recorded, not run. Inside `work` nothing may allocate, synchronise or copy to or from
  // the host. Returns nullptr when the backend does not record (the CPU: the caller then runs work()
  // itself every time); throws gd::Error when recording fails.
  virtual std::unique_ptr<RecordedWork> record(const std::function<void()>& work);
  // True while record() runs `work`.
  virtual bool recording() const { return false; }
  // While recording: throws gd::Error naming `where` when the calls made so far have already broken
  // the recording (so the caller can say which part of the work did). Otherwise does nothing.
  virtual void check_recording(const std::string& /*where*/) {}
};

enum class DeviceRequest { Auto, CPU, CUDA };
DeviceRequest parse_device_request(const std::string& s);  // throws ConfigError

// True when a CUDA device is present and usable; `why` explains when not (no driver, no device,
// built without CUDA).
bool cuda_available(std::string* why);

// Builds the backend for a request. CUDA on a machine without a device throws ConfigError with the
// reason; with one it returns the CUDA backend (with a one-line notice while that backend is not yet
// verified on a device). Auto stays on the CPU, with a one-line notice saying why, until the CUDA
// backend has passed its tests on a GPU.
std::unique_ptr<Backend> make_backend(DeviceRequest req, std::string* notice);

}  // namespace gd
