#include "engine/image/gray_image.h"

#include "engine/core/error.h"

namespace gd {

GrayImage::GrayImage(int w, int h, uint8_t fill) : width(w), height(h) {
  if (w <= 0 || h <= 0)
    throw ShapeError("image size must be positive, got " + std::to_string(w) + "x" + std::to_string(h));
  pixels.assign(static_cast<size_t>(w) * h, fill);
}

}  // namespace gd
