#pragma once
// Reading an image file into a 16-bit luminance image, whatever its format, size and colour model.
//
// The format is detected from the bytes (image_format.h): PNG (1/2/4/8/16-bit gray, RGB, palette,
// with or without alpha or tRNS, interlaced or not), JPEG (baseline and progressive, gray and
// colour), PNM (P1..P6, maxval up to 65535: pnm_decode.h) and BMP (uncompressed). PNG, JPEG and BMP
// are checked structurally first (png_chunks.h, jpeg_markers.h, bmp_header.h), then decoded by
// libraries built for untrusted input: PNG by libpng (png_decode.h), JPEG by libjpeg-turbo
// (jpeg_decode.h); BMP (uncompressed only) by stb_image, whose reads the header check bounds.
//
// Then: colour -> luminance with BT.601 weights, transparency composited over a backdrop implied
// by the visible pixels (luminance.h), and the EXIF orientation of JPEG/PNG applied
// (exif_orientation.h), so the result looks the way an image viewer shows the file.
//
// Limits: images above kMaxImagePixels pixels are refused before any pixel memory is allocated
// (the header is read first), as are files above kMaxImageFileBytes. Peak memory for the largest
// allowed image is about 10 bytes per pixel (an RGBA decode plus the 16-bit result).
//
// Errors: DataError naming the file and the reason (missing, a directory, empty, not an image or an
// unsupported format with what it looks like, truncated, corrupt with the decoder's message, too
// large).
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/image/gray_image.h"
#include "engine/image/image_format.h"

namespace gd {

constexpr int64_t kMaxImagePixels = int64_t{1} << 26;     // 67,108,864 pixels (8192 x 8192)
constexpr int64_t kMaxImageFileBytes = int64_t{1} << 30;  // 1 GiB

struct DecodedImage {
  GrayImage16 image;    // luminance 0..65535, as displayed (orientation applied, alpha composited)
  ImageFormat format = ImageFormat::Png;
  int channels = 1;     // in the file: 1 gray, 2 gray+alpha, 3 colour, 4 colour+alpha
  int bit_depth = 8;    // 1 (PBM), 8, or 16 (16-bit PNG, PNM with maxval > 255)
  bool progressive = false;   // JPEG only
  int orientation = 1;        // EXIF orientation that was applied (1: none)
  double alpha_backdrop = -1; // luminance 0..1 transparency was composited over; -1 without alpha
  std::string describe() const;  // e.g. "PNG 16-bit gray+alpha 640x480"
};

// Decodes data[0..n); `name` (usually the path) appears in every error message.
DecodedImage decode_image(const uint8_t* data, size_t n, const std::string& name,
                          int64_t max_pixels = kMaxImagePixels);

// Reads and decodes the file at `path`.
DecodedImage read_image(const std::string& path, int64_t max_pixels = kMaxImagePixels);

}  // namespace gd
