// Reading PNG, JPEG and BMP files written by the test itself (stb_image_write, or PNGs and a
// progressive JPEG assembled byte by byte where stb cannot write them), colour -> luminance, alpha
// compositing, format detection by content, and the errors for empty, non-image, truncated,
// corrupt and oversized files.
#include <gtest/gtest.h>
#include <stb_image_write.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/image/image_decode.h"
#include "engine/train/atomic_file.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

using test::throws_with;

void sink(void* ctx, void* data, int size) { static_cast<std::string*>(ctx)->append(static_cast<char*>(data), size); }

std::string stb_png(int w, int h, int comp, const std::vector<uint8_t>& px) {
  std::string s;
  EXPECT_TRUE(stbi_write_png_to_func(sink, &s, w, h, comp, px.data(), w * comp));
  return s;
}
std::string stb_jpg(int w, int h, int comp, const std::vector<uint8_t>& px, int quality) {
  std::string s;
  EXPECT_TRUE(stbi_write_jpg_to_func(sink, &s, w, h, comp, px.data(), quality));
  return s;
}
std::string stb_bmp(int w, int h, int comp, const std::vector<uint8_t>& px) {
  std::string s;
  EXPECT_TRUE(stbi_write_bmp_to_func(sink, &s, w, h, comp, px.data()));
  return s;
}

DecodedImage decode(const std::string& bytes, const std::string& name = "mem") {
  return decode_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), name);
}

// ---- a PNG writer for what stb_image_write cannot produce (16-bit, palette, tRNS, 1-bit) --------

void put32(std::string& s, uint32_t v) {
  for (int k = 3; k >= 0; --k) s.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
}

std::string png_chunk(const std::string& type, const std::string& body) {
  std::string c;
  put32(c, static_cast<uint32_t>(body.size()));
  const std::string tb = type + body;
  c += tb;
  put32(c, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(tb.data()), static_cast<uInt>(tb.size()))));
  return c;
}

// rows: the unfiltered scanlines (each gets filter byte 0 prepended). extra: chunks before IDAT.
std::string hand_png(int w, int h, int bit_depth, int color_type, const std::vector<std::string>& rows,
                     const std::string& extra = "") {
  std::string ihdr;
  put32(ihdr, static_cast<uint32_t>(w));
  put32(ihdr, static_cast<uint32_t>(h));
  ihdr += {static_cast<char>(bit_depth), static_cast<char>(color_type), 0, 0, 0};
  std::string raw;
  for (const std::string& r : rows) raw += '\0' + r;
  std::vector<Bytef> z(compressBound(static_cast<uLong>(raw.size())));
  uLongf zlen = static_cast<uLongf>(z.size());
  EXPECT_EQ(compress(z.data(), &zlen, reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size())), Z_OK);
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) + extra +
         png_chunk("IDAT", std::string(reinterpret_cast<char*>(z.data()), zlen)) + png_chunk("IEND", "");
}

std::string be16(uint16_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }

// ---- a progressive JPEG writer: DC-only scans, so every 8x8 block is one flat grey level ---------
// Frame SOF2 (progressive), one component, all quantisers 1. The DC scan codes each block's DC
// difference with a table of 12 four-bit codes (code k = category k); the AC scan (1..63) codes
// an end-of-band for every block. A flat block of grey v has DC coefficient 8 * (v - 128).
class BitWriter {
 public:
  void put(uint32_t bits, int n) {
    for (int i = n - 1; i >= 0; --i) {
      acc_ = static_cast<uint8_t>(acc_ << 1 | ((bits >> i) & 1));
      if (++count_ == 8) flush_byte();
    }
  }
  std::string finish() {
    while (count_ != 0) put(1, 1);  // pad with 1-bits
    return out_;
  }

