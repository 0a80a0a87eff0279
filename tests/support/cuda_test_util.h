#pragma once
// Helpers for CUDA-vs-reference tests (only compiled where GD_HAVE_CUDA is defined):
//  GD_SKIP_WITHOUT_CUDA()   GTEST_SKIP with the runtime's reason when no device is usable
//  CudaTestContext          a Context (non-blocking stream, cuBLAS, cuDNN, reduction scratch) for one test
//  DeviceVector<T>          device copy of a host vector, copied on a given stream; .host() downloads
//                           after the stream's queued work (synchronising)
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/ops/workspace.h"

#ifdef GD_HAVE_CUDA
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_context.h"

namespace gd::test {

// Every copy runs on the stream the data is used on (the rule of the whole CUDA backend: the
// backend's and CudaTestContext's streams are non-blocking, so a legacy-stream cudaMemcpy would not
// be ordered with their kernels). The upload waits for its stream, so `host` may go away afterwards.
template <typename T>
class DeviceVector {
 public:
  DeviceVector(cudaStream_t stream, const std::vector<T>& host) : stream_(stream), n_(host.size()) {
    GD_CUDA_CHECK(cudaMalloc(&ptr_, std::max<size_t>(n_, 1) * sizeof(T)));
    if (n_) {
      GD_CUDA_CHECK(cudaMemcpyAsync(ptr_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice, stream_));
      GD_CUDA_CHECK(cudaStreamSynchronize(stream_));
    }
  }
  DeviceVector(cudaStream_t stream, size_t n, T fill = T()) : DeviceVector(stream, std::vector<T>(n, fill)) {}
  ~DeviceVector() { cudaFree(ptr_); }  // cudaFree waits for the device: work using it has finished
  DeviceVector(const DeviceVector&) = delete;
  DeviceVector& operator=(const DeviceVector&) = delete;
  T* get() const { return ptr_; }
  size_t bytes() const { return n_ * sizeof(T); }
  Workspace workspace() const { return Workspace{ptr_, bytes()}; }  // as an op's scratch, full capacity
  // Downloads after everything queued on the stream so far.
  std::vector<T> host() const {
    std::vector<T> out(n_);
    if (n_) GD_CUDA_CHECK(cudaMemcpyAsync(out.data(), ptr_, n_ * sizeof(T), cudaMemcpyDeviceToHost, stream_));
    GD_CUDA_CHECK(cudaStreamSynchronize(stream_));
    return out;
  }

 private:
  cudaStream_t stream_;
  T* ptr_ = nullptr;
  size_t n_;
};

class CudaTestContext {
 public:
  CudaTestContext() {
    GD_CUDA_CHECK(cudaStreamCreateWithFlags(&ctx.stream, cudaStreamNonBlocking));  // as the backend's
    if (cublasCreate(&ctx.cublas) != CUBLAS_STATUS_SUCCESS) throw Error("cublasCreate failed");
    cublasSetStream(ctx.cublas, ctx.stream);
    GD_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&ctx.reduction_scratch),
                             cuda::kReductionScratchDoubles * sizeof(double)));
#ifdef GD_HAVE_CUDNN
    if (cudnnCreate(&ctx.cudnn) != CUDNN_STATUS_SUCCESS) throw Error("cudnnCreate failed");
    cudnnSetStream(ctx.cudnn, ctx.stream);
#endif
  }
  ~CudaTestContext() {
#ifdef GD_HAVE_CUDNN
    cudnnDestroy(ctx.cudnn);
#endif
    cublasDestroy(ctx.cublas);
    cudaFree(ctx.reduction_scratch);
    cudaStreamDestroy(ctx.stream);
  }
  cuda::Context ctx;
};

}  // namespace gd::test
#endif

#define GD_SKIP_WITHOUT_CUDA()                                              \
  do {                                                                      \
    std::string gd_why_;                                                    \
    if (!::gd::cuda_available(&gd_why_)) GTEST_SKIP() << "no CUDA device: " << gd_why_; \
  } while (0)
