#include "engine/image/gray_image.h"

#include "engine/core/error.h"

namespace gd {
namespace {

void check_size(int w, int h) {
  if (w <= 0 || h <= 0)
    throw ShapeError("image size must be positive, got " + std::to_string(w) + "x" + std::to_string(h));
}

}  // namespace

GrayImage::GrayImage(int w, int h, uint8_t fill) : width(w), height(h) {
  check_size(w, h);
  pixels.assign(static_cast<size_t>(w) * h, fill);
}

GrayImage16::GrayImage16(int w, int h, uint16_t fill) : width(w), height(h) {
  check_size(w, h);
  pixels.assign(static_cast<size_t>(w) * h, fill);
}

FloatImage::FloatImage(int w, int h, float fill) : width(w), height(h) {
  check_size(w, h);
  pixels.assign(static_cast<size_t>(w) * h, fill);
}

GrayImage16 to_gray16(const GrayImage& img) {
  GrayImage16 out(img.width, img.height);
  for (size_t i = 0; i < img.pixels.size(); ++i) out.pixels[i] = static_cast<uint16_t>(img.pixels[i] * 257u);
  return out;
}

GrayImage to_gray8(const GrayImage16& img) {
  GrayImage out(img.width, img.height);
  for (size_t i = 0; i < img.pixels.size(); ++i)
    out.pixels[i] = static_cast<uint8_t>((img.pixels[i] * 255u + 32767u) / 65535u);
  return out;
}

}  // namespace gd
