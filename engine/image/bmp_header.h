#pragma once
// Structural check of a BMP file before stb_image decodes it (stb reads past a truncated pixel
// array as zeros): the header must be complete, the image size positive, the compression one stb
// reads (none or bit fields; RLE, embedded JPEG/PNG are refused by name), and the pixel array
// (rows padded to 4 bytes, starting at the header's data offset) must fit in the file.
#include <cstddef>
#include <cstdint>
#include <string>

namespace gd {

struct BmpLayout {
  int width = 0, height = 0;  // height positive (top-down files have a negative stored height)
  int bits_per_pixel = 0;
};

// data[0..n) starts with "BM". Throws DataError naming `name` and the problem.
BmpLayout check_bmp_header(const uint8_t* data, size_t n, const std::string& name);

}  // namespace gd
