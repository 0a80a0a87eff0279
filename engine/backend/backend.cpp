#include "engine/backend/backend.h"

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#ifdef GD_HAVE_CUDA
#include "kernels/cuda_device.h"
#endif

namespace gd {

Tensor Backend::empty(const Shape& shape) {
  return Tensor(allocate(static_cast<size_t>(shape.numel()) * sizeof(float)), 0, shape);
}

DeviceRequest parse_device_request(const std::string& s) {
  if (s == "auto") return DeviceRequest::Auto;
  if (s == "cpu") return DeviceRequest::CPU;
  if (s == "cuda" || s == "gpu") return DeviceRequest::CUDA;
  throw ConfigError("unknown device '" + s + "' (expected auto, cpu or cuda)");
}

bool cuda_available(std::string* why) {
#ifdef GD_HAVE_CUDA
  return cuda::device_available(why);
#else
  if (why) *why = "this build has no CUDA backend (configured with GD_CUDA=OFF or without nvcc)";
  return false;
#endif
}

std::unique_ptr<Backend> make_backend(DeviceRequest req, std::string* notice) {
  std::string why;
  const bool have_device = req != DeviceRequest::CPU && cuda_available(&why);
  // The CUDA backend's kernels land with the CUDA-backend issue; until then a present device is
  // reported and the CPU backend used, so nothing pretends to run on the GPU.
  const bool have_backend = false;
  if (req == DeviceRequest::CUDA) {
    if (!have_device) throw ConfigError("--device cuda requested but " + why);
    if (!have_backend)
      throw ConfigError("--device cuda requested: a CUDA device is present but this version has no CUDA backend yet; use --device cpu");
  }
  if (req == DeviceRequest::Auto && notice) {
    if (!have_device)
      *notice = "no usable CUDA device (" + why + "); training on the CPU";
    else if (!have_backend)
      *notice = "CUDA device found but the CUDA backend is not built yet; training on the CPU";
  }
  return std::make_unique<CpuBackend>();
}

}  // namespace gd
