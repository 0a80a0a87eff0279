#pragma once
// JPEG decoding with libjpeg-turbo's TurboJPEG API (Debian's libturbojpeg0-dev), built and
// fuzzed for untrusted input (stb_image is not: its Huffman decoder reads uninitialised memory on
// some corrupt files). Gray JPEGs decode to 1 channel, all others to RGB (3 channels).
//
// The header is read and the size checked against max_pixels before pixel memory is allocated;
// progressive files with an unreasonable number of scans are refused (TJFLAG_LIMITSCANS), and a
// corrupt entropy-coded segment is an error rather than a partly grey image (TJFLAG_STOPONWARNING).
// Errors: DataError naming the file, with the decoder's message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gd {

struct JpegSamples {
  int width = 0, height = 0;
  int channels = 1;              // 1 gray or 3 RGB
  std::vector<uint8_t> samples;  // (h, w, channels)
};

JpegSamples decode_jpeg(const uint8_t* data, size_t n, const std::string& name, int64_t max_pixels);

}  // namespace gd
