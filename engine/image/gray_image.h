#pragma once
// Grayscale images in host memory, row-major (pixel (x, y) at index y * width + x, y downwards):
//  GrayImage    8-bit, what models see and what gets saved as PNG (0 black .. 255 white)
//  GrayImage16  16-bit luminance, what the decoders produce (0 black .. 65535 white; 8-bit sources
//               are scaled by 257 so 255 -> 65535), so 16-bit PNG/PNM keep their precision
//  FloatImage   float working image of the preprocessing (ink intensity 0..1)
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

struct GrayImage16 {
  int width = 0, height = 0;
  std::vector<uint16_t> pixels;  // (height, width)

  GrayImage16() = default;
  GrayImage16(int w, int h, uint16_t fill = 0);  // throws ShapeError for non-positive sizes
  uint16_t& at(int x, int y) { return pixels[static_cast<size_t>(y) * width + x]; }
  uint16_t at(int x, int y) const { return pixels[static_cast<size_t>(y) * width + x]; }
  bool empty() const { return pixels.empty(); }
};

struct FloatImage {
  int width = 0, height = 0;
  std::vector<float> pixels;  // (height, width)

  FloatImage() = default;
  FloatImage(int w, int h, float fill = 0.f);  // throws ShapeError for non-positive sizes
  float& at(int x, int y) { return pixels[static_cast<size_t>(y) * width + x]; }
  float at(int x, int y) const { return pixels[static_cast<size_t>(y) * width + x]; }
  bool empty() const { return pixels.empty(); }
};

// 8-bit -> 16-bit (v * 257, exact) and 16-bit -> 8-bit (rounded: (v * 255 + 32767) / 65535).
GrayImage16 to_gray16(const GrayImage& img);
GrayImage to_gray8(const GrayImage16& img);

}  // namespace gd