 private:
  void flush_byte() {
    out_.push_back(static_cast<char>(acc_));
    if (acc_ == 0xFF) out_.push_back('\0');  // byte stuffing
    acc_ = 0, count_ = 0;
  }
  std::string out_;
  uint8_t acc_ = 0;
  int count_ = 0;
};

std::string segment(uint8_t marker, const std::string& body) {
  return std::string{'\xFF', static_cast<char>(marker)} + be16(static_cast<uint16_t>(body.size() + 2)) + body;
}

std::string progressive_jpeg(int bw, int bh, const std::vector<int>& block_grey) {
  std::string j = "\xFF\xD8";
  j += segment(0xDB, std::string(1, '\0') + std::string(64, '\1'));  // DQT: table 0, all ones
  j += segment(0xC2, std::string(1, 8) + be16(static_cast<uint16_t>(bh * 8)) + be16(static_cast<uint16_t>(bw * 8)) +
                         std::string{1, 1, 0x11, 0});
  std::string dc_bits(16, '\0');
  dc_bits[3] = 12;  // twelve codes of length 4
  std::string dc_vals;
  for (int k = 0; k < 12; ++k) dc_vals.push_back(static_cast<char>(k));
  j += segment(0xC4, std::string(1, '\x00') + dc_bits + dc_vals);
  std::string ac_bits(16, '\0');
  ac_bits[0] = 1;  // one code of length 1: symbol 0x00 (end of band)
  j += segment(0xC4, std::string(1, '\x10') + ac_bits + std::string(1, '\0'));

  BitWriter dc;
  int pred = 0;
  for (int g : block_grey) {
    const int coef = 8 * (g - 128), diff = coef - pred;
    pred = coef;
    int cat = 0;
    while ((1 << cat) <= std::abs(diff)) ++cat;
    dc.put(static_cast<uint32_t>(cat), 4);
    if (cat) dc.put(static_cast<uint32_t>(diff > 0 ? diff : diff + (1 << cat) - 1), cat);
  }
  j += segment(0xDA, std::string{1, 1, 0x00, 0, 0, 0}) + dc.finish();
  BitWriter ac;
  for (size_t b = 0; b < block_grey.size(); ++b) ac.put(0, 1);
  j += segment(0xDA, std::string{1, 1, 0x00, 1, 63, 0}) + ac.finish();
  return j + "\xFF\xD9";
}

// ---- decoding -------------------------------------------------------------------------------------

TEST(ImageDecode, Png8BitGrayIsExactAndScaledTo16Bit) {
  std::vector<uint8_t> px(7 * 5);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 7);
  const DecodedImage d = decode(stb_png(7, 5, 1, px));
  EXPECT_EQ(d.format, ImageFormat::Png);
  EXPECT_EQ(d.channels, 1);
  EXPECT_EQ(d.bit_depth, 8);
  ASSERT_EQ(d.image.width, 7);
  ASSERT_EQ(d.image.height, 5);
  for (size_t i = 0; i < px.size(); ++i) EXPECT_EQ(d.image.pixels[i], px[i] * 257) << i;
  EXPECT_EQ(d.alpha_backdrop, -1.0);
}

TEST(ImageDecode, PngRgbUsesBt601Weights) {
  // Pure red, green, blue, white and a mid grey.
  const std::vector<uint8_t> px = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 128, 128, 128};
  const DecodedImage d = decode(stb_png(5, 1, 3, px));
  EXPECT_EQ(d.channels, 3);
  EXPECT_NEAR(d.image.pixels[0], 0.299 * 65535, 1.0);
  EXPECT_NEAR(d.image.pixels[1], 0.587 * 65535, 1.0);
  EXPECT_NEAR(d.image.pixels[2], 0.114 * 65535, 1.0);
  EXPECT_NEAR(d.image.pixels[3], 65535, 1.0);
  EXPECT_NEAR(d.image.pixels[4], 128 * 257, 1.0);
}

