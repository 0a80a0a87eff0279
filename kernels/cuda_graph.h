#pragma once
// Recording backend work as a CUDA graph (Backend::record on the CUDA backend): the work is captured
// from `stream` in thread-local capture mode, so any forbidden call made by this thread while
// recording (an allocation, a synchronisation, a host copy) fails the recording with the CUDA error
// instead of silently running. The graph is instantiated once and replayed with cudaGraphLaunch on
// the same stream. Builds with GD_CUDA_SYNC_DEBUG cannot record (that mode synchronises after every
// launch): record() then throws.
#include <cuda_runtime.h>

#include <functional>
#include <memory>

#include "engine/backend/backend.h"

namespace gd::cuda {

std::unique_ptr<RecordedWork> record_graph(cudaStream_t stream, const std::function<void()>& work);

}  // namespace gd::cuda
