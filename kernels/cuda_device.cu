#include <cstdio>

#include "kernels/cuda_check.cuh"
#include "kernels/cuda_device.h"

namespace gd::cuda {

bool device_available(std::string* why) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    if (why) {
      const std::string rt = std::string("CUDA runtime: ") + cudaGetErrorString(e);
      if (e == cudaErrorInsufficientDriver)
        *why = "no NVIDIA driver is loaded, or it is older than this CUDA runtime (" + rt + ")";
      else if (e == cudaErrorNoDevice)
        *why = "no CUDA device found (" + rt + ")";
      else
        *why = rt;
    }
    cudaGetLastError();  // clear the sticky error state
    return false;
  }
  if (count == 0) {
    if (why) *why = "no CUDA device found";
    return false;
  }
  return true;
}

std::string device_description() {
  cudaDeviceProp prop{};
  GD_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s (sm_%d%d, %.1f GiB)", prop.name, prop.major, prop.minor,
                static_cast<double>(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

}  // namespace gd::cuda