TEST(ImageDecode, Png16BitGrayAlphaKeepsSixteenBitPrecision) {
  // 2x2, 16-bit gray + alpha, fully opaque: values that differ below 8-bit resolution.
  const uint16_t v[4] = {1000, 1100, 60000, 65535};
  std::vector<std::string> rows(2);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 2; ++x) rows[static_cast<size_t>(y)] += be16(v[y * 2 + x]) + be16(65535);
  const DecodedImage d = decode(hand_png(2, 2, 16, 4, rows));
  EXPECT_EQ(d.bit_depth, 16);
  EXPECT_EQ(d.channels, 2);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(d.image.pixels[static_cast<size_t>(i)], v[i]) << i;
}

TEST(ImageDecode, PngPaletteWithTransparencyIsCompositedOverThePaper) {
  // 8x8 palette image: entry 0 white paper, 1 black ink, 2 fully transparent (tRNS). Most of the
  // image is opaque paper, so transparent pixels take the paper's luminance (white).
  const std::string plte = png_chunk("PLTE", std::string("\xff\xff\xff\x00\x00\x00\x10\x20\x30", 9));
  const std::string trns = png_chunk("tRNS", std::string("\xff\xff\x00", 3));
  std::vector<std::string> rows(8, std::string(8, '\0'));
  rows[3][3] = rows[3][4] = '\1';  // ink
  rows[0][0] = rows[7][7] = '\2';  // transparent corners
  const DecodedImage d = decode(hand_png(8, 8, 8, 3, rows, plte + trns));
  EXPECT_EQ(d.channels, 4);
  EXPECT_NEAR(d.alpha_backdrop, 1.0, 1e-9);
  EXPECT_EQ(d.image.at(0, 0), 65535);
  EXPECT_EQ(d.image.at(7, 7), 65535);
  EXPECT_EQ(d.image.at(3, 3), 0);
  EXPECT_EQ(d.image.at(1, 1), 65535);
}

TEST(ImageDecode, OneBitPngIsRead) {
  std::vector<std::string> rows = {std::string(1, '\xA0'), std::string(1, '\x50')};  // 1010.... / 0101....
  const DecodedImage d = decode(hand_png(4, 2, 1, 0, rows));
  const int want[8] = {1, 0, 1, 0, 0, 1, 0, 1};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(d.image.pixels[static_cast<size_t>(i)], want[i] * 65535) << i;
}

TEST(ImageDecode, StrokesOnATransparentCanvasStayVisibleEitherColour) {
  // 10x10 RGBA, 90% transparent. The transparent pixels' RGB is the same colour as the ink (as
  // drawing programs often store it), so ignoring alpha would make the image uniform.
  for (const uint8_t ink : {uint8_t{0}, uint8_t{255}}) {
    std::vector<uint8_t> px(10 * 10 * 4, 0);
    for (int i = 0; i < 100; ++i) {
      px[static_cast<size_t>(i) * 4 + 0] = px[static_cast<size_t>(i) * 4 + 1] = px[static_cast<size_t>(i) * 4 + 2] = ink;
      px[static_cast<size_t>(i) * 4 + 3] = (i % 10 == 4) ? 255 : 0;  // a vertical stroke at x = 4
    }
    const DecodedImage d = decode(stb_png(10, 10, 4, px));
    const int backdrop = ink == 0 ? 65535 : 0;
    EXPECT_NEAR(d.alpha_backdrop, backdrop / 65535.0, 1e-9) << int(ink);
    EXPECT_EQ(d.image.at(4, 5), ink * 257) << int(ink);
    EXPECT_EQ(d.image.at(0, 5), backdrop) << int(ink);
    EXPECT_EQ(d.image.at(9, 0), backdrop) << int(ink);
  }
}

