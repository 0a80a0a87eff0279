#include "engine/image/png_decode.h"

#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include "engine/core/error.h"

namespace gd {
namespace {

// libpng reports errors by longjmp back to the setjmp in the function that called it. Everything
// below that calls libpng keeps only trivially destructible locals between setjmp and the calls,
// and all owned memory (the output vectors, the png structs) lives in the caller's objects.
struct ReadState {
  const uint8_t* data = nullptr;
  size_t size = 0, pos = 0;
  char message[256] = {};
};

void on_error(png_structp png, png_const_charp msg) {
  auto* st = static_cast<ReadState*>(png_get_error_ptr(png));
  std::snprintf(st->message, sizeof st->message, "%s", msg ? msg : "unknown error");
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // benign (e.g. an unknown ancillary chunk)

void on_read(png_structp png, png_bytep out, png_size_t len) {
  auto* st = static_cast<ReadState*>(png_get_io_ptr(png));
  if (len > st->size - st->pos) png_error(png, "truncated PNG: read past the end of the file");
  std::memcpy(out, st->data + st->pos, len);
  st->pos += len;
}

struct PngReader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngReader() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

// Reads the header and sets the transforms; returns false on a libpng error.
bool read_header(PngReader& r, int& width, int& height, int& channels, int& depth) {
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_read_info(r.png, r.info);
  const png_byte color = png_get_color_type(r.png, r.info);
  const int bits = png_get_bit_depth(r.png, r.info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r.png);
  if (color == PNG_COLOR_TYPE_GRAY && bits < 8) png_set_expand_gray_1_2_4_to_8(r.png);
  if (png_get_valid(r.png, r.info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(r.png);
  if (bits == 16) png_set_swap(r.png);  // the file is big-endian; the samples are native
  png_set_interlace_handling(r.png);
  png_read_update_info(r.png, r.info);
  width = static_cast<int>(png_get_image_width(r.png, r.info));
  height = static_cast<int>(png_get_image_height(r.png, r.info));
  channels = png_get_channels(r.png, r.info);
  depth = png_get_bit_depth(r.png, r.info);
  return true;
}

bool read_rows(PngReader& r, png_bytepp rows) {
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_read_image(r.png, rows);
  png_read_end(r.png, nullptr);
  return true;
}

}  // namespace

PngSamples decode_png(const uint8_t* data, size_t n, const std::string& name, int64_t max_pixels) {
  ReadState st;
  st.data = data;
  st.size = n;
  PngReader r;
  r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &st, on_error, on_warning);
  GD_CHECK_T(r.png, DataError, name << ": PNG decoder could not start (out of memory)");
  r.info = png_create_info_struct(r.png);
  GD_CHECK_T(r.info, DataError, name << ": PNG decoder could not start (out of memory)");
  png_set_read_fn(r.png, &st, on_read);
  // libpng's own limits, on top of the caller's pixel limit checked below.
  png_set_user_limits(r.png, 1u << 16, 1u << 16);
  png_set_chunk_malloc_max(r.png, 8u << 20);

  PngSamples out;
  if (!read_header(r, out.width, out.height, out.channels, out.bit_depth))
    throw DataError(name + ": PNG decoder failed: " + st.message);
  GD_CHECK_T(out.width > 0 && out.height > 0, DataError, name << ": PNG image size is not positive");
  GD_CHECK_T(static_cast<int64_t>(out.width) * out.height <= max_pixels, DataError,
             name << ": image of " << out.width << "x" << out.height << " pixels exceeds the limit of "
                  << max_pixels << " pixels");
  GD_CHECK_T((out.bit_depth == 8 || out.bit_depth == 16) && out.channels >= 1 && out.channels <= 4, DataError,
             name << ": PNG decoder produced " << out.channels << " channels of " << out.bit_depth << " bits");
  const size_t row_samples = static_cast<size_t>(out.width) * static_cast<size_t>(out.channels);
  const size_t total = row_samples * static_cast<size_t>(out.height);
  std::vector<png_bytep> rows(static_cast<size_t>(out.height));
  if (out.bit_depth == 8) {
    out.samples8.resize(total);
    for (size_t y = 0; y < rows.size(); ++y) rows[y] = out.samples8.data() + y * row_samples;
  } else {
    out.samples16.resize(total);
    for (size_t y = 0; y < rows.size(); ++y) rows[y] = reinterpret_cast<png_bytep>(out.samples16.data() + y * row_samples);
  }
  if (!read_rows(r, rows.data())) throw DataError(name + ": PNG decoder failed: " + st.message);
  return out;
}

}  // namespace gd
