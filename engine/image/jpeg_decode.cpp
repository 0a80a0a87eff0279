#include "engine/image/jpeg_decode.h"

#include <turbojpeg.h>

#include <climits>
#include <memory>

#include "engine/core/error.h"

namespace gd {
namespace {

struct TjFree {
  void operator()(void* h) const { tjDestroy(h); }
};

}  // namespace

JpegSamples decode_jpeg(const uint8_t* data, size_t n, const std::string& name, int64_t max_pixels) {
  GD_CHECK_T(n <= static_cast<size_t>(ULONG_MAX), DataError, name << ": JPEG file too large for the decoder");
  std::unique_ptr<void, TjFree> tj(tjInitDecompress());
  GD_CHECK_T(tj, DataError, name << ": JPEG decoder could not start: " << tjGetErrorStr2(nullptr));
  const auto len = static_cast<unsigned long>(n);
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj.get(), data, len, &w, &h, &subsamp, &colorspace) != 0)
    throw DataError(name + ": JPEG decoder cannot read the header: " + tjGetErrorStr2(tj.get()));
  GD_CHECK_T(w > 0 && h > 0, DataError, name << ": JPEG image size " << w << "x" << h << " is not positive");
  GD_CHECK_T(static_cast<int64_t>(w) * h <= max_pixels, DataError,
             name << ": image of " << w << "x" << h << " pixels exceeds the limit of " << max_pixels << " pixels");
  JpegSamples out;
  out.width = w;
  out.height = h;
  out.channels = colorspace == TJCS_GRAY ? 1 : 3;
  out.samples.resize(static_cast<size_t>(w) * static_cast<size_t>(h) * static_cast<size_t>(out.channels));
  const int flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS | TJFLAG_ACCURATEDCT;
  if (tjDecompress2(tj.get(), data, len, out.samples.data(), w, 0, h, out.channels == 1 ? TJPF_GRAY : TJPF_RGB,
                    flags) != 0)
    throw DataError(name + ": JPEG decoder failed: " + tjGetErrorStr2(tj.get()));
  return out;
}

}  // namespace gd