TEST(ImageDecode, HalfTransparentPixelsBlendLinearly) {
  // Gray+alpha: black ink at alpha 128 over the white backdrop implied by dark strokes.
  std::vector<uint8_t> px(4 * 4 * 2, 0);
  px[(1 * 4 + 1) * 2 + 1] = 255;  // one opaque black pixel
  px[(2 * 4 + 2) * 2 + 1] = 128;  // one half-transparent black pixel
  const DecodedImage d = decode(stb_png(4, 4, 2, px));
  EXPECT_EQ(d.image.at(1, 1), 0);
  EXPECT_NEAR(d.image.at(2, 2), (1.0 - 128 / 255.0) * 65535, 1.0);
  EXPECT_EQ(d.image.at(0, 0), 65535);
}

TEST(ImageDecode, BaselineJpegGrayAndColour) {
  // Flat 16x16 halves (dark left, light right): JPEG keeps flat areas within a few grey levels.
  for (const int comp : {1, 3}) {
    std::vector<uint8_t> px(32 * 16 * comp);
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 32; ++x)
        for (int c = 0; c < comp; ++c) px[static_cast<size_t>((y * 32 + x) * comp + c)] = x < 16 ? 40 : 220;
    const DecodedImage d = decode(stb_jpg(32, 16, comp, px, 95));
    EXPECT_EQ(d.format, ImageFormat::Jpeg);
    EXPECT_FALSE(d.progressive);
    ASSERT_EQ(d.image.width, 32);
    EXPECT_NEAR(d.image.at(4, 8) / 257.0, 40, 4) << comp;
    EXPECT_NEAR(d.image.at(28, 8) / 257.0, 220, 4) << comp;
  }
}

TEST(ImageDecode, ProgressiveJpeg) {
  const std::vector<int> grey = {0, 64, 200, 255, 128, 17};  // 3x2 blocks of 8x8
  const DecodedImage d = decode(progressive_jpeg(3, 2, grey));
  EXPECT_EQ(d.format, ImageFormat::Jpeg);
  EXPECT_TRUE(d.progressive);
  ASSERT_EQ(d.image.width, 24);
  ASSERT_EQ(d.image.height, 16);
  for (int b = 0; b < 6; ++b)
    for (const int dx : {0, 3, 7})
      EXPECT_NEAR(d.image.at((b % 3) * 8 + dx, (b / 3) * 8 + 5) / 257.0, grey[static_cast<size_t>(b)], 1.0) << b;
}

TEST(ImageDecode, Bmp) {
  std::vector<uint8_t> px(5 * 3 * 3);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 5);
  const DecodedImage d = decode(stb_bmp(5, 3, 3, px));
  EXPECT_EQ(d.format, ImageFormat::Bmp);
  ASSERT_EQ(d.image.width, 5);
  for (int i = 0; i < 15; ++i) {
    const uint8_t* p = px.data() + i * 3;
    EXPECT_NEAR(d.image.pixels[static_cast<size_t>(i)], (0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]) * 257, 1.0) << i;
  }
}

TEST(ImageDecode, FormatComesFromTheBytesNotTheName) {
  test::TempDir dir("decode-name");
  const std::string path = dir.file("really_a_png.jpg");
  write_file_atomic(path, stb_png(3, 2, 1, std::vector<uint8_t>(6, 99)));
  const DecodedImage d = read_image(path);
  EXPECT_EQ(d.format, ImageFormat::Png);
  EXPECT_EQ(d.image.at(2, 1), 99 * 257);
  EXPECT_NE(d.describe().find("PNG 8-bit gray 3x2"), std::string::npos) << d.describe();
}

// ---- errors ---------------------------------------------------------------------------------------

