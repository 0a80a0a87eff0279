// SHA-256 and mirror fallback of download_verified, exercised offline through file:// URLs.
// In a build without download support (no GD_HAVE_DOWNLOAD: libcurl or OpenSSL missing at
// configure time) those tests skip, and the last test checks the error that replaces them.
#include "engine/data/download.h"

#include <gtest/gtest.h>

#ifdef GD_HAVE_DOWNLOAD
#include <openssl/evp.h>
#endif

#include <cstdio>
#include <filesystem>

#include "engine/core/error.h"
#include "engine/data/file_bytes.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

namespace fs = std::filesystem;

#ifdef GD_HAVE_DOWNLOAD
#define GD_SKIP_WITHOUT_DOWNLOAD() (void)0
#else
#define GD_SKIP_WITHOUT_DOWNLOAD() \
  GTEST_SKIP() << "this build has no download support (configured without libcurl/OpenSSL)"
#endif

void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  write_file_bytes(path, reinterpret_cast<const uint8_t*>(text.data()), text.size(), false);
}

std::string read_text(const std::string& path) {
  const std::vector<uint8_t> b = read_file_bytes(path);
  return std::string(b.begin(), b.end());
}

std::string file_url(const std::string& path) { return "file://" + fs::absolute(path).string(); }

// FIPS 180-2 test vectors.
constexpr const char* kShaAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kShaEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Download, Sha256KnownAnswers) {
  GD_SKIP_WITHOUT_DOWNLOAD();
  test::TempDir dir("dl");
  write_text(dir.file("abc"), "abc");
  write_text(dir.file("empty"), "");
  EXPECT_EQ(sha256_file(dir.file("abc")), kShaAbc);
  EXPECT_EQ(sha256_file(dir.file("empty")), kShaEmpty);
  // The two-block vector (the message padding spills into a second 64-byte block).
  write_text(dir.file("two"), "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
  EXPECT_EQ(sha256_file(dir.file("two")), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_TRUE(test::throws_with<DataError>([&] { sha256_file(dir.file("none")); }, {dir.file("none")}));
}

TEST(Download, Sha256OfALongFile) {
  GD_SKIP_WITHOUT_DOWNLOAD();
  test::TempDir dir("dl");
  // FIPS 180-2's long-message vector: one million 'a'.
  write_text(dir.file("million"), std::string(1000000, 'a'));
  EXPECT_EQ(sha256_file(dir.file("million")), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // 2.5 MiB crosses sha256_file's 1 MiB read chunks: compare with a one-shot digest in memory.
  std::string big(5 << 19, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  write_text(dir.file("big"), big);
#ifdef GD_HAVE_DOWNLOAD
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest(big.data(), big.size(), md, &len, EVP_sha256(), nullptr), 1);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof(buf), "%02x", md[i]);
    hex += buf;
  }
  EXPECT_EQ(sha256_file(dir.file("big")), hex);
#endif
}

TEST(Download, GoodMirrorPlacesTheFile) {
  GD_SKIP_WITHOUT_DOWNLOAD();
  test::TempDir dir("dl");
  write_text(dir.file("mirror/f.bin"), "abc");
  const std::string dest = dir.file("cache/sub/f.bin");
  download_verified({file_url(dir.file("mirror/f.bin"))}, dest, kShaAbc);
  EXPECT_EQ(read_text(dest), "abc");
  EXPECT_FALSE(fs::exists(dest + ".part"));
}

TEST(Download, BadChecksumFallsBackToTheNextMirror) {
  GD_SKIP_WITHOUT_DOWNLOAD();
  test::TempDir dir("dl");
  write_text(dir.file("bad/f.bin"), "abd");
  write_text(dir.file("good/f.bin"), "abc");
  const std::string dest = dir.file("cache/f.bin");
  download_verified({file_url(dir.file("missing/f.bin")), file_url(dir.file("bad/f.bin")),
                     file_url(dir.file("good/f.bin"))},
                    dest, "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");  // any case
  EXPECT_EQ(read_text(dest), "abc");
  EXPECT_FALSE(fs::exists(dest + ".part"));
}

TEST(Download, AllMirrorsBadListsEachUrlAndLeavesNothing) {
  GD_SKIP_WITHOUT_DOWNLOAD();
  test::TempDir dir("dl");
  write_text(dir.file("a/f.bin"), "abd");
  const std::string a = file_url(dir.file("a/f.bin")), b = file_url(dir.file("b/f.bin"));
  const std::string dest = dir.file("cache/f.bin");
  EXPECT_TRUE(test::throws_with<DataError>([&] { download_verified({a, b}, dest, kShaAbc); },
                                           {dest, a + ": SHA-256 mismatch", kShaAbc, b + ": "}));
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(fs::exists(dest + ".part"));
  EXPECT_TRUE(test::throws_with<DataError>([&] { download_verified({}, dest, kShaAbc); }, {dest, "no URLs"}));
}

TEST(Download, VerifiedExistingFileIsKeptAndAStaleOneReplaced) {
  GD_SKIP_WITHOUT_DOWNLOAD();
  test::TempDir dir("dl");
  const std::string dest = dir.file("f.bin");
  write_text(dest, "abc");
  download_verified({}, dest, kShaAbc);  // nothing to fetch: would throw if it tried
  EXPECT_EQ(read_text(dest), "abc");
  write_text(dest, "stale");
  write_text(dir.file("m/f.bin"), "abc");
  download_verified({file_url(dir.file("m/f.bin"))}, dest, kShaAbc);
  EXPECT_EQ(read_text(dest), "abc");
}

TEST(Download, WithoutDownloadSupportSaysWhatToPutWhere) {
#ifdef GD_HAVE_DOWNLOAD
  GTEST_SKIP() << "this build has download support; the tests above cover it";
#else
  test::TempDir dir("dl");
  write_text(dir.file("m/f.bin"), "abc");
  const std::string url = file_url(dir.file("m/f.bin"));
  const std::string dest = dir.file("cache/f.bin");
  // Names the file, the place to put it, the checksum it must have, the mirror, and --data-dir.
  EXPECT_TRUE(test::throws_with<DataError>([&] { download_verified({url}, dest, kShaAbc); },
                                           {"no download support", "f.bin", dest, kShaAbc, url, "--data-dir"}));
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(fs::exists(dest + ".part"));
  EXPECT_TRUE(test::throws_with<DataError>([&] { sha256_file(dir.file("m/f.bin")); },
                                           {"no download support", dir.file("m/f.bin")}));
#endif
}

}  // namespace
}  // namespace gd
