#include "engine/image/image_format.h"

#include <cstdio>
#include <cstring>

namespace gd {
namespace {

constexpr const char* kSupported = "supported: PNG, JPEG, PNM (PBM/PGM/PPM), BMP";

bool starts_with(const uint8_t* d, size_t n, const char* magic, size_t len) {
  return n >= len && std::memcmp(d, magic, len) == 0;
}

uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

bool is_pnm_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

const char* format_name(ImageFormat f) {
  switch (f) {
    case ImageFormat::Png: return "PNG";
    case ImageFormat::Jpeg: return "JPEG";
    case ImageFormat::Pnm: return "PNM";
    case ImageFormat::Bmp: return "BMP";
  }
  return "?";
}

std::optional<ImageFormat> detect_image_format(const uint8_t* d, size_t n) {
  if (starts_with(d, n, "\x89PNG\r\n\x1a\n", 8)) return ImageFormat::Png;
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return ImageFormat::Jpeg;
  if (n >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6' && (is_pnm_space(d[2]) || d[2] == '#'))
    return ImageFormat::Pnm;
  if (n >= 18 && d[0] == 'B' && d[1] == 'M') {
    const uint32_t dib = le32(d + 14);
    if (dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 64 || dib == 108 || dib == 124)
      return ImageFormat::Bmp;
  }
  return std::nullopt;
}

std::string describe_unreadable(const uint8_t* d, size_t n) {
  if (n == 0) return "empty file (0 bytes)";
  const char* what = nullptr;
  if (starts_with(d, n, "GIF87a", 6) || starts_with(d, n, "GIF89a", 6)) what = "a GIF image";
  else if (n >= 12 && starts_with(d, n, "RIFF", 4) && std::memcmp(d + 8, "WEBP", 4) == 0) what = "a WebP image";
  else if (starts_with(d, n, "II*\0", 4) || starts_with(d, n, "MM\0*", 4)) what = "a TIFF image";
  else if (n >= 12 && std::memcmp(d + 4, "ftyp", 4) == 0) what = "an ISO media file (HEIF/AVIF image or video)";
  else if (starts_with(d, n, "\0\0\0\x0cjP  ", 8) || starts_with(d, n, "\xff\x4f\xff\x51", 4)) what = "a JPEG 2000 image";
  else if (starts_with(d, n, "P7", 2)) what = "a PAM (P7) image";
  else if (starts_with(d, n, "8BPS", 4)) what = "a Photoshop document";
  else if (starts_with(d, n, "%PDF", 4)) what = "a PDF document";
  else if (starts_with(d, n, "\x89PNG", 4)) what = "a damaged PNG (its 8-byte signature is altered)";
  else if (starts_with(d, n, "\xff\xd8", 2)) what = "a damaged JPEG (no marker after the start-of-image)";
  else if (n >= 2 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6') what = "a damaged PNM (no whitespace after the magic number)";
  else if (starts_with(d, n, "BM", 2)) what = "a BMP with an unknown header size";
  if (what) return std::string("this is ") + what + ", which cannot be read (" + kSupported + "; convert it to PNG)";
  std::string hex;
  const size_t show = n < 8 ? n : 8;
  for (size_t i = 0; i < show; ++i) {
    char b[4];
    std::snprintf(b, sizeof b, "%02x", d[i]);
    hex += (i ? " " : "") + std::string(b);
  }
  return "not an image: unrecognised content (first bytes " + hex + "); " + kSupported;
}

}  // namespace gd
