// Every image format gpu_predict reads, detected from the bytes: PNG (libpng), JPEG
// (libjpeg-turbo), PNM (own parser) and BMP (header check + stb_image), then luminance, alpha
// compositing and EXIF orientation. The pixel limit is 2^20 here (2^26 in the programs) so one
// input stays fast; the limit itself is the same code path.
#include "engine/core/error.h"
#include "engine/image/image_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    gd::decode_image(data, size, "fuzz", int64_t{1} << 20);
  } catch (const gd::Error&) {
  }
  return 0;
}
