#include "engine/image/bmp_header.h"

#include <cstdlib>

#include "engine/core/error.h"

namespace gd {
namespace {

uint32_t le16(const uint8_t* p) { return p[0] | p[1] << 8; }
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

}  // namespace

BmpLayout check_bmp_header(const uint8_t* d, size_t n, const std::string& name) {
  const std::string who = name + ": ";
  GD_CHECK_T(n >= 18, DataError, who << "truncated BMP: only " << n << " bytes");
  const uint32_t offset = le32(d + 10);
  const uint32_t dib = le32(d + 14);
  GD_CHECK_T(n >= 14 + static_cast<size_t>(dib), DataError,
             who << "truncated BMP: the " << dib << "-byte info header needs " << 14 + dib << " bytes, the file has " << n);
  BmpLayout out;
  int64_t w, h;
  uint32_t compression = 0;
  if (dib == 12) {
    w = le16(d + 18);
    h = le16(d + 20);
    out.bits_per_pixel = static_cast<int>(le16(d + 24));
  } else {
    w = static_cast<int32_t>(le32(d + 18));
    h = static_cast<int32_t>(le32(d + 22));
    out.bits_per_pixel = static_cast<int>(le16(d + 28));
    compression = le32(d + 30);
  }
  GD_CHECK_T(w > 0 && h != 0, DataError, who << "corrupt BMP: image size " << w << "x" << h);
  h = std::llabs(h);
  switch (compression) {
    case 0: case 3: case 6: break;  // BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS
    case 1: case 2: throw DataError(who + "BMP with RLE compression is not supported (save it uncompressed or as PNG)");
    case 4: case 5: throw DataError(who + "BMP with an embedded JPEG/PNG is not supported (extract or convert it)");
    default: throw DataError(who + "corrupt BMP: unknown compression " + std::to_string(compression));
  }
  const int bpp = out.bits_per_pixel;
  GD_CHECK_T(bpp == 1 || bpp == 4 || bpp == 8 || bpp == 16 || bpp == 24 || bpp == 32, DataError,
             who << "corrupt BMP: " << bpp << " bits per pixel");
  const uint64_t stride = (static_cast<uint64_t>(w) * bpp + 31) / 32 * 4;
  const uint64_t need = static_cast<uint64_t>(offset) + stride * static_cast<uint64_t>(h);
  GD_CHECK_T(offset >= 14 + dib && offset <= n, DataError,
             who << "corrupt BMP: pixel data offset " << offset << " is outside the file (" << n << " bytes)");
  GD_CHECK_T(need <= n, DataError,
             who << "truncated BMP: " << w << "x" << h << " pixels at " << bpp << " bits need " << need
                 << " bytes, the file has " << n);
  out.width = static_cast<int>(w);
  out.height = static_cast<int>(h);
  return out;
}

}  // namespace gd
