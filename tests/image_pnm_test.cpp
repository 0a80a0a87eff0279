// The Netpbm reader: every variant P1..P6 written by hand (ASCII and binary, 8- and 16-bit
// maxval, comments in odd places), through read_image and decode_pnm, and every malformed header
// or raster rejected with the file name, the format and what is wrong.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/image/image_decode.h"
#include "engine/image/pnm_decode.h"
#include "engine/train/atomic_file.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

using test::throws_with;

DecodedImage decode(const std::string& bytes, const std::string& name = "img.pnm") {
  return decode_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), name);
}

std::string be16(unsigned v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }

TEST(Pnm, AsciiP2SixteenBitWithComments) {
  // Comments between every header field and inside the raster; samples scaled from maxval 1000.
  const std::string f = "P2\n# made by hand\n3 # width\n2\n#maxval next\n1000\n0 500 1000\n# row 2\n250 750 1\n";
  const DecodedImage d = decode(f);
  EXPECT_EQ(d.format, ImageFormat::Pnm);
  EXPECT_EQ(d.bit_depth, 16);
  ASSERT_EQ(d.image.width, 3);
  ASSERT_EQ(d.image.height, 2);
  const int v[6] = {0, 500, 1000, 250, 750, 1};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(d.image.pixels[static_cast<size_t>(i)], v[i] * 65.535, 0.5) << i;
}

TEST(Pnm, BinaryP5EightAndSixteenBit) {
  const DecodedImage d8 = decode("P5 4 1 255\n" + std::string("\x00\x01\x80\xff", 4));
  EXPECT_EQ(d8.bit_depth, 8);
  EXPECT_EQ(d8.image.pixels, (std::vector<uint16_t>{0, 257, 128 * 257, 65535}));

  // 16-bit samples are big-endian; 65535 keeps full precision.
  const DecodedImage d16 = decode("P5\n3 1\n65535\n" + be16(1) + be16(258) + be16(65535));
  EXPECT_EQ(d16.bit_depth, 16);
  EXPECT_EQ(d16.image.pixels, (std::vector<uint16_t>{1, 258, 65535}));

  // maxval 4095 (12-bit scanner): 4095 -> 65535, 2048 -> 32776 (rounded).
  const DecodedImage d12 = decode("P5 2 1 4095 " + be16(4095) + be16(2048));
  EXPECT_EQ(d12.image.pixels[0], 65535);
  EXPECT_NEAR(d12.image.pixels[1], 2048 * 65535.0 / 4095, 0.5);
}

TEST(Pnm, ColourP3AndP6UseLuma) {
  const DecodedImage a = decode("P3 2 1 255\n255 0 0  0 0 255\n");
  const DecodedImage b = decode("P6 2 1 255\n" + std::string("\xff\x00\x00\x00\x00\xff", 6));
  for (const DecodedImage* d : {&a, &b}) {
    EXPECT_EQ(d->channels, 3);
    EXPECT_NEAR(d->image.pixels[0], 0.299 * 65535, 1.0);
    EXPECT_NEAR(d->image.pixels[1], 0.114 * 65535, 1.0);
  }
}

TEST(Pnm, BitmapsP1AndP4OneIsBlack) {
  // Plain PBM digits need no separators.
  const DecodedImage a = decode("P1\n# bits\n5 2\n10100\n0 1 0 1 1\n");
  const std::vector<uint16_t> want = {0, 65535, 0, 65535, 65535, 65535, 0, 65535, 0, 0};
  EXPECT_EQ(a.image.pixels, want);
  EXPECT_EQ(a.bit_depth, 1);
  // Packed rows padded to a byte: 10100000, 01011000.
  const DecodedImage b = decode("P4 5 2\n" + std::string("\xA0\x58", 2));
  EXPECT_EQ(b.image.pixels, want);
}

TEST(Pnm, ExtraImagesAfterTheFirstAreIgnored) {
  const DecodedImage d = decode("P5 1 1 255\n\x07P5 1 1 255\n\x09");
  EXPECT_EQ(d.image.pixels, (std::vector<uint16_t>{7 * 257}));
}

