// USPS text readers (ESL and LIBSVM forms): parsing, pixel conversion, label mapping, errors with
// file and line, and the real files when ../shared/data is present.
#include "engine/data/usps.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "engine/core/error.h"
#include "engine/data/file_bytes.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

void write_text(const std::string& path, const std::string& text, bool gz = false) {
  write_file_bytes(path, reinterpret_cast<const uint8_t*>(text.data()), text.size(), gz);
}

// Grey g in 0..255 as the ESL files print it: (2g/255 - 1) with 4 decimals.
std::string esl_value(int g) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4f", 2.0 * g / 255.0 - 1.0);
  return buf;
}

// One ESL line whose pixel k has grey (k * step + offset) % 256.
std::string esl_line(const std::string& label, int step, int offset, const char* sep = " ") {
  std::string s = label;
  for (int k = 0; k < 256; ++k) s += sep + esl_value((k * step + offset) % 256);
  return s;
}

TEST(Usps, ValueConversion) {
  EXPECT_EQ(usps_value_to_u8(-1.0), 0);
  EXPECT_EQ(usps_value_to_u8(1.0), 255);
  EXPECT_EQ(usps_value_to_u8(0.0), 128);   // (0+1)/2*255 = 127.5 rounds half away from zero
  EXPECT_EQ(usps_value_to_u8(0.5), 191);   // 191.25
  EXPECT_EQ(usps_value_to_u8(-0.631), 47); // 0.1845*255 = 47.05
  EXPECT_EQ(usps_value_to_u8(1.2), 255);   // clamped (never reached: the readers reject > 1)
  for (int g = 0; g < 256; ++g) {
    // A 4-decimal rendering of grey g is within 5e-5*127.5 = 0.0064 of g: recovered exactly.
    EXPECT_EQ(usps_value_to_u8(std::stod(esl_value(g))), g) << g;
  }
}

TEST(Usps, EslParsesLabelsPixelsAndLayout) {
  test::TempDir dir("usps");
  // zip.train writes "6.0000 ... " with a trailing space, zip.test "9 ..." without; a tab and a
  // CRLF line ending and a blank line must not matter either.
  const std::string text = esl_line("6.0000", 1, 0) + " \n" + esl_line("9", 7, 3, "\t") + "\r\n\n" +
                           esl_line("0", 3, 200) + "\n";
  for (bool gz : {false, true}) {
    const std::string p = dir.file(gz ? "zip.train.gz" : "zip.train");
    write_text(p, text, gz);
    const Dataset d = read_usps_esl(p);
    d.validate();
    ASSERT_EQ(d.n, 3);
    EXPECT_EQ(d.height, 16);
    EXPECT_EQ(d.width, 16);
    EXPECT_EQ(d.labels, (std::vector<uint8_t>{6, 9, 0}));
    for (int k = 0; k < 256; ++k) {
      EXPECT_EQ(d.images[k], k % 256);
      EXPECT_EQ(d.images[256 + k], (k * 7 + 3) % 256);
      EXPECT_EQ(d.images[512 + k], (k * 3 + 200) % 256);
    }
  }
}

TEST(Usps, EslWrongFieldCountNamesLineAndCount) {
  test::TempDir dir("usps");
  const std::string p = dir.file("zip.test");
  std::string short_line = esl_line("1", 1, 0);
  short_line.resize(short_line.rfind(' '));  // drop the last value
  write_text(p, esl_line("2", 1, 0) + "\n\n" + short_line + "\n");
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_esl(p); }, {p + ":3:", "expected 257", "got 256"}));
  write_text(p, esl_line("2", 1, 0) + " 0.5\n");
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_esl(p); }, {p + ":1:", "got 258"}));
}

TEST(Usps, EslNonNumericTokenNamesLineAndToken) {
  test::TempDir dir("usps");
  const std::string p = dir.file("zip.test");
  std::string bad = esl_line("4", 1, 0);
  bad.replace(bad.find(' ', 20) + 1, 7, "0.5x1.0");
  write_text(p, esl_line("3", 1, 0) + "\n" + bad + "\n");
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_esl(p); }, {p + ":2:", "non-numeric", "'0.5x1.0"}));
}

