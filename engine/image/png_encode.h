#pragma once
// 8-bit grayscale PNG output (stb_image_write), for saving what a model saw and for reports.
#include <string>

#include "engine/image/gray_image.h"

namespace gd {

// The PNG file bytes of `img` (one 8-bit gray channel). Throws ShapeError for an empty image.
std::string encode_png(const GrayImage& img);

// Writes encode_png(img) to `path` atomically (write_file_atomic). Throws gd::Error naming the path.
void write_png(const std::string& path, const GrayImage& img);

}  // namespace gd
