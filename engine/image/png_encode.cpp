#include "engine/image/png_encode.h"

#include <stb_image_write.h>

#include "engine/core/error.h"
#include "engine/train/atomic_file.h"

namespace gd {
namespace {

void append(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}

}  // namespace

std::string encode_png(const GrayImage& img) {
  GD_CHECK_SHAPE(!img.empty() && img.pixels.size() == static_cast<size_t>(img.width) * img.height,
                 "encode_png: image of " << img.width << "x" << img.height << " with " << img.pixels.size() << " pixels");
  std::string out;
  if (!stbi_write_png_to_func(append, &out, img.width, img.height, 1, img.pixels.data(), img.width))
    throw Error("encode_png: stb_image_write failed for a " + std::to_string(img.width) + "x" +
                std::to_string(img.height) + " image");
  return out;
}

void write_png(const std::string& path, const GrayImage& img) { write_file_atomic(path, encode_png(img)); }

}  // namespace gd
