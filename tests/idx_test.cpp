// IDX reader: raw and gzip round trips, and every malformed-input case names the file.
#include "engine/data/idx.h"

#include <gtest/gtest.h>

#include <fstream>

#include "engine/core/error.h"
#include "engine/data/file_bytes.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

std::vector<uint8_t> pattern(size_t n, int salt) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((i * 31 + salt * 17 + i / 7) & 255);
  return v;
}

std::vector<uint8_t> labels_for(int64_t n) {
  std::vector<uint8_t> l(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) l[i] = static_cast<uint8_t>((i * 3) % 10);
  return l;
}

void write_raw(const std::string& path, const std::vector<uint8_t>& bytes) {
  write_file_bytes(path, bytes.data(), bytes.size(), false);
}

TEST(Idx, RoundTripRawAndGzip) {
  test::TempDir dir("idx");
  const int64_t n = 13, h = 5, w = 7;
  const std::vector<uint8_t> px = pattern(static_cast<size_t>(n * h * w), 1);
  const std::vector<uint8_t> lb = labels_for(n);
  for (bool gz : {false, true}) {
    const std::string ip = dir.file(gz ? "im.gz" : "im"), lp = dir.file(gz ? "lb.gz" : "lb");
    write_idx_images(ip, n, h, w, px.data(), gz);
    write_idx_labels(lp, n, lb.data(), gz);
    const std::vector<uint8_t> on_disk = read_file_bytes(ip);
    EXPECT_EQ(is_gzip(on_disk.data(), on_disk.size()), gz);
    const IdxImages im = read_idx_images(ip);
    EXPECT_EQ(im.n, n);
    EXPECT_EQ(im.height, h);
    EXPECT_EQ(im.width, w);
    EXPECT_EQ(im.pixels, px);
    EXPECT_EQ(read_idx_labels(lp), lb);
    const Dataset d = load_idx_dataset(ip, lp, "toy", 10, h, w);
    d.validate();
    EXPECT_EQ(d.images, px);
    EXPECT_EQ(d.labels, lb);
  }
}

TEST(Idx, ConcatenatedGzipMembersAreAllRead) {
  test::TempDir dir("idx");
  const std::vector<uint8_t> lb = labels_for(40);
  write_idx_labels(dir.file("one.gz"), 40, lb.data(), true);
  // Same labels split into two gzip members: the header + 10 labels, then 30 labels.
  std::vector<uint8_t> raw = read_file_maybe_gzip(dir.file("one.gz"));
  const std::vector<uint8_t> first(raw.begin(), raw.begin() + 18), second(raw.begin() + 18, raw.end());
  write_file_bytes(dir.file("a.gz"), first.data(), first.size(), true);
  write_file_bytes(dir.file("b.gz"), second.data(), second.size(), true);
  std::vector<uint8_t> joined = read_file_bytes(dir.file("a.gz"));
  const std::vector<uint8_t> tail = read_file_bytes(dir.file("b.gz"));
  joined.insert(joined.end(), tail.begin(), tail.end());
  write_raw(dir.file("two.gz"), joined);
  EXPECT_EQ(read_idx_labels(dir.file("two.gz")), lb);
}

TEST(Idx, MissingFile) {
  test::TempDir dir("idx");
  const std::string p = dir.file("nope-idx3-ubyte");
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_images(p); }, {p, "cannot open"}));
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_labels(p); }, {p}));
}

TEST(Idx, CorruptGzip) {
  test::TempDir dir("idx");
  const std::vector<uint8_t> px = pattern(4 * 28 * 28, 2);
  const std::string p = dir.file("im.gz");
  write_idx_images(p, 4, 28, 28, px.data(), true);
  std::vector<uint8_t> bytes = read_file_bytes(p);
  // Overwrite the middle of the deflate stream (past the 10-byte header, before the 8-byte
  // trailer): either inflate rejects the data or the CRC-32 in the trailer no longer matches.
  for (size_t i = bytes.size() / 3; i < bytes.size() / 3 + 24; ++i) bytes[i] ^= 0x5a;
  write_raw(p, bytes);
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_images(p); }, {p, "corrupt gzip"}));
}

TEST(Idx, TruncatedGzipFailsFastInsteadOfHanging) {
  test::TempDir dir("idx");
  const std::vector<uint8_t> px = pattern(50 * 28 * 28, 3);
  const std::string p = dir.file("im.gz");
  write_idx_images(p, 50, 28, 28, px.data(), true);
  std::vector<uint8_t> bytes = read_file_bytes(p);
  for (size_t keep : {bytes.size() / 2, bytes.size() - 4, size_t{12}}) {
    write_raw(p, std::vector<uint8_t>(bytes.begin(), bytes.begin() + keep));
    EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_images(p); }, {p, "truncated gzip"}))
        << "kept " << keep << " of " << bytes.size() << " bytes";
  }
}