TEST(ImageDecodeErrors, MissingEmptyDirectoryAndNonImageFiles) {
  test::TempDir dir("decode-errors");
  EXPECT_TRUE(throws_with<DataError>([&] { read_image(dir.file("nope.png")); }, {dir.file("nope.png"), "No such file"}));
  EXPECT_TRUE(throws_with<DataError>([&] { read_image(dir.path()); }, {dir.path(), "is a directory"}));
  write_file_atomic(dir.file("empty.png"), "");
  EXPECT_TRUE(throws_with<DataError>([&] { read_image(dir.file("empty.png")); }, {dir.file("empty.png"), "empty file"}));
  write_file_atomic(dir.file("notes.png"), "Hello, world\n");
  EXPECT_TRUE(throws_with<DataError>([&] { read_image(dir.file("notes.png")); },
                                     {dir.file("notes.png"), "not an image", "48 65 6c 6c 6f", "supported: PNG, JPEG"}));
  write_file_atomic(dir.file("anim.png"), "GIF89a\x01\x00\x01\x00\x00\x00\x00;");
  EXPECT_TRUE(throws_with<DataError>([&] { read_image(dir.file("anim.png")); }, {"anim.png", "GIF", "convert it to PNG"}));
}

TEST(ImageDecodeErrors, TruncatedPngAtEveryStage) {
  const std::string png = stb_png(16, 16, 1, std::vector<uint8_t>(256, 77));
  // Inside the signature, inside IHDR, inside IDAT, and just before IEND.
  for (const size_t cut : {size_t{5}, size_t{20}, png.size() / 2, png.size() - 12}) {
    EXPECT_TRUE(throws_with<DataError>([&] { decode(png.substr(0, cut), "cut.png"); }, {"cut.png"})) << cut;
    if (cut > 8) {
      EXPECT_TRUE(throws_with<DataError>([&] { decode(png.substr(0, cut), "cut.png"); }, {"truncated PNG"})) << cut;
    }
  }
}

TEST(ImageDecodeErrors, CorruptPngCrcAndData) {
  std::string png = stb_png(16, 16, 1, std::vector<uint8_t>(256, 77));
  const size_t idat = png.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  std::string bad_crc = png;
  bad_crc[idat + 6] ^= 0x55;  // a compressed byte: the stored CRC no longer matches
  EXPECT_TRUE(throws_with<DataError>([&] { decode(bad_crc, "crc.png"); }, {"crc.png", "CRC mismatch", "IDAT"}));

  // The same damage with a recomputed CRC passes the structure check and fails in the decoder.
  const uint32_t len = static_cast<uint8_t>(png[idat - 4]) << 24 | static_cast<uint8_t>(png[idat - 3]) << 16 |
                       static_cast<uint8_t>(png[idat - 2]) << 8 | static_cast<uint8_t>(png[idat - 1]);
  std::string body = png.substr(idat + 4, len);
  for (size_t i = 2; i < body.size(); ++i) body[i] = static_cast<char>(0xFF);
  std::string rebuilt = png.substr(0, idat - 4) + png_chunk("IDAT", body) + png.substr(idat + 4 + len + 4);
  EXPECT_TRUE(throws_with<DataError>([&] { decode(rebuilt, "zlib.png"); }, {"zlib.png", "PNG decoder failed"}));
}

TEST(ImageDecodeErrors, TruncatedAndCorruptJpeg) {
  std::vector<uint8_t> px(64 * 64);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((i * 31) % 251);
  const std::string jpg = stb_jpg(64, 64, 1, px, 90);
  ASSERT_TRUE(static_cast<uint8_t>(jpg[jpg.size() - 2]) == 0xFF && static_cast<uint8_t>(jpg[jpg.size() - 1]) == 0xD9);
  EXPECT_NO_THROW(decode(jpg + "trailing bytes after EOI"));
  // In the entropy-coded data (stb alone would return a partly grey image) and in the headers.
  EXPECT_TRUE(throws_with<DataError>([&] { decode(jpg.substr(0, jpg.size() - 40), "cut.jpg"); },
                                     {"cut.jpg", "truncated JPEG", "scan 1"}));
  EXPECT_TRUE(throws_with<DataError>([&] { decode(jpg.substr(0, 30), "head.jpg"); }, {"head.jpg", "truncated JPEG"}));
  std::string garbage = jpg.substr(0, 2) + "\xFF\xC0\x00\x0B" + std::string(9, '\0') + "\xFF\xD9";
  EXPECT_TRUE(throws_with<DataError>([&] { decode(garbage, "bad.jpg"); }, {"bad.jpg", "JPEG"}));
  std::string no_marker = jpg.substr(0, 3) + std::string(20, 'x');
  EXPECT_TRUE(throws_with<DataError>([&] { decode(no_marker, "x.jpg"); }, {"x.jpg", "JPEG"}));
}

