#pragma once
// PNG decoding with libpng (Debian's libpng-dev), for files from users: every sample as stored in
// the file (no gamma or colour-space conversion, which luminance.h does not expect), with palettes
// expanded to RGB, low bit depths to 8 bits, and tRNS to an alpha channel.
//
// libpng checks CRCs and zlib streams itself; the header is read and the size checked against
// max_pixels before any pixel memory is allocated. Errors: DataError naming the file, with
// libpng's own message ("PNG decoder failed: ...").
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gd {

struct PngSamples {
  int width = 0, height = 0;
  int channels = 1;   // in the decoded samples: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
  int bit_depth = 8;  // 8 or 16
  std::vector<uint8_t> samples8;    // (h, w, channels) when bit_depth == 8
  std::vector<uint16_t> samples16;  // (h, w, channels) when bit_depth == 16, native byte order
};

PngSamples decode_png(const uint8_t* data, size_t n, const std::string& name, int64_t max_pixels);

}  // namespace gd