TEST(Idx, WrongMagicSaysExpectedAndGot) {
  test::TempDir dir("idx");
  const std::vector<uint8_t> lb = labels_for(5);
  const std::string p = dir.file("labels");
  write_idx_labels(p, 5, lb.data(), false);
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_images(p); },
                                           {p, "expected 2051", "got 2049", "label file"}));
  const std::vector<uint8_t> px = pattern(2 * 3 * 3, 4);
  const std::string q = dir.file("images.gz");
  write_idx_images(q, 2, 3, 3, px.data(), true);
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_labels(q); }, {q, "expected 2049", "got 2051"}));
  const std::string r = dir.file("text");
  write_raw(r, {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!', '!', '!', '!', '!'});
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_images(r); }, {r, "not an IDX file"}));
}

TEST(Idx, TruncatedPayloadAndHeader) {
  test::TempDir dir("idx");
  const std::vector<uint8_t> px = pattern(10 * 4 * 4, 5);
  const std::string p = dir.file("im");
  write_idx_images(p, 10, 4, 4, px.data(), false);
  std::vector<uint8_t> bytes = read_file_bytes(p);
  bytes.resize(16 + 5 * 16);  // half the images
  write_raw(p, bytes);
  // Header announces 16 + 10*16 = 176 bytes; 96 remain.
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_images(p); }, {p, "truncated", "176", "96"}));
  bytes.resize(10);  // not even a full header
  write_raw(p, bytes);
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_images(p); }, {p, "header", "16", "10"}));
  bytes.resize(2);
  write_raw(p, bytes);
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_images(p); }, {p, "truncated"}));
  const std::vector<uint8_t> lb = labels_for(9);
  const std::string q = dir.file("lb");
  write_idx_labels(q, 9, lb.data(), false);
  std::vector<uint8_t> lbytes = read_file_bytes(q);
  lbytes.pop_back();
  write_raw(q, lbytes);
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_labels(q); }, {q, "truncated", "17", "16"}));
}

TEST(Idx, TrailingBytesAreRejected) {
  test::TempDir dir("idx");
  const std::vector<uint8_t> lb = labels_for(4);
  const std::string p = dir.file("lb");
  write_idx_labels(p, 4, lb.data(), false);
  std::vector<uint8_t> bytes = read_file_bytes(p);
  bytes.push_back(1);
  bytes.push_back(2);
  write_raw(p, bytes);
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_labels(p); }, {p, "2 unexpected bytes"}));
}

TEST(Idx, WrongDimensionsWhenASizeIsDemanded) {
  test::TempDir dir("idx");
  const std::vector<uint8_t> px = pattern(2 * 32 * 32, 6);
  const std::string p = dir.file("im.gz");
  write_idx_images(p, 2, 32, 32, px.data(), true);
  EXPECT_NO_THROW(read_idx_images(p));
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_images(p, 28, 28); },
                                           {p, "expected 28x28", "got 32x32"}));
}

TEST(Idx, CountMismatchNamesBothFilesAndCounts) {
  test::TempDir dir("idx");
  const std::vector<uint8_t> px = pattern(10 * 3 * 3, 7);
  const std::vector<uint8_t> lb = labels_for(9);
  const std::string ip = dir.file("images"), lp = dir.file("labels.gz");
  write_idx_images(ip, 10, 3, 3, px.data(), false);
  write_idx_labels(lp, 9, lb.data(), true);
  EXPECT_TRUE(test::throws_with<DataError>([&] { load_idx_dataset(ip, lp, "toy", 10); },
                                           {ip, lp, "10 images", "9 labels"}));
}

TEST(Idx, LabelOutOfRangeNamesIndexAndValue) {
  test::TempDir dir("idx");
  const std::vector<uint8_t> px = pattern(6 * 3 * 3, 8);
  std::vector<uint8_t> lb = labels_for(6);
  lb[3] = 12;
  const std::string ip = dir.file("images"), lp = dir.file("labels");
  write_idx_images(ip, 6, 3, 3, px.data(), false);
  write_idx_labels(lp, 6, lb.data(), false);
  EXPECT_TRUE(test::throws_with<DataError>([&] { load_idx_dataset(ip, lp, "toy", 10); },
                                           {lp, "index 3", "is 12"}));
  EXPECT_NO_THROW(load_idx_dataset(ip, lp, "toy", 13));
}

