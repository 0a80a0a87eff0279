#include "engine/image/pnm_decode.h"

#include <limits>

#include "engine/core/error.h"

namespace gd {
namespace {

bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

class PnmParser {
 public:
  PnmParser(const uint8_t* d, size_t n, const std::string& name) : d_(d), n_(n), name_(name) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw DataError(name_ + ": PNM (P" + std::string(1, kind_) + "): " + what);
  }

  void set_kind(char k) { kind_ = k; }
  size_t pos() const { return pos_; }
  size_t remaining() const { return n_ - pos_; }
  const uint8_t* here() const { return d_ + pos_; }
  void advance(size_t k) { pos_ += k; }

  // Skips whitespace and '#' comments (to the end of the line).
  void skip_space_and_comments() {
    while (pos_ < n_) {
      if (is_space(d_[pos_])) {
        ++pos_;
      } else if (d_[pos_] == '#') {
        while (pos_ < n_ && d_[pos_] != '\n' && d_[pos_] != '\r') ++pos_;
      } else {
        break;
      }
    }
  }

  // An unsigned decimal header field, at most `limit`.
  long header_number(const char* field, long limit) {
    skip_space_and_comments();
    if (pos_ >= n_) fail(std::string("file ends before the ") + field + " (truncated header)");
    if (!is_digit(d_[pos_]))
      fail(std::string("expected the ") + field + " at byte " + std::to_string(pos_) + ", found " + shown(d_[pos_]));
    const size_t start = pos_;
    long v = 0;
    while (pos_ < n_ && is_digit(d_[pos_])) {
      v = v * 10 + (d_[pos_] - '0');
      if (v > limit) fail(std::string(field) + " at byte " + std::to_string(start) + " exceeds " + std::to_string(limit));
      ++pos_;
    }
    if (pos_ < n_ && !is_space(d_[pos_]) && d_[pos_] != '#')
      fail(std::string(field) + " at byte " + std::to_string(start) + " is followed by " + shown(d_[pos_]) +
           " instead of whitespace");
    return v;
  }

  // The single whitespace byte that separates a binary header from its raster.
  void raster_separator() {
    if (pos_ >= n_) fail("file ends right after the header (no raster)");
    if (!is_space(d_[pos_])) fail("expected one whitespace byte before the raster at byte " + std::to_string(pos_));
    ++pos_;
  }

  // The next ASCII sample (whitespace/comments before it skipped). `single_digit`: plain PBM, where
  // each pixel is one '0'/'1' character and separators are optional.
  long ascii_sample(bool single_digit, long maxval, int64_t index, int width, int channels) {
    skip_space_and_comments();
    const int64_t pixel = index / channels;
    const std::string where = "sample " + std::to_string(index + 1) + " (x " + std::to_string(pixel % width) +
                              ", y " + std::to_string(pixel / width) + ")";
    if (pos_ >= n_) fail("truncated raster: file ends at " + where);
    if (!is_digit(d_[pos_])) fail(where + " at byte " + std::to_string(pos_) + " is not a number: " + shown(d_[pos_]));
    long v = 0;
    if (single_digit) {
      v = d_[pos_++] - '0';
    } else {
      while (pos_ < n_ && is_digit(d_[pos_])) {
        v = v * 10 + (d_[pos_] - '0');
        if (v > maxval) break;
        ++pos_;
      }
      if (v <= maxval && pos_ < n_ && !is_space(d_[pos_]) && d_[pos_] != '#')
        fail(where + " at byte " + std::to_string(pos_) + " runs into " + shown(d_[pos_]));
    }
    if (v > maxval) fail(where + " is above the maxval " + std::to_string(maxval));
    return v;
  }

 private:
  static std::string shown(uint8_t c) {
    if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
    return "byte 0x" + std::string(1, "0123456789abcdef"[c >> 4]) + std::string(1, "0123456789abcdef"[c & 15]);
  }

  const uint8_t* d_;
  size_t n_;
  const std::string& name_;
  size_t pos_ = 0;
  char kind_ = '?';
};

}  // namespace

