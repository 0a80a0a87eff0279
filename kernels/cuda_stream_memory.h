#pragma once
// Device memory of one CudaBackend, ordered on its stream: allocations come from the device's
// default memory pool (cudaMallocAsync) and frees go back to it with cudaFreeAsync on the same
// stream, so dropping a buffer never synchronises the device, and freed memory is reused in stream
// order (the pool's release threshold is raised, so it keeps its memory across synchronisations
// instead of returning it to the driver).
//
// It owns the backend's non-blocking stream: buffers may outlive their backend, and the stream is
// destroyed when the last of them (or the backend) lets go of this object.
//
// Graph recording: between begin_recording and end_recording, allocate() throws (a stream-ordered
// allocation would be captured into the graph) and frees are deferred until the recording ends (a
// free captured into the graph would run at every replay).
#include <cuda_runtime.h>

#include <memory>
#include <mutex>
#include <vector>

#include "engine/core/tensor.h"

namespace gd::cuda {

class StreamMemory : public std::enable_shared_from_this<StreamMemory> {
 public:
  // Creates the stream on the current device and prepares the pool; throws gd::Error on failure.
  static std::shared_ptr<StreamMemory> create();
  ~StreamMemory();
  StreamMemory(const StreamMemory&) = delete;
  StreamMemory& operator=(const StreamMemory&) = delete;

  cudaStream_t stream() const { return stream_; }
  // At least `bytes` (rounded up to 256) of zeroed device memory, zeroed on the stream.
  std::shared_ptr<Buffer> allocate(size_t bytes);
  void begin_recording();
  void end_recording();  // frees what was dropped while recording
  bool recording();

 private:
  StreamMemory() = default;
  void release(void* p) noexcept;  // the buffers' deleter

  cudaStream_t stream_ = nullptr;
  std::mutex mu_;
  bool recording_ = false;
  std::vector<void*> deferred_;
};

}  // namespace gd::cuda