TEST(Usps, EslValueOutOfRangeNamesLine) {
  test::TempDir dir("usps");
  const std::string p = dir.file("zip.test");
  for (const char* v : {"1.0001", "-1.5", "nan", "inf"}) {
    std::string bad = esl_line("4", 1, 0);
    bad += std::string(" ") + v;
    bad.erase(bad.find(' ', 2), 8);  // keep 257 fields: remove the first value (" -1.0000")
    write_text(p, bad + "\n");
    EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_esl(p); }, {p + ":1:", v}))
        << v;
  }
}

TEST(Usps, EslLabelMustBeAnIntegerDigit) {
  test::TempDir dir("usps");
  const std::string p = dir.file("zip.test");
  for (const char* label : {"2.5", "10", "-1", "x"}) {
    write_text(p, esl_line("1", 1, 0) + "\n" + esl_line(label, 1, 0) + "\n");
    EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_esl(p); },
                                             {p + ":2:", std::string("label '") + label, "0..9"}))
        << label;
  }
}

TEST(Usps, EmptyFile) {
  test::TempDir dir("usps");
  const std::string p = dir.file("zip.train");
  write_text(p, "");
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_esl(p); }, {p, "empty"}));
  write_text(p, "\n  \n\t\n", true);
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_esl(p); }, {p, "empty"}));
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_libsvm(p); }, {p, "empty"}));
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_esl(dir.file("absent")); }, {dir.file("absent")}));
}

TEST(Usps, LibsvmMapsLabelsOneToTenAndFillsAbsentIndices) {
  test::TempDir dir("usps");
  const std::string p = dir.file("usps");
  // Digit 9 stored as 10, digit 0 as 1; absent indices are value 0 -> grey 128.
  write_text(p, "10 1:-1 2:1 256:0.5\n1 3:-0.631\n+5 17:1\n", true);
  const Dataset d = read_usps_libsvm(p);
  d.validate();
  ASSERT_EQ(d.n, 3);
  EXPECT_EQ(d.labels, (std::vector<uint8_t>{9, 0, 4}));
  EXPECT_EQ(d.images[0], 0);
  EXPECT_EQ(d.images[1], 255);
  EXPECT_EQ(d.images[2], 128);
  EXPECT_EQ(d.images[255], 191);
  EXPECT_EQ(d.images[256 + 2], 47);
  EXPECT_EQ(d.images[256 + 0], 128);
  EXPECT_EQ(d.images[512 + 16], 255);
}

TEST(Usps, LibsvmKeepsZeroBasedLabels) {
  test::TempDir dir("usps");
  const std::string p = dir.file("usps.t");
  write_text(p, "0 1:1\n9 2:1\n3 3:1\n");
  EXPECT_EQ(read_usps_libsvm(p).labels, (std::vector<uint8_t>{0, 9, 3}));
  write_text(p, "0 1:1\n10 2:1\n");
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_libsvm(p); }, {p + ":2:", "label 10", p + ":1)"}));
  write_text(p, "0 1:1\n11 2:1\n");
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_libsvm(p); }, {p + ":2:", "label '11'"}));
}

TEST(Usps, LibsvmPairDecidesTheLabelRuleOnBothFiles) {
  test::TempDir dir("usps");
  const std::string tr = dir.file("usps"), te = dir.file("usps.t");
  write_text(tr, "10 1:1\n1 2:1\n");
  write_text(te, "3 1:1\n");  // no 10 here: alone it would be read as digit 3
  const auto [train, test] = read_usps_libsvm_pair(tr, te);
  EXPECT_EQ(train.labels, (std::vector<uint8_t>{9, 0}));
  EXPECT_EQ(test.labels, (std::vector<uint8_t>{2}));
  EXPECT_EQ(read_usps_libsvm(te).labels, (std::vector<uint8_t>{3}));
  write_text(te, "0 1:1\n");
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_libsvm_pair(tr, te); }, {tr + ":1:", te + ":1"}));
}

