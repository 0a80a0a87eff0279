#pragma once
// Helpers for CUDA-vs-reference tests (only compiled where GD_HAVE_CUDA is defined):
//  GD_SKIP_WITHOUT_CUDA()   GTEST_SKIP with the runtime's reason when no device is usable
//  CudaTestContext          a Context (stream, cuBLAS, cuDNN, reduction scratch) created for one test
//  DeviceVector<T>          device copy of a host vector; .host() downloads (synchronising)
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/backend/backend.h"

#ifdef GD_HAVE_CUDA
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_context.h"

namespace gd::test {

template <typename T>
class DeviceVector {
 public:
  explicit DeviceVector(const std::vector<T>& host) : n_(host.size()) {
    GD_CUDA_CHECK(cudaMalloc(&ptr_, std::max<size_t>(n_, 1) * sizeof(T)));
    if (n_) GD_CUDA_CHECK(cudaMemcpy(ptr_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice));
  }
  explicit DeviceVector(size_t n, T fill = T()) : DeviceVector(std::vector<T>(n, fill)) {}
  ~DeviceVector() { cudaFree(ptr_); }
  DeviceVector(const DeviceVector&) = delete;
  DeviceVector& operator=(const DeviceVector&) = delete;
  T* get() const { return ptr_; }
  std::vector<T> host() const {
    std::vector<T> out(n_);
    GD_CUDA_CHECK(cudaDeviceSynchronize());
    if (n_) GD_CUDA_CHECK(cudaMemcpy(out.data(), ptr_, n_ * sizeof(T), cudaMemcpyDeviceToHost));
    return out;
  }

 private:
  T* ptr_ = nullptr;
  size_t n_;
};

class CudaTestContext {
 public:
  CudaTestContext() {
    GD_CUDA_CHECK(cudaStreamCreate(&ctx.stream));
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
