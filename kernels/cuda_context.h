#pragma once
// The per-backend CUDA state every launcher receives: one stream, the cuBLAS handle, the cuDNN
// handle when the build has cuDNN (GD_HAVE_CUDNN), and the math precision of GEMMs and
// convolutions. All launches go to `stream`; nothing synchronises the host unless a function says
// so.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#ifdef GD_HAVE_CUDNN
#include <cudnn.h>
#endif

#include "engine/core/math_precision.h"

namespace gd::cuda {

// Doubles of device scratch owned by the backend for reductions that must not allocate (they may run
// inside a recorded CUDA graph): two rows of kReductionPartials block partials (a reduction of two
// quantities, e.g. loss and hit count, uses both) plus two result slots after them.
constexpr int kReductionPartials = 1024;
constexpr int kReductionScratchDoubles = 2 * kReductionPartials + 2;

struct Context {
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  double* reduction_scratch = nullptr;  // (kReductionScratchDoubles), device memory
#ifdef GD_HAVE_CUDNN
  cudnnHandle_t cudnn = nullptr;
#endif
  // Compute mode of the cuBLAS GEMMs (gemm_rm.cuh) and cuDNN convolutions (conv2d.cu); FP32 runs
  // exactly the calls of builds without this setting.
  MathPrecision precision = MathPrecision::FP32;
};

}  // namespace gd::cuda