TEST(Usps, LibsvmBadFields) {
  test::TempDir dir("usps");
  const std::string p = dir.file("usps");
  const std::pair<const char*, const char*> cases[] = {
      {"3 1:0.5 0:0.1\n", "index 0 is outside 1..256"},
      {"3 257:0.1\n", "index 257"},
      {"3 4:0.1 4:0.2\n", "index 4 appears twice"},
      {"3 4:abc\n", "non-numeric token 'abc'"},
      {"3 x:0.5\n", "non-numeric index 'x'"},
      {"3 0.5\n", "not of the form index:value"},
      {"3 5:1.5\n", "outside [-1, 1]"},
  };
  for (const auto& [text, needle] : cases) {
    write_text(p, std::string("1 1:0\n") + text);
    EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_libsvm(p); }, {p + ":2:", needle})) << text;
  }
}

TEST(Usps, RealEslFilesWhenPresent) {
  const std::string root = test::shared_data_root();
  if (root.empty()) GTEST_SKIP() << "../shared/data not present";
  const auto t0 = std::chrono::steady_clock::now();
  const Dataset train = read_usps_esl(root + "/usps/zip.train.gz");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const Dataset test = read_usps_esl(root + "/usps/zip.test.gz");
  std::printf("zip.train.gz parsed in %.3f s\n", seconds);
  train.validate();
  test.validate();
  // Counts and histograms from ESL's zip.info.txt, recorded in shared/data/usps/SOURCE.md.
  EXPECT_EQ(train.n, 7291);
  EXPECT_EQ(test.n, 2007);
  EXPECT_EQ(label_histogram(train), (std::vector<int64_t>{1194, 1005, 731, 658, 652, 556, 664, 645, 542, 644}));
  EXPECT_EQ(label_histogram(test), (std::vector<int64_t>{359, 264, 198, 166, 200, 160, 170, 147, 166, 177}));
  // Values span [-1, 1] (SOURCE.md), so both ends of the grey scale occur.
  EXPECT_EQ(*std::min_element(train.images.begin(), train.images.end()), 0);
  EXPECT_EQ(*std::max_element(train.images.begin(), train.images.end()), 255);
  // zip.train's first line starts "6.0000", then -1.0000 seven times, -0.6310, 0.8620, -0.1670.
  EXPECT_EQ(train.labels[0], 6);
  EXPECT_EQ(train.images[6], 0);
  EXPECT_EQ(train.images[7], usps_value_to_u8(-0.631));
  EXPECT_EQ(train.images[8], usps_value_to_u8(0.862));
  EXPECT_EQ(train.images[9], usps_value_to_u8(-0.167));
}

// ---- decompression bombs (issue 19) ---------------------------------------------------------------

TEST(UspsHostile, GzipBombOfTextStopsAtTheTextCap) {
  // 80 MiB of blanks compress to about 80 KB; reading stops at the 64 MiB cap with the file named.
  test::TempDir dir("usps");
  const std::string p = dir.file("zip.train.gz");
  write_text(p, std::string(size_t{80} << 20, ' '), true);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_esl(p); },
                                           {p, "decompresses to more than 67108864 bytes", "USPS text file"}));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
}

TEST(UspsHostile, TooManySamplesAreRefusedBeforeAllocatingImages) {
  // 200,000 one-token lines: each would be a 256-byte image (LIBSVM lets every index be absent).
  test::TempDir dir("usps");
  const std::string p = dir.file("usps.gz");
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "1\n";
  write_text(p, text, true);
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_libsvm(p); },
                                           {p, "more than 100000 samples", "by line 100001", "not a USPS file?"}));
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_usps_esl(p); }, {p, "more than 100000 samples"}));
}

}  // namespace
}  // namespace gd
