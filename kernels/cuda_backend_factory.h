#pragma once
// Host-only entry point to the CUDA backend (no CUDA headers), so engine/backend/backend.cpp can
// construct it. Only defined in builds with GD_HAVE_CUDA (kernels/cuda_backend.cu).
#include <memory>

#include "engine/backend/backend.h"

namespace gd {

// A CudaBackend on device 0. Throws gd::Error (with the CUDA/cuBLAS/cuDNN error string) when the
// device or a library handle cannot be set up.
std::unique_ptr<Backend> make_cuda_backend();

}  // namespace gd
