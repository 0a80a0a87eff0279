#pragma once
// Which image format a file holds, decided by its first bytes (never by the file name):
//  PNG   89 50 4E 47 0D 0A 1A 0A
//  JPEG  FF D8 FF
//  PNM   "P1".."P6" followed by whitespace or '#' (PBM, PGM, PPM; ASCII and binary)
//  BMP   "BM" with a known DIB header size (12, 40, 52, 56, 64, 108 or 124) at byte 14
// Anything else is not readable; describe_unreadable() names what it seems to be instead (GIF,
// WebP, TIFF, PAM, HEIF/AVIF, PDF, ...) or shows its first bytes, for the error message.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace gd {

enum class ImageFormat { Png, Jpeg, Pnm, Bmp };

const char* format_name(ImageFormat f);  // "PNG", "JPEG", "PNM", "BMP"

// The format of data[0..n), or nullopt when it is none of the four.
std::optional<ImageFormat> detect_image_format(const uint8_t* data, size_t n);

// Why data[0..n) cannot be read, for a file detect_image_format() rejected, e.g.
// "a GIF image, which is not supported (supported: PNG, JPEG, PNM, BMP; convert it to PNG)" or
// "not an image: unrecognised content (first bytes 48 65 6c 6c 6f 0a); supported: ...".
std::string describe_unreadable(const uint8_t* data, size_t n);

}  // namespace gd
