// Builds without libpng or libjpeg-turbo (configured where their -dev packages are missing, e.g. the
// lent GPU machine, which only trains and tests the CUDA backend): PNG and JPEG files are refused
// with one clear error each; PNM and BMP still decode. cmake/image_codecs.cmake picks this file or
// png_decode.cpp + jpeg_decode.cpp.
#include "engine/core/error.h"
#include "engine/image/jpeg_decode.h"
#include "engine/image/png_decode.h"

namespace gd {

PngSamples decode_png(const uint8_t*, size_t, const std::string& name, int64_t) {
  throw DataError(name + ": cannot decode PNG: this build has no libpng (install libpng-dev and rebuild)");
}

JpegSamples decode_jpeg(const uint8_t*, size_t, const std::string& name, int64_t) {
  throw DataError(name + ": cannot decode JPEG: this build has no libjpeg-turbo (install libturbojpeg0-dev and rebuild)");
}

}  // namespace gd
