#include "engine/image/png_chunks.h"

#include <zlib.h>

#include "engine/core/error.h"

namespace gd {
namespace {

uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 | p[3];
}

bool is_letter(uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

}  // namespace

PngLayout check_png_chunks(const uint8_t* d, size_t n, const std::string& name) {
  const std::string who = name + ": ";
  GD_CHECK_T(n >= 8, DataError, who << "truncated PNG: only " << n << " bytes");
  PngLayout out;
  size_t pos = 8;
  bool first = true;
  for (;;) {
    if (n - pos < 12) {
      throw DataError(who + "truncated PNG: file ends at byte " + std::to_string(n) +
                      (first ? " before the IHDR chunk" : " before the IEND chunk"));
    }
    const uint32_t len = be32(d + pos);
    const uint8_t* type = d + pos + 4;
    const std::string tname(reinterpret_cast<const char*>(type), 4);
    for (int i = 0; i < 4; ++i)
      GD_CHECK_T(is_letter(type[i]), DataError, who << "corrupt PNG: invalid chunk type at byte " << pos);
    GD_CHECK_T(len <= 0x7fffffffu, DataError,
               who << "corrupt PNG: chunk '" << tname << "' at byte " << pos << " declares " << len << " bytes");
    if (static_cast<uint64_t>(len) + 12 > n - pos)
      throw DataError(who + "truncated PNG: chunk '" + tname + "' at byte " + std::to_string(pos) + " declares " +
                      std::to_string(len) + " bytes, only " + std::to_string(n - pos - 12) + " remain");
    const uint8_t* body = d + pos + 8;
    const uint32_t stored_crc = be32(body + len);
    const uint32_t crc = static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), type, len + 4));
    const bool critical = type[0] >= 'A' && type[0] <= 'Z';
    if (crc != stored_crc && critical)
      throw DataError(who + "corrupt PNG: CRC mismatch in chunk '" + tname + "' at byte " + std::to_string(pos));
    if (first) {
      GD_CHECK_T(tname == "IHDR" && len == 13, DataError,
                 who << "corrupt PNG: the first chunk is '" << tname << "' (" << len << " bytes), not a 13-byte IHDR");
      out.width = static_cast<int>(be32(body) & 0x7fffffffu);
      out.height = static_cast<int>(be32(body + 4) & 0x7fffffffu);
      out.bit_depth = body[8];
      out.color_type = body[9];
      out.interlaced = body[12] != 0;
      first = false;
    } else if (tname == "eXIf" && crc == stored_crc) {
      out.exif.assign(reinterpret_cast<const char*>(body), len);
    } else if (tname == "IEND") {
      return out;
    }
    pos += static_cast<size_t>(len) + 12;
  }
}

}  // namespace gd
