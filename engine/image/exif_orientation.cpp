#include "engine/image/exif_orientation.h"

#include <cstdint>

namespace gd {

int exif_orientation(const std::string& tiff) {
  const size_t n = tiff.size();
  if (n < 8) return 1;
  const auto* d = reinterpret_cast<const uint8_t*>(tiff.data());
  bool little;
  if (d[0] == 'I' && d[1] == 'I') little = true;
  else if (d[0] == 'M' && d[1] == 'M') little = false;
  else return 1;
  auto u16 = [&](size_t at) -> uint32_t {
    return little ? (d[at] | d[at + 1] << 8) : (d[at] << 8 | d[at + 1]);
  };
  auto u32 = [&](size_t at) -> uint64_t {
    return little ? (static_cast<uint64_t>(u16(at + 2)) << 16 | u16(at)) : (static_cast<uint64_t>(u16(at)) << 16 | u16(at + 2));
  };
  if (u16(2) != 42) return 1;
  const uint64_t ifd = u32(4);
  if (ifd + 2 > n) return 1;
  const uint32_t entries = u16(static_cast<size_t>(ifd));
  for (uint32_t e = 0; e < entries; ++e) {
    const uint64_t at = ifd + 2 + 12ull * e;
    if (at + 12 > n) return 1;
    if (u16(static_cast<size_t>(at)) != 0x0112) continue;
    const uint32_t type = u16(static_cast<size_t>(at) + 2);
    const uint64_t count = u32(static_cast<size_t>(at) + 4);
    if (type != 3 || count != 1) return 1;  // must be one SHORT, stored in the value field
    const uint32_t v = u16(static_cast<size_t>(at) + 8);
    return v >= 1 && v <= 8 ? static_cast<int>(v) : 1;
  }
  return 1;
}

GrayImage16 apply_orientation(const GrayImage16& s, int orientation) {
  if (orientation < 2 || orientation > 8) return s;
  const int W = s.width, H = s.height;
  const bool swap = orientation >= 5;
  GrayImage16 out(swap ? H : W, swap ? W : H);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      int sx = x, sy = y;  // stored pixel shown at displayed (x, y)
      switch (orientation) {
        case 2: sx = W - 1 - x; sy = y; break;
        case 3: sx = W - 1 - x; sy = H - 1 - y; break;
        case 4: sx = x; sy = H - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = H - 1 - x; break;
        case 7: sx = W - 1 - y; sy = H - 1 - x; break;
        case 8: sx = W - 1 - y; sy = x; break;
      }
      out.at(x, y) = s.at(sx, sy);
    }
  return out;
}

}  // namespace gd
