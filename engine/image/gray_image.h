#pragma once
// An 8-bit grayscale image in host memory, row-major, one byte per pixel.
#include <cstdint>
#include <string>
#include <vector>

namespace gd {

struct GrayImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // (height, width)

  GrayImage() = default;
  GrayImage(int w, int h, uint8_t fill = 0);  // throws ShapeError for non-positive sizes
  uint8_t& at(int x, int y) { return pixels[static_cast<size_t>(y) * width + x]; }
  uint8_t at(int x, int y) const { return pixels[static_cast<size_t>(y) * width + x]; }
  bool empty() const { return pixels.empty(); }
};

}  // namespace gd
