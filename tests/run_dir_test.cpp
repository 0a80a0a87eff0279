#include "engine/train/run_dir.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "engine/core/error.h"
#include "engine/train/atomic_file.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

namespace fs = std::filesystem;

// 1700000000 s after the epoch is 2023-11-14 22:13:20 UTC.
constexpr std::time_t kFixedTime = 1700000000;

// Makes localtime() deterministic for this test binary.
class RunDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  test::TempDir dir{"run_dir"};
};

TEST(RunDirTag, SanitisesSpecStrings) {
  EXPECT_EQ(sanitize_run_tag("conv(32,5),pool:2"), "conv_32_5__pool_2");
  EXPECT_EQ(sanitize_run_tag("mlp-512.v2_x"), "mlp-512.v2_x");
  EXPECT_EQ(sanitize_run_tag("a/b c"), "a_b_c");
  EXPECT_EQ(sanitize_run_tag(""), "model");
  EXPECT_EQ(sanitize_run_tag(std::string(200, 'x')).size(), 64u);
}

TEST_F(RunDirTest, AutoNameUsesTagAndTimestamp) {
  const std::string root = dir.file("runs");
  const std::string p = make_run_dir("", "conv(32,5),dense(10)", root, kFixedTime);
  EXPECT_EQ(p, root + "/conv_32_5__dense_10_-20231114-221320");
  EXPECT_TRUE(fs::is_directory(p));
  EXPECT_TRUE(fs::is_empty(p));
}

TEST_F(RunDirTest, NeverReusesAnExistingAutoNamedDirectory) {
  const std::string root = dir.file("runs");
  const std::string a = make_run_dir("", "mlp", root, kFixedTime);
  write_file_atomic(a + "/metrics.json", "{}");
  const std::string b = make_run_dir("", "mlp", root, kFixedTime);
  const std::string c = make_run_dir("", "mlp", root, kFixedTime);
  EXPECT_EQ(a, root + "/mlp-20231114-221320");
  EXPECT_EQ(b, a + "-2");
  EXPECT_EQ(c, a + "-3");
  EXPECT_TRUE(fs::is_directory(c));
  EXPECT_EQ(read_file(a + "/metrics.json"), "{}");  // the first run is untouched
  // A different second gets a plain name again.
  EXPECT_EQ(make_run_dir("", "mlp", root, kFixedTime + 1), root + "/mlp-20231114-221321");
}

TEST_F(RunDirTest, ExplicitOutIsCreatedWithParentsAndMayExist) {
  const std::string out = dir.file("a/b/c");
  EXPECT_EQ(make_run_dir(out, "ignored"), out);
  EXPECT_TRUE(fs::is_directory(out));
  write_file_atomic(out + "/checkpoint.bin", "x");
  EXPECT_EQ(make_run_dir(out, "ignored"), out);  // resuming into an existing run directory
  EXPECT_EQ(read_file(out + "/checkpoint.bin"), "x");
}

TEST_F(RunDirTest, FileInTheWayThrowsNamingThePath) {
  const std::string blocker = dir.file("blocker");
  write_file_atomic(blocker, "not a directory");
  try {
    make_run_dir(blocker + "/run", "mlp");
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(blocker), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_run_dir(blocker, "mlp"), Error);
  EXPECT_THROW(make_run_dir("", "mlp", blocker, kFixedTime), Error);
}

}  // namespace
}  // namespace gd
