// EXIF orientation: the tag parser on hand-built TIFF blocks (both byte orders, malformed ones
// ignored), the eight transforms on a small asymmetric image, and a JPEG and a PNG carrying the tag
// read back upright.
#include <gtest/gtest.h>
#include <stb_image_write.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "engine/image/exif_orientation.h"
#include "engine/image/image_decode.h"

namespace gd {
namespace {

// A TIFF block whose IFD0 holds `entries` entries, the orientation one (if any) last.
std::string tiff(bool little, int orientation, int entries = 1, int type = 3) {
  auto u16 = [&](unsigned v) {
    return little ? std::string{static_cast<char>(v & 0xff), static_cast<char>(v >> 8)}
                  : std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
  };
  auto u32 = [&](unsigned v) { return little ? u16(v & 0xffff) + u16(v >> 16) : u16(v >> 16) + u16(v & 0xffff); };
  std::string t = std::string(little ? "II" : "MM") + u16(42) + u32(8) + u16(static_cast<unsigned>(entries));
  for (int e = 0; e + 1 < entries; ++e) t += u16(0x010F) + u16(2) + u32(4) + std::string("Cam", 4);  // Make
  t += u16(0x0112) + u16(static_cast<unsigned>(type)) + u32(1) + u16(static_cast<unsigned>(orientation)) + u16(0);
  return t + u32(0);
}

TEST(Exif, OrientationTagInBothByteOrders) {
  for (int o = 1; o <= 8; ++o) {
    EXPECT_EQ(exif_orientation(tiff(true, o)), o);
    EXPECT_EQ(exif_orientation(tiff(false, o, 3)), o);
  }
}

TEST(Exif, MalformedBlocksMeanNoRotation) {
  EXPECT_EQ(exif_orientation(""), 1);
  EXPECT_EQ(exif_orientation("garbage!"), 1);
  EXPECT_EQ(exif_orientation(tiff(true, 9)), 1);           // out of range
  EXPECT_EQ(exif_orientation(tiff(true, 6, 1, 4)), 1);     // LONG instead of SHORT
  const std::string t = tiff(false, 6, 3);
  EXPECT_EQ(exif_orientation(t.substr(0, t.size() - 10)), 1);  // entry cut off
  std::string bad_offset = tiff(true, 6);
  bad_offset[4] = '\x7f';  // IFD0 offset beyond the block
  EXPECT_EQ(exif_orientation(bad_offset), 1);
}

TEST(Exif, TheEightTransforms) {
  // Stored 3x2:  a b c      (values 1..6)
  //              d e f
  GrayImage16 s(3, 2);
  for (int i = 0; i < 6; ++i) s.pixels[static_cast<size_t>(i)] = static_cast<uint16_t>(i + 1);
  struct Want {
    int o, w, h;
    std::vector<uint16_t> px;
  };
  const std::vector<Want> wants = {
      {1, 3, 2, {1, 2, 3, 4, 5, 6}}, {2, 3, 2, {3, 2, 1, 6, 5, 4}}, {3, 3, 2, {6, 5, 4, 3, 2, 1}},
      {4, 3, 2, {4, 5, 6, 1, 2, 3}}, {5, 2, 3, {1, 4, 2, 5, 3, 6}}, {6, 2, 3, {4, 1, 5, 2, 6, 3}},
      {7, 2, 3, {6, 3, 5, 2, 4, 1}}, {8, 2, 3, {3, 6, 2, 5, 1, 4}},
  };
  for (const Want& w : wants) {
    const GrayImage16 d = apply_orientation(s, w.o);
    EXPECT_EQ(d.width, w.w) << w.o;
    EXPECT_EQ(d.height, w.h) << w.o;
    EXPECT_EQ(d.pixels, w.px) << "orientation " << w.o;
  }
}

void sink(void* ctx, void* data, int size) { static_cast<std::string*>(ctx)->append(static_cast<char*>(data), size); }

// 40x20 (wide), white, with a black 8x8 square in the top-left corner.
std::vector<uint8_t> marked_image() {
  std::vector<uint8_t> px(40 * 20, 255);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) px[static_cast<size_t>(y) * 40 + x] = 0;
  return px;
}

TEST(Exif, JpegWithOrientation6IsRotatedClockwise) {
  std::string jpg;
  const std::vector<uint8_t> px = marked_image();
  ASSERT_TRUE(stbi_write_jpg_to_func(sink, &jpg, 40, 20, 1, px.data(), 95));
  const std::string payload = "Exif" + std::string(2, '\0') + tiff(false, 6);
  const size_t len = payload.size() + 2;
  const std::string app1 = std::string("\xFF\xE1", 2) + static_cast<char>(len >> 8) + static_cast<char>(len & 0xff) + payload;
  const std::string tagged = jpg.substr(0, 2) + app1 + jpg.substr(2);
  const DecodedImage d = decode_image(reinterpret_cast<const uint8_t*>(tagged.data()), tagged.size(), "o6.jpg");
  EXPECT_EQ(d.orientation, 6);
  ASSERT_EQ(d.image.width, 20);  // now tall
  ASSERT_EQ(d.image.height, 40);
  // Rotating clockwise moves the stored top-left corner to the top-right.
  EXPECT_LT(d.image.at(16, 3), 20 * 257);
  EXPECT_GT(d.image.at(3, 3), 235 * 257);
  EXPECT_NE(d.describe().find("EXIF orientation 6"), std::string::npos);
}

TEST(Exif, PngEXIfChunkIsHonoured) {
  std::string png;
  const std::vector<uint8_t> px = marked_image();
  ASSERT_TRUE(stbi_write_png_to_func(sink, &png, 40, 20, 1, px.data(), 40));
  // Insert an eXIf chunk (orientation 3: rotate 180) right after IHDR (8 + 25 bytes).
  const std::string body = tiff(true, 3);
  std::string chunk;
  for (int k = 3; k >= 0; --k) chunk.push_back(static_cast<char>((body.size() >> (8 * k)) & 0xff));
  const std::string tb = "eXIf" + body;
  chunk += tb;
  const uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(tb.data()), static_cast<uInt>(tb.size())));
  for (int k = 3; k >= 0; --k) chunk.push_back(static_cast<char>((crc >> (8 * k)) & 0xff));
  const std::string tagged = png.substr(0, 33) + chunk + png.substr(33);
  const DecodedImage d = decode_image(reinterpret_cast<const uint8_t*>(tagged.data()), tagged.size(), "o3.png");
  EXPECT_EQ(d.orientation, 3);
  EXPECT_EQ(d.image.at(39, 19), 0);     // the square is now bottom-right
  EXPECT_EQ(d.image.at(0, 0), 65535);
}

}  // namespace
}  // namespace gd