// ---- hostile headers and decompression bombs (issue 19) -------------------------------------------

std::vector<uint8_t> idx_header(uint32_t magic, const std::vector<uint32_t>& dims) {
  std::vector<uint8_t> h;
  for (const uint32_t v : std::vector<uint32_t>{magic}) h.insert(h.end(), {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)});
  for (const uint32_t v : dims) h.insert(h.end(), {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)});
  return h;
}

TEST(IdxHostile, HugeDimensionsAreRefusedWithoutOverflow) {
  // 2^31-1 cubed overflows int64: the product is checked before each multiplication (the
  // GD_SANITIZE build turns any signed overflow into a failure).
  test::TempDir dir("idx");
  const std::string p = dir.file("huge");
  write_raw(p, idx_header(2051, {0x7fffffff, 0x7fffffff, 0x7fffffff}));
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_images(p); }, {p, "more than 2^40 bytes"}));
  // A zero dimension announces an empty payload, whatever the others say.
  write_raw(p, idx_header(2051, {0x7fffffff, 0, 0x7fffffff}));
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_images(p); }, {p, "size 0x2147483647"}));
}

TEST(IdxHostile, GzipBombStopsAtWhatTheHeaderAnnounces) {
  // The header announces 10 images of 28x28 (7,856 bytes with the header); the stream then
  // inflates to 32 MiB. Reading stops just past the announced size, with the file named.
  test::TempDir dir("idx");
  const std::string p = dir.file("bomb-images.gz");
  std::vector<uint8_t> bytes = idx_header(2051, {10, 28, 28});
  bytes.resize(size_t{32} << 20, 0);
  write_file_bytes(p, bytes.data(), bytes.size(), true);
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_images(p); },
                                           {p, "decompresses to more than 11952 bytes", "7856 bytes its IDX image header announces"}));
  // The same for a label file.
  const std::string q = dir.file("bomb-labels.gz");
  bytes = idx_header(2049, {10});
  bytes.resize(size_t{8} << 20, 0);
  write_file_bytes(q, bytes.data(), bytes.size(), true);
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_labels(q); }, {q, "decompresses to more than 4114 bytes"}));
}

TEST(IdxHostile, WrongMagicInsideGzipFailsBeforeInflatingTheRest) {
  test::TempDir dir("idx");
  const std::string p = dir.file("zeros.gz");
  const std::vector<uint8_t> zeros(size_t{8} << 20, 0);
  write_file_bytes(p, zeros.data(), zeros.size(), true);
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_images(p); }, {p, "expected 2051, got 0"}));
}

TEST(IdxHostile, AGzipTrailerThatUnderstatesTheSizeIsCorruptNotAnOverread) {
  // Found by fuzz_idx: the trailer's size field (ISIZE) sizes the first buffer; claiming 6 bytes
  // for an 11-byte label file filled it before the 8-byte header was complete, and the header
  // check then read past the buffer (AddressSanitizer: heap-buffer-overflow).
  test::TempDir dir("idx");
  const std::string p = dir.file("labels.gz");
  const std::vector<uint8_t> lb = labels_for(3);
  write_idx_labels(p, 3, lb.data(), true);
  std::vector<uint8_t> bytes = read_file_bytes(p);
  bytes[bytes.size() - 4] = 6;  // ISIZE, little-endian
  bytes[bytes.size() - 3] = bytes[bytes.size() - 2] = bytes[bytes.size() - 1] = 0;
  write_raw(p, bytes);
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_labels(p); }, {p, "corrupt gzip data"}));
}

TEST(IdxHostile, DevZeroIsRefusedFromItsHeader) {
  // Not a regular file: no size to check up front, and no end. The header check stops it.
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_idx_images("/dev/zero"); }, {"/dev/zero", "expected 2051, got 0"}));
}

TEST(IdxHostile, ReadFileBytesRefusesMoreThanTheCap) {
  test::TempDir dir("idx");
  const std::string p = dir.file("big");
  write_raw(p, std::vector<uint8_t>(5000, 1));
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_file_bytes(p, SizeCap{4096, "the test's cap"}); },
                                           {p, "holds 5000 bytes, more than 4096, the test's cap"}));
  EXPECT_TRUE(test::throws_with<DataError>([&] { read_file_bytes("/dev/zero", SizeCap{100000, "the test's cap"}); },
                                           {"/dev/zero", "holds more than 100000 bytes"}));
  EXPECT_EQ(read_file_bytes(p, SizeCap{5000, "exactly"}).size(), 5000u);
}

}  // namespace
}  // namespace gd