TEST(Pnm, ReadThroughAFile) {
  test::TempDir dir("pnm-file");
  write_file_atomic(dir.file("d.pgm"), "P2 2 2 15 0 15 15 0");
  const DecodedImage d = read_image(dir.file("d.pgm"));
  EXPECT_EQ(d.image.pixels, (std::vector<uint16_t>{0, 65535, 65535, 0}));
}

TEST(PnmErrors, HeaderProblemsNameTheFieldAndOffset) {
  struct Case {
    std::string bytes;
    std::vector<std::string> needles;
  };
  const std::vector<Case> cases = {
      {"P5 ", {"file ends before the width", "truncated header"}},
      {"P5 12 ", {"height"}},
      {"P2 x 3 255 ", {"expected the width at byte 3", "'x'"}},
      {"P2 3y 3 255 ", {"width at byte 3 is followed by 'y'"}},
      {"P5 0 4 255\n", {"0x4", "must be positive"}},
      {"P5 2 2 0\n", {"maxval 0 is outside 1..65535"}},
      {"P5 2 2 70000\n", {"maxval 70000 is outside 1..65535"}},
      {"P5 99999999999 2 255\n", {"width at byte 3 exceeds"}},
      {"P5 2 1 255", {"no raster"}},
      {"P5 2 1 255\n\x01", {"truncated raster", "need 2 bytes, only 1 remain"}},
      {"P5 2 1 1000\n\x01\x02\x03", {"truncated raster", "need 4 bytes"}},
      {"P4 9 2\n\x01\x02\x03", {"truncated raster", "needs 4 bytes"}},
      {"P5 2 1 100\n\x05\x65", {"sample 2 (x 1, y 0) is 101, above the maxval 100"}},
      {"P2 2 2 9\n1 2 3", {"truncated raster"}},
      {"P2 2 2 9\n1 2 3       ", {"truncated raster: file ends at sample 4 (x 1, y 1)"}},
      {"P2 2 1 9\n1 12", {"sample 2 (x 1, y 0) is above the maxval 9"}},
      {"P2 2 1 9\n1 z ", {"sample 2 (x 1, y 0) at byte 11 is not a number: 'z'"}},
      {"P3 1 1 255\n1 2 3x", {"sample 3 (x 0, y 0) at byte 16 runs into 'x'"}},
      {"P1 2 1\n12", {"sample 2 (x 1, y 0) is above the maxval 1"}},
  };
  for (const Case& c : cases) {
    std::vector<std::string> needles = c.needles;
    needles.push_back("bad.pgm");
    needles.push_back("PNM (P" + std::string(1, c.bytes[1]) + ")");
    bool ok = false;
    try {
      decode(c.bytes, "bad.pgm");
    } catch (const DataError& e) {
      ok = true;
      for (const std::string& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << c.bytes << "\n" << e.what() << "\nlacks: " << n;
    }
    EXPECT_TRUE(ok) << "no DataError for: " << c.bytes;
  }
}

TEST(PnmErrors, HugeDimensionsAreRefusedBeforeAllocating) {
  // 50000 x 50000 claims 2.5 G pixels with a 3-byte raster.
  EXPECT_TRUE(throws_with<DataError>([] { decode("P5 50000 50000 255\nabc", "big.pgm"); },
                                     {"big.pgm", "50000x50000", "exceeds the limit"}));
  // Within the limit but the file is far too short: refused from the byte count, not after reading.
  EXPECT_TRUE(throws_with<DataError>([] { decode("P2 4000 4000 255\n1 2 3", "short.pgm"); },
                                     {"short.pgm", "truncated raster", "16000000 samples need at least 31999999 bytes"}));
  EXPECT_TRUE(throws_with<DataError>(
      [] {
        const std::string f = "P5 10 10 255\n" + std::string(100, 'a');
        decode_pnm(reinterpret_cast<const uint8_t*>(f.data()), f.size(), "lim.pgm", 99);
      },
      {"lim.pgm", "exceeds the limit of 99 pixels"}));
}

TEST(PnmErrors, MagicWithoutSeparatorAndPam) {
  EXPECT_TRUE(throws_with<DataError>([] { decode("P5x", "m.pgm"); }, {"m.pgm", "damaged PNM"}));
  EXPECT_TRUE(throws_with<DataError>([] { decode("P7\nWIDTH 1\n", "m.pam"); }, {"m.pam", "PAM"}));
}

}  // namespace
}  // namespace gd
