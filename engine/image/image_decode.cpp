#include "engine/image/image_decode.h"

#include <stb_image.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "engine/core/error.h"
#include "engine/image/bmp_header.h"
#include "engine/image/exif_orientation.h"
#include "engine/image/jpeg_decode.h"
#include "engine/image/jpeg_markers.h"
#include "engine/image/luminance.h"
#include "engine/image/png_chunks.h"
#include "engine/image/png_decode.h"
#include "engine/image/pnm_decode.h"

namespace gd {
namespace {

struct StbFree {
  void operator()(void* p) const { stbi_image_free(p); }
};

std::string size_text(int64_t w, int64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

void check_pixels(const std::string& name, int64_t w, int64_t h, int64_t max_pixels) {
  GD_CHECK_T(w > 0 && h > 0, DataError, name << ": image size " << size_text(w, h) << " is not positive");
  GD_CHECK_T(w * h <= max_pixels, DataError,
             name << ": image of " << size_text(w, h) << " pixels exceeds the limit of " << max_pixels << " pixels");
}

// BMP through stb_image, after the caller's structural check (PNG and JPEG go to libpng and
// libjpeg-turbo: png_decode.h, jpeg_decode.h).
DecodedImage decode_with_stb(const uint8_t* d, size_t n, const std::string& name, ImageFormat fmt,
                             int64_t max_pixels) {
  const char* fname = format_name(fmt);
  GD_CHECK_T(n <= static_cast<size_t>(INT_MAX), DataError, name << ": " << fname << " file too large for the decoder");
  const int len = static_cast<int>(n);
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(d, len, &w, &h, &comp))
    throw DataError(name + ": " + fname + " decoder cannot read the header: " + stbi_failure_reason());
  check_pixels(name, w, h, max_pixels);
  DecodedImage out;
  out.format = fmt;
  const bool sixteen = stbi_is_16_bit_from_memory(d, len) != 0;
  LuminanceResult lum;
  if (sixteen) {
    std::unique_ptr<uint16_t, StbFree> px(stbi_load_16_from_memory(d, len, &w, &h, &comp, 0));
    if (!px) throw DataError(name + ": " + fname + " decoder failed: " + stbi_failure_reason());
    lum = luminance_from_samples(px.get(), w, h, comp);
  } else {
    std::unique_ptr<uint8_t, StbFree> px(stbi_load_from_memory(d, len, &w, &h, &comp, 0));
    if (!px) throw DataError(name + ": " + fname + " decoder failed: " + stbi_failure_reason());
    lum = luminance_from_samples(px.get(), w, h, comp);
  }
  out.image = std::move(lum.image);
  out.alpha_backdrop = lum.backdrop;
  out.channels = comp;
  out.bit_depth = sixteen ? 16 : 8;
  return out;
}

}  // namespace

std::string DecodedImage::describe() const {
  static const char* kModel[] = {"?", "gray", "gray+alpha", "colour", "colour+alpha"};
  std::string s = std::string(format_name(format)) + " " + std::to_string(bit_depth) + "-bit " +
                  kModel[channels >= 1 && channels <= 4 ? channels : 0];
  if (progressive) s += " progressive";
  s += " " + size_text(image.width, image.height);
  if (orientation != 1) s += " (EXIF orientation " + std::to_string(orientation) + " applied)";
  return s;
}

DecodedImage decode_image(const uint8_t* d, size_t n, const std::string& name, int64_t max_pixels) {
  const auto fmt = detect_image_format(d, n);
  if (!fmt) throw DataError(name + ": " + describe_unreadable(d, n));
  DecodedImage out;
  switch (*fmt) {
    case ImageFormat::Pnm: {
      const PnmImage p = decode_pnm(d, n, name, max_pixels);
      LuminanceResult lum = luminance_from_samples(p.samples.data(), p.width, p.height, p.channels);
      out.image = std::move(lum.image);
      out.format = ImageFormat::Pnm;
      out.channels = p.channels;
      out.bit_depth = p.kind == '1' || p.kind == '4' ? 1 : (p.maxval > 255 ? 16 : 8);
      return out;
    }
    case ImageFormat::Png: {
      const PngLayout layout = check_png_chunks(d, n, name);
      check_pixels(name, layout.width, layout.height, max_pixels);
      const PngSamples p = decode_png(d, n, name, max_pixels);
      LuminanceResult lum = p.bit_depth == 16 ? luminance_from_samples(p.samples16.data(), p.width, p.height, p.channels)
                                              : luminance_from_samples(p.samples8.data(), p.width, p.height, p.channels);
      out.image = std::move(lum.image);
      out.alpha_backdrop = lum.backdrop;
      out.format = ImageFormat::Png;
      out.channels = p.channels;
      out.bit_depth = p.bit_depth;
      out.orientation = exif_orientation(layout.exif);
      break;
    }
    case ImageFormat::Jpeg: {
      const JpegLayout layout = check_jpeg_markers(d, n, name);
      GD_CHECK_T(layout.sof_marker != 0 && layout.scans > 0, DataError,
                 name << ": corrupt JPEG: " << (layout.sof_marker ? "no scan (SOS) segment" : "no frame header (SOF)"));
      const JpegSamples j = decode_jpeg(d, n, name, max_pixels);
      out.image = luminance_from_samples(j.samples.data(), j.width, j.height, j.channels).image;
      out.format = ImageFormat::Jpeg;
      out.channels = j.channels;
      out.progressive = layout.progressive;
      out.orientation = exif_orientation(layout.exif);
      break;
    }
    case ImageFormat::Bmp: {
      const BmpLayout layout = check_bmp_header(d, n, name);
      check_pixels(name, layout.width, layout.height, max_pixels);
      out = decode_with_stb(d, n, name, ImageFormat::Bmp, max_pixels);
      break;
    }
  }
  if (out.orientation != 1) out.image = apply_orientation(out.image, out.orientation);
  return out;
}

DecodedImage read_image(const std::string& path, int64_t max_pixels) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw DataError(path + ": cannot open: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw DataError(path + ": is a directory, not an image file");
  if (S_ISREG(st.st_mode) && st.st_size > kMaxImageFileBytes)
    throw DataError(path + ": file of " + std::to_string(static_cast<long long>(st.st_size)) +
                    " bytes exceeds the limit of " + std::to_string(kMaxImageFileBytes) + " bytes");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) throw DataError(path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  if (S_ISREG(st.st_mode)) bytes.reserve(static_cast<size_t>(st.st_size));
  uint8_t buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f.get())) > 0) {
    bytes.insert(bytes.end(), buf, buf + got);
    GD_CHECK_T(static_cast<int64_t>(bytes.size()) <= kMaxImageFileBytes, DataError,
               path << ": file exceeds the limit of " << kMaxImageFileBytes << " bytes");
  }
  if (std::ferror(f.get())) throw DataError(path + ": read error: " + std::strerror(errno));
  return decode_image(bytes.data(), bytes.size(), path, max_pixels);
}

}  // namespace gd
