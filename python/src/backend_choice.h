#pragma once
// The backend every Python entry point uses for a device request ("auto", "cpu", "cuda"); the
// engine's notice (e.g. no usable CUDA device, training on the CPU) becomes one RuntimeWarning per
// process. Defined in module.cpp.
#include <memory>
#include <string>

#include "engine/backend/backend.h"

namespace gd::py_bind {

std::unique_ptr<Backend> make_backend_for(const std::string& device);

}  // namespace gd::py_bind
