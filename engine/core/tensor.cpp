#include "engine/core/tensor.h"

#include "engine/core/error.h"

namespace gd {

Tensor::Tensor(std::shared_ptr<Buffer> buffer, size_t offset_floats, Shape shape)
    : buffer_(std::move(buffer)), offset_(offset_floats), shape_(std::move(shape)) {
  GD_CHECK(buffer_ != nullptr, "Tensor created on a null buffer");
  const size_t need = (offset_ + static_cast<size_t>(shape_.numel())) * sizeof(float);
  GD_CHECK_SHAPE(need <= buffer_->bytes(), "tensor of shape " << shape_.str() << " at offset "
                                                              << offset_ << " overruns its buffer of "
                                                              << buffer_->bytes() << " bytes");
}

Device Tensor::device() const {
  GD_CHECK(defined(), "device() of an undefined tensor");
  return buffer_->device();
}

float* Tensor::data() const {
  if (!buffer_) return nullptr;
  return static_cast<float*>(buffer_->data()) + offset_;
}

Tensor Tensor::reshaped(const Shape& shape) const {
  GD_CHECK_SHAPE(shape.numel() == shape_.numel(),
                 "cannot reshape " << shape_.str() << " to " << shape.str());
  return Tensor(buffer_, offset_, shape);
}

}  // namespace gd
