#pragma once
// Marks functions that must compile for both the CPU reference and CUDA kernels
// (e.g. the Philox generator, so CPU and GPU draw identical dropout masks).
#if defined(__CUDACC__)
#define GD_HOST_DEVICE __host__ __device__
#else
#define GD_HOST_DEVICE
#endif
