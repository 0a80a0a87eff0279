#pragma once
// A float32 tensor: a shape and a view into a buffer owned by a backend (host or device memory).
// Tensor never dereferences its pointer itself, so the same graph code runs on any backend.
#include <cstddef>
#include <functional>
#include <memory>

#include "engine/core/device.h"
#include "engine/core/shape.h"

namespace gd {

// Owns one allocation. Created by a Backend; freed through the deleter the backend supplies.
class Buffer {
 public:
  // Called once with the pointer when the buffer goes away; must not throw. It may hold state (the
  // CUDA backend's deleter keeps the stream its frees are ordered on alive).
  using Deleter = std::function<void(void*)>;
  Buffer(Device device, void* ptr, size_t bytes, Deleter deleter)
      : device_(device), ptr_(ptr), bytes_(bytes), deleter_(std::move(deleter)) {}
  ~Buffer() {
    if (ptr_ && deleter_) deleter_(ptr_);
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  Device device() const { return device_; }
  void* data() const { return ptr_; }
  size_t bytes() const { return bytes_; }

 private:
  Device device_;
  void* ptr_;
  size_t bytes_;
  Deleter deleter_;
};

class Tensor {
 public:
  Tensor() = default;
  // A view of `shape.numel()` floats starting `offset_floats` into `buffer`.
  Tensor(std::shared_ptr<Buffer> buffer, size_t offset_floats, Shape shape);

  const Shape& shape() const { return shape_; }
  int64_t numel() const { return shape_.numel(); }
  Device device() const;
  bool defined() const { return buffer_ != nullptr; }
  float* data() const;
  // The same memory seen with another shape of equal element count (flatten is free).
  Tensor reshaped(const Shape& shape) const;
  const std::shared_ptr<Buffer>& buffer() const { return buffer_; }

 private:
  std::shared_ptr<Buffer> buffer_;
  size_t offset_ = 0;
  Shape shape_;
};

}  // namespace gd
