// Stream-ordered device memory of a CudaBackend (contract: kernels/cuda_stream_memory.h).
#include "kernels/cuda_stream_memory.h"

#include <algorithm>
#include <cstdint>

#include "engine/core/error.h"
#include "kernels/cuda_check.cuh"

namespace gd::cuda {

std::shared_ptr<StreamMemory> StreamMemory::create() {
  std::shared_ptr<StreamMemory> m(new StreamMemory());
  GD_CUDA_CHECK(cudaStreamCreateWithFlags(&m->stream_, cudaStreamNonBlocking));
  int device = 0;
  GD_CUDA_CHECK(cudaGetDevice(&device));
  cudaMemPool_t pool = nullptr;
  GD_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
  uint64_t keep_everything = UINT64_MAX;  // freed memory stays in the pool for the next allocation
  GD_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep_everything));
  return m;
}

StreamMemory::~StreamMemory() {
  for (void* p : deferred_) cudaFreeAsync(p, stream_);
  if (stream_) {
    cudaStreamSynchronize(stream_);
    cudaStreamDestroy(stream_);
  }
  cudaGetLastError();  // teardown errors are not reported from a destructor
}

std::shared_ptr<Buffer> StreamMemory::allocate(size_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    GD_CHECK(!recording_, "cuda allocation of " << bytes
                                                << " bytes while a CUDA graph is being recorded: everything a "
                                                   "recorded step uses must be allocated before recording");
  }
  const size_t rounded = std::max<size_t>(256, (bytes + 255) / 256 * 256);
  void* p = nullptr;
  const cudaError_t e = cudaMallocAsync(&p, rounded, stream_);
  GD_CHECK(e == cudaSuccess, "cuda allocation of " << bytes << " bytes failed: " << cudaGetErrorString(e));
  std::shared_ptr<Buffer> buffer;
  try {
    std::shared_ptr<StreamMemory> self = shared_from_this();
    buffer = std::make_shared<Buffer>(Device::CUDA, p, bytes, [self](void* q) { self->release(q); });
  } catch (...) {
    cudaFreeAsync(p, stream_);
    throw;
  }
  GD_CUDA_CHECK(cudaMemsetAsync(p, 0, rounded, stream_));
  return buffer;
}

void StreamMemory::begin_recording() {
  std::lock_guard<std::mutex> lock(mu_);
  recording_ = true;
}

bool StreamMemory::recording() {
  std::lock_guard<std::mutex> lock(mu_);
  return recording_;
}

void StreamMemory::end_recording() {
  std::vector<void*> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    recording_ = false;
    pending.swap(deferred_);
  }
  for (void* p : pending) release(p);
}

void StreamMemory::release(void* p) noexcept {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (recording_) {
      deferred_.push_back(p);
      return;
    }
  }
  // Ordered after all work queued on the stream so far, i.e. after every kernel that may use p.
  cudaFreeAsync(p, stream_);
  cudaGetLastError();  // do not leave a sticky error for the next, unrelated check
}

}  // namespace gd::cuda
