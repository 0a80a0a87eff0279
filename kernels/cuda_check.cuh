#pragma once
// One check macro for CUDA runtime, cuBLAS and cuDNN calls: on failure it throws gd::Error with the
// statement, file, line and the library's error string. With GD_CUDA_SYNC_DEBUG defined, GD_CUDA_LAUNCH
// also synchronises after each kernel launch so asynchronous faults are reported at their source.
// A status type is supported by giving it a status_ok/status_string overload below.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#ifdef GD_HAVE_CUDNN
#include <cudnn.h>
#endif

#include <sstream>
#include <string>

#include "engine/core/error.h"

namespace gd::cuda {

inline const char* status_string(cudaError_t e) { return cudaGetErrorString(e); }
inline bool status_ok(cudaError_t e) { return e == cudaSuccess; }

inline const char* status_string(cublasStatus_t e) { return cublasGetStatusString(e); }
inline bool status_ok(cublasStatus_t e) { return e == CUBLAS_STATUS_SUCCESS; }

#ifdef GD_HAVE_CUDNN
inline const char* status_string(cudnnStatus_t e) { return cudnnGetErrorString(e); }
inline bool status_ok(cudnnStatus_t e) { return e == CUDNN_STATUS_SUCCESS; }
#endif

template <typename Status>
inline void check_status(Status st, const char* stmt, const char* file, int line) {
  if (status_ok(st)) return;
  std::ostringstream os;
  os << "CUDA call failed: " << stmt << " -> " << status_string(st) << " [" << file << ":" << line << "]";
  throw ::gd::Error(os.str());
}

}  // namespace gd::cuda

#define GD_CUDA_CHECK(stmt) ::gd::cuda::check_status((stmt), #stmt, __FILE__, __LINE__)

#ifdef GD_CUDA_SYNC_DEBUG
#define GD_CUDA_LAUNCH(what)                                               \
  do {                                                                     \
    GD_CUDA_CHECK(cudaGetLastError());                                     \
    GD_CUDA_CHECK(cudaDeviceSynchronize());                                \
  } while (0)
#else
#define GD_CUDA_LAUNCH(what) GD_CUDA_CHECK(cudaGetLastError())
#endif
