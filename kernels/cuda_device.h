#pragma once
// Device discovery, callable from host-only code (no CUDA headers here).
#include <string>

namespace gd::cuda {

// True when the CUDA runtime finds at least one usable device; otherwise `why` (if given) says why
// (no driver, no device, insufficient driver), using the runtime's own error string.
bool device_available(std::string* why);

// "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB)" for device 0.
std::string device_description();

}  // namespace gd::cuda