PnmImage decode_pnm(const uint8_t* data, size_t n, const std::string& name, int64_t max_pixels) {
  PnmParser p(data, n, name);
  if (n < 2 || data[0] != 'P' || data[1] < '1' || data[1] > '6')
    throw DataError(name + ": not a PNM file (no P1..P6 magic number)");
  PnmImage img;
  img.kind = static_cast<char>(data[1]);
  p.set_kind(img.kind);
  p.advance(2);
  const bool bitmap = img.kind == '1' || img.kind == '4';
  const bool ascii = img.kind <= '3';
  img.channels = (img.kind == '3' || img.kind == '6') ? 3 : 1;

  constexpr long kSideLimit = std::numeric_limits<int>::max();
  img.width = static_cast<int>(p.header_number("width", kSideLimit));
  img.height = static_cast<int>(p.header_number("height", kSideLimit));
  if (img.width == 0 || img.height == 0)
    p.fail("image size is " + std::to_string(img.width) + "x" + std::to_string(img.height) + " (must be positive)");
  const int64_t pixels = static_cast<int64_t>(img.width) * img.height;
  if (pixels > max_pixels)
    p.fail("image of " + std::to_string(img.width) + "x" + std::to_string(img.height) + " pixels exceeds the limit of " +
           std::to_string(max_pixels) + " pixels");
  img.maxval = 1;
  if (!bitmap) {
    const long mv = p.header_number("maxval", 1L << 20);
    if (mv < 1 || mv > 65535) p.fail("maxval " + std::to_string(mv) + " is outside 1..65535");
    img.maxval = static_cast<int>(mv);
  }

  const int64_t count = pixels * img.channels;
  const double scale = 65535.0 / img.maxval;
  auto rescale = [&](long v) { return static_cast<uint16_t>(v * scale + 0.5); };

  if (ascii) {
    p.skip_space_and_comments();
    // Each sample takes at least one character (plain PBM) or a digit plus a separator.
    const int64_t min_bytes = bitmap ? count : 2 * count - 1;
    if (static_cast<int64_t>(p.remaining()) < min_bytes)
      p.fail("truncated raster: " + std::to_string(count) + " samples need at least " + std::to_string(min_bytes) +
             " bytes, only " + std::to_string(p.remaining()) + " remain after the header");
    img.samples.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
      const long v = p.ascii_sample(bitmap, img.maxval, i, img.width, img.channels);
      img.samples[static_cast<size_t>(i)] = bitmap ? (v ? 0 : 65535) : rescale(v);
    }
    return img;
  }

  p.raster_separator();
  if (bitmap) {
    const int64_t row_bytes = (static_cast<int64_t>(img.width) + 7) / 8;
    const int64_t need = row_bytes * img.height;
    if (static_cast<int64_t>(p.remaining()) < need)
      p.fail("truncated raster: needs " + std::to_string(need) + " bytes, only " + std::to_string(p.remaining()) +
             " remain after the header");
    img.samples.resize(static_cast<size_t>(count));
    const uint8_t* r = p.here();
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x) {
        const bool black = (r[y * row_bytes + x / 8] >> (7 - x % 8)) & 1;
        img.samples[static_cast<size_t>(y) * img.width + x] = black ? 0 : 65535;
      }
    return img;
  }

  const int bytes_per_sample = img.maxval < 256 ? 1 : 2;
  const int64_t need = count * bytes_per_sample;
  if (static_cast<int64_t>(p.remaining()) < need)
    p.fail("truncated raster: " + std::to_string(img.width) + "x" + std::to_string(img.height) + "x" +
           std::to_string(img.channels) + " samples of " + std::to_string(bytes_per_sample) + " byte(s) need " +
           std::to_string(need) + " bytes, only " + std::to_string(p.remaining()) + " remain after the header");
  img.samples.resize(static_cast<size_t>(count));
  const uint8_t* r = p.here();
  for (int64_t i = 0; i < count; ++i) {
    const long v = bytes_per_sample == 1 ? r[i] : (static_cast<long>(r[2 * i]) << 8 | r[2 * i + 1]);
    if (v > img.maxval) {
      const int64_t pixel = i / img.channels;
      p.fail("sample " + std::to_string(i + 1) + " (x " + std::to_string(pixel % img.width) + ", y " +
             std::to_string(pixel / img.width) + ") is " + std::to_string(v) + ", above the maxval " +
             std::to_string(img.maxval));
    }
    img.samples[static_cast<size_t>(i)] = rescale(v);
  }
  return img;
}

}  // namespace gd