// Regression (issue 19): stb_image's JPEG Huffman decoder read uninitialised memory, so some
// corrupt JPEGs decoded after a good image aborted the whole gpu_predict batch. Every mutant of a
// real JPEG (bytes overwritten past the SOI, at positions and values from a fixed seed) must
// either decode or throw DataError naming the file, and the good image decoded between mutants
// must come out identical each time (no state carried over from a failed decode). Run under the
// GD_SANITIZE build, this also proves no read of uninitialised or freed memory.
TEST(ImageDecodeErrors, CorruptJpegMutantsFailCleanlyBetweenGoodDecodes) {
  for (const int comp : {1, 3}) {
    std::vector<uint8_t> px(48 * 40 * comp);
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((i * 37 + i / 48 * 11) % 256);
    const std::string jpg = stb_jpg(48, 40, comp, px, 75);
    const GrayImage16 good = decode(jpg).image;
    uint64_t state = 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(comp);
    auto next = [&] {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      return static_cast<uint32_t>(state >> 33);
    };
    int failed = 0, decoded = 0;
    for (int m = 0; m < 600; ++m) {
      std::string bad = jpg;
      const int flips = 1 + static_cast<int>(next() % 4);
      for (int k = 0; k < flips; ++k) bad[2 + next() % (bad.size() - 2)] = static_cast<char>(next() & 0xFF);
      try {
        decode(bad, "mutant.jpg");
        ++decoded;
      } catch (const DataError& e) {
        ++failed;
        ASSERT_NE(std::string(e.what()).find("mutant.jpg"), std::string::npos) << e.what();
      }
      ASSERT_EQ(decode(jpg).image.pixels, good.pixels) << "after mutant " << m;
    }
    // Both outcomes occur, so the error path and the success path were both exercised.
    EXPECT_GT(failed, 0) << comp;
    EXPECT_GT(decoded, 0) << comp;
  }
}

TEST(ImageDecodeErrors, TruncatedBmp) {
  const std::string bmp = stb_bmp(20, 20, 3, std::vector<uint8_t>(1200, 50));
  EXPECT_TRUE(throws_with<DataError>([&] { decode(bmp.substr(0, bmp.size() - 100), "cut.bmp"); },
                                     {"cut.bmp", "truncated BMP", "20x20"}));
}

TEST(ImageDecodeErrors, AbsurdSizesAreRefusedBeforeAllocating) {
  // A valid 1x1 PNG whose IHDR claims 100000 x 100000 (CRC recomputed): refused from the header.
  std::string ihdr;
  put32(ihdr, 100000);
  put32(ihdr, 100000);
  ihdr += {8, 0, 0, 0, 0};
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) + png_chunk("IDAT", "x") +
                          png_chunk("IEND", "");
  EXPECT_TRUE(throws_with<DataError>([&] { decode(png, "huge.png"); }, {"huge.png", "100000x100000", "exceeds the limit"}));
  // The same through the max_pixels argument on a real image.
  const std::string small = stb_png(100, 100, 1, std::vector<uint8_t>(10000, 1));
  EXPECT_TRUE(throws_with<DataError>(
      [&] { decode_image(reinterpret_cast<const uint8_t*>(small.data()), small.size(), "s.png", 9999); },
      {"s.png", "exceeds the limit of 9999"}));
}

}  // namespace
}  // namespace gd
