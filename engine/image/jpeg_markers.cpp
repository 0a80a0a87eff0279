#include "engine/image/jpeg_markers.h"

#include <cstdio>
#include <cstring>

#include "engine/core/error.h"

namespace gd {
namespace {

std::string hex2(int v) {
  char b[8];
  std::snprintf(b, sizeof b, "%02X", v & 0xff);
  return b;
}

bool is_sof(int m) { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC; }

}  // namespace

JpegLayout check_jpeg_markers(const uint8_t* d, size_t n, const std::string& name) {
  const std::string who = name + ": ";
  GD_CHECK_T(n >= 2 && d[0] == 0xFF && d[1] == 0xD8, DataError, who << "not a JPEG file (no SOI marker)");
  JpegLayout out;
  size_t pos = 2;
  for (;;) {
    // A marker: one or more FF bytes, then the marker code.
    if (pos >= n) throw DataError(who + "truncated JPEG: file ends at byte " + std::to_string(n) + " before the end-of-image marker");
    if (d[pos] != 0xFF)
      throw DataError(who + "corrupt JPEG: expected a marker at byte " + std::to_string(pos) + ", found 0x" + hex2(d[pos]));
    while (pos < n && d[pos] == 0xFF) ++pos;
    if (pos >= n) throw DataError(who + "truncated JPEG: file ends inside a marker at byte " + std::to_string(n));
    const int m = d[pos++];
    if (m == 0xD9) return out;                          // EOI
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;  // TEM, stray RSTn: no payload
    if (m == 0x00 || m == 0xD8)
      throw DataError(who + "corrupt JPEG: unexpected marker FF" + hex2(m) + " at byte " + std::to_string(pos - 2));
    if (n - pos < 2)
      throw DataError(who + "truncated JPEG: file ends in the length of segment FF" + hex2(m) + " at byte " + std::to_string(pos));
    const size_t len = static_cast<size_t>(d[pos]) << 8 | d[pos + 1];
    if (len < 2)
      throw DataError(who + "corrupt JPEG: segment FF" + hex2(m) + " at byte " + std::to_string(pos - 2) +
                      " has length " + std::to_string(len));
    if (len > n - pos)
      throw DataError(who + "truncated JPEG: segment FF" + hex2(m) + " at byte " + std::to_string(pos - 2) +
                      " declares " + std::to_string(len) + " bytes, only " + std::to_string(n - pos) + " remain");
    const uint8_t* body = d + pos + 2;
    const size_t body_len = len - 2;
    if (is_sof(m) && out.sof_marker == 0) {
      out.sof_marker = m;
      out.progressive = m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE;
    } else if (m == 0xE1 && out.exif.empty() && body_len > 6 && std::memcmp(body, "Exif\0\0", 6) == 0) {
      out.exif.assign(reinterpret_cast<const char*>(body + 6), body_len - 6);
    }
    pos += len;
    if (m != 0xDA) continue;

    // SOS: skip the entropy-coded data up to the next real marker.
    ++out.scans;
    for (;;) {
      if (pos >= n)
        throw DataError(who + "truncated JPEG: file ends at byte " + std::to_string(n) + " inside the data of scan " +
                        std::to_string(out.scans) + " (no end-of-image marker)");
      if (d[pos] != 0xFF) {
        ++pos;
        continue;
      }
      size_t q = pos + 1;
      while (q < n && d[q] == 0xFF) ++q;  // fill bytes
      if (q >= n) {
        pos = q;
        continue;  // reported as truncation above
      }
      if (d[q] == 0x00 || (d[q] >= 0xD0 && d[q] <= 0xD7)) {  // stuffed byte or restart marker
        pos = q + 1;
        continue;
      }
      pos = q - 1;  // the last FF before the marker code
      break;
    }
  }
}

}  // namespace gd
