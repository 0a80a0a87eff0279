// Dataset resolution: fake data directories of generated files, the error that lists what is
// needed, downloads from file:// mirrors, and the real MNIST/USPS when ../shared/data is present.
#include "engine/data/registry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "engine/core/error.h"
#include "engine/data/file_bytes.h"
#include "engine/data/idx.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

namespace fs = std::filesystem;

const char* kStems[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                         "t10k-labels-idx1-ubyte"};

// Writes a fake IDX set into dir: n_train / n_test images of side x side, labels i % 10.
// `suffix` is "" or ".gz"; `skip` names a file (by index) not to write.
void write_fake_idx(const std::string& dir, int64_t n_train, int64_t n_test, const std::string& suffix,
                    int64_t side = 28, int skip = -1, bool dotted = false) {
  fs::create_directories(dir);
  const int64_t counts[2] = {n_train, n_test};
  for (int part = 0; part < 2; ++part) {
    const int64_t n = counts[part];
    std::vector<uint8_t> px(static_cast<size_t>(n * side * side)), lb(static_cast<size_t>(n));
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((i * 13 + part) % 256);
    for (int64_t i = 0; i < n; ++i) lb[i] = static_cast<uint8_t>(i % 10);
    std::string names[2] = {kStems[2 * part], kStems[2 * part + 1]};
    if (dotted) {
      for (std::string& s : names) s[s.find("-idx")] = '.';
    }
    const bool gz = suffix == ".gz";
    if (skip != 2 * part) write_idx_images(dir + "/" + names[0] + suffix, n, side, side, px.data(), gz);
    if (skip != 2 * part + 1) write_idx_labels(dir + "/" + names[1] + suffix, n, lb.data(), gz);
  }
}

DataOptions options_for(const std::string& dataset, const std::string& data_dir, const std::string& cache_dir) {
  DataOptions o;
  o.dataset = dataset;
  o.data_dir = data_dir;
  o.cache_dir = cache_dir;
  o.allow_download = false;
  return o;
}

TEST(Registry, NamesAndUnknownDataset) {
  const std::vector<std::string> names = dataset_names();
  EXPECT_EQ(names, (std::vector<std::string>{"mnist", "mnist-10k", "fashion-mnist", "kmnist", "usps"}));
  DataOptions o;
  o.dataset = "cifar";
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { load_dataset(o); }, {"cifar", "mnist-10k", "usps"}));
}

TEST(Registry, LoadsFashionMnistFromADatasetSubdirectory) {
  test::TempDir dir("reg");
  write_fake_idx(dir.file("data/fashion-mnist"), 30, 12, ".gz");
  const DatasetSplits s = load_dataset(options_for("fashion-mnist", dir.file("data"), dir.file("cache")));
  EXPECT_EQ(s.train.n, 30);
  EXPECT_EQ(s.test.n, 12);
  EXPECT_EQ(s.train.height, 28);
  EXPECT_EQ(s.train.name, "fashion-mnist");
  ASSERT_EQ(s.train.class_names.size(), 10u);
  EXPECT_EQ(s.train.class_names[0], "T-shirt/top");
  EXPECT_EQ(s.train.class_names[9], "Ankle boot");
  EXPECT_EQ(s.test.class_names, s.train.class_names);
  const auto ms = pixel_mean_std(s.train);
  EXPECT_EQ(s.mean, ms.first);
  EXPECT_EQ(s.std, ms.second);
  EXPECT_NE(s.source.find(dir.file("data/fashion-mnist")), std::string::npos) << s.source;
}

TEST(Registry, LoadsKmnistRawFilesDirectlyInTheDataDir) {
  test::TempDir dir("reg");
  write_fake_idx(dir.path(), 20, 10, "");
  const DatasetSplits s = load_dataset(options_for("kmnist", dir.path(), dir.file("cache")));
  EXPECT_EQ(s.train.n, 20);
  EXPECT_EQ(s.train.class_names,
            (std::vector<std::string>{"o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"}));
  EXPECT_EQ(s.train.labels[13], 3);
}

TEST(Registry, AcceptsDottedFileNamesAndTheCacheDir) {
  test::TempDir dir("reg");
  write_fake_idx(dir.file("cache/mnist"), 11, 7, ".gz", 28, -1, /*dotted=*/true);
  const DatasetSplits s = load_dataset(options_for("mnist", dir.file("empty"), dir.file("cache")));
  EXPECT_EQ(s.train.n, 11);
  EXPECT_EQ(s.train.class_names[7], "7");
}

TEST(Registry, AnEmptyTestOrTrainSplitIsAnError) {
  // A test set of 0 images reported 0.00% accuracy and exit status 0 (issue 19).
  test::TempDir dir("reg");
  write_fake_idx(dir.file("a"), 20, 0, "");
  EXPECT_TRUE(test::throws_with<DataError>([&] { load_dataset(options_for("kmnist", dir.file("a"), dir.file("cache"))); },
                                           {"dataset 'kmnist' has 20 training and 0 test images", dir.file("a"),
                                            "both must be at least 1"}));
  write_fake_idx(dir.file("b"), 0, 5, ".gz");
  EXPECT_TRUE(test::throws_with<DataError>([&] { load_dataset(options_for("mnist", dir.file("b"), dir.file("cache"))); },
                                           {"0 training and 5 test images"}));
}

TEST(Registry, DataDirFromEnvironment) {
  test::TempDir dir("reg");
  write_fake_idx(dir.file("env/kmnist"), 9, 4, "");
  const char* old = std::getenv("GD_DATA_DIR");
  const std::string saved = old ? old : "";
  ::setenv("GD_DATA_DIR", dir.file("env").c_str(), 1);
  DatasetSplits s;
  EXPECT_NO_THROW(s = load_dataset(options_for("kmnist", "", dir.file("cache"))));
  if (old) ::setenv("GD_DATA_DIR", saved.c_str(), 1); else ::unsetenv("GD_DATA_DIR");
  EXPECT_EQ(s.train.n, 9);
}

TEST(Registry, MissingFilesListWhatIsNeededAndWhereItLooked) {
  test::TempDir dir("reg");
  fs::create_directories(dir.file("data"));
  const std::string cache = dir.file("cache");
  EXPECT_TRUE(test::throws_with<DataError>(
      [&] { load_dataset(options_for("fashion-mnist", dir.file("data"), cache)); },
      {kStems[0], kStems[1], kStems[2], kStems[3], dir.file("data"), dir.file("data/fashion-mnist"),
       cache + "/fashion-mnist", "--data-dir", "GD_DATA_DIR"}));
  // With three of four present, the message names the missing one for that directory.
  write_fake_idx(dir.file("data"), 5, 5, "", 28, /*skip=*/3);
  EXPECT_TRUE(test::throws_with<DataError>(
      [&] { load_dataset(options_for("kmnist", dir.file("data"), cache)); },
      {dir.file("data") + "  (missing: t10k-labels-idx1-ubyte)"}));
}

TEST(Registry, MnistWithDownloadDisabledSaysSoAndWritesNothing) {
  test::TempDir dir("reg");
  const std::string cache = dir.file("cache");
  EXPECT_TRUE(test::throws_with<DataError>(
      [&] { load_dataset(options_for("mnist", dir.file("data"), cache)); },
      {"train-images-idx3-ubyte", "Downloading is disabled"}));
  EXPECT_FALSE(fs::exists(cache));
}

TEST(Registry, MnistDownloadFromBadMirrorsFailsWithReasons) {
#ifndef GD_HAVE_DOWNLOAD
  GTEST_SKIP() << "this build has no download support (configured without libcurl/OpenSSL)";
#endif
  test::TempDir dir("reg");
  // Fake files under the right names: they fail the published SHA-256.
  write_fake_idx(dir.file("mirror"), 5, 5, ".gz");
  DataOptions o = options_for("mnist", dir.file("data"), dir.file("cache"));
  o.allow_download = true;
  o.mirrors_override = {"file://" + dir.file("mirror"), "file://" + dir.file("nowhere") + "/"};
  EXPECT_TRUE(test::throws_with<DataError>(
      [&] { load_dataset(o); },
      {"file://" + dir.file("mirror") + "/train-images-idx3-ubyte.gz: SHA-256 mismatch",
       "file://" + dir.file("nowhere") + "/train-images-idx3-ubyte.gz: ", "--data-dir"}));
  EXPECT_FALSE(fs::exists(dir.file("cache/mnist/train-images-idx3-ubyte.gz")));
  EXPECT_FALSE(fs::exists(dir.file("cache/mnist/train-images-idx3-ubyte.gz.part")));
}

TEST(Registry, WrongImageSizeNamesTheFile) {
  test::TempDir dir("reg");
  write_fake_idx(dir.path(), 4, 4, "", 32);
  EXPECT_TRUE(test::throws_with<DataError>(
      [&] { load_dataset(options_for("kmnist", dir.path(), dir.file("cache"))); },
      {dir.file("train-images-idx3-ubyte"), "expected 28x28, got 32x32"}));
}

std::string esl_text(int lines, int label_offset) {
  std::string s;
  for (int i = 0; i < lines; ++i) {
    s += std::to_string((i + label_offset) % 10);
    for (int k = 0; k < 256; ++k) s += (k + i) % 3 ? " -1" : " 0.5";
    s += "\n";
  }
  return s;
}

void write_text(const std::string& path, const std::string& text, bool gz) {
  fs::create_directories(fs::path(path).parent_path());
  write_file_bytes(path, reinterpret_cast<const uint8_t*>(text.data()), text.size(), gz);
}

TEST(Registry, UspsEslAndLibsvmLayouts) {
  test::TempDir dir("reg");
  write_text(dir.file("a/usps/zip.train.gz"), esl_text(12, 0), true);
  write_text(dir.file("a/usps/zip.test"), esl_text(5, 3), false);
  const DatasetSplits s = load_dataset(options_for("usps", dir.file("a"), dir.file("cache")));
  EXPECT_EQ(s.train.n, 12);
  EXPECT_EQ(s.test.n, 5);
  EXPECT_EQ(s.train.height, 16);
  EXPECT_EQ(s.test.labels[0], 3);
  EXPECT_NE(s.source.find("zip.train.gz"), std::string::npos);

  write_text(dir.file("b/usps"), "10 1:1\n1 2:1\n", false);
  write_text(dir.file("b/usps.t.gz"), "3 1:1\n", true);
  const DatasetSplits l = load_dataset(options_for("usps", dir.file("b"), dir.file("cache")));
  EXPECT_EQ(l.train.labels, (std::vector<uint8_t>{9, 0}));
  EXPECT_EQ(l.test.labels, (std::vector<uint8_t>{2}));
  EXPECT_NE(l.source.find("LIBSVM"), std::string::npos);

  EXPECT_TRUE(test::throws_with<DataError>(
      [&] { load_dataset(options_for("usps", dir.file("c"), dir.file("cache"))); },
      {"zip.train", "usps.t", dir.file("c"), "--data-dir"}));
}

TEST(Registry, Mnist10kFromAPackageInTheDataDir) {
  test::TempDir dir("reg");
  fs::create_directories(dir.file("pkg/src/digits"));
  for (int d = 0; d < 10; ++d) {
    std::string s = "{\"data\":[";
    for (int p = 0; p < 784 * 5; ++p) s += p ? ",0.5" : "0.5";
    write_text(dir.file("pkg/src/digits/" + std::to_string(d) + ".json"), s + "]}", false);
  }
  const DatasetSplits s = load_dataset(options_for("mnist-10k", dir.file("pkg"), dir.file("cache")));
  EXPECT_EQ(s.train.n, 40);  // floor(0.8 * 5) = 4 per digit
  EXPECT_EQ(s.test.n, 10);
  EXPECT_EQ(s.train.images[0], 128);  // round(0.5 * 255) = round(127.5)
  EXPECT_NE(s.source.find(dir.file("pkg")), std::string::npos);
}

TEST(Registry, RealMnistAndUspsWhenPresent) {
  const std::string root = test::shared_data_root();
  if (root.empty()) GTEST_SKIP() << "../shared/data not present";
  test::TempDir dir("reg");
  const auto t0 = std::chrono::steady_clock::now();
  const DatasetSplits m = load_dataset(options_for("mnist", root, dir.file("cache")));
  std::printf("MNIST loaded in %.3f s from %s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), m.source.c_str());
  EXPECT_EQ(m.train.n, 60000);
  EXPECT_EQ(m.test.n, 10000);
  // Histograms recorded in shared/data/mnist/SOURCE.md.
  EXPECT_EQ(label_histogram(m.train), (std::vector<int64_t>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}));
  EXPECT_EQ(label_histogram(m.test), (std::vector<int64_t>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
  // The well-known MNIST training-set statistics (0.1307, 0.3081), to the 4 digits they are quoted.
  EXPECT_NEAR(m.mean, 0.1307, 5e-5);
  EXPECT_NEAR(m.std, 0.3081, 5e-5);

  const DatasetSplits u = load_dataset(options_for("usps", root, dir.file("cache")));
  EXPECT_EQ(u.train.n, 7291);
  EXPECT_EQ(u.test.n, 2007);
  EXPECT_EQ(label_histogram(u.train), (std::vector<int64_t>{1194, 1005, 731, 658, 652, 556, 664, 645, 542, 644}));
}

TEST(Registry, RealMnistDownloadedThroughAFileMirror) {
#ifndef GD_HAVE_DOWNLOAD
  GTEST_SKIP() << "this build has no download support (configured without libcurl/OpenSSL)";
#endif
  const std::string root = test::shared_data_root();
  if (root.empty()) GTEST_SKIP() << "../shared/data not present";
  // The shared .gz files carry the published SHA-256s, so a file:// mirror exercises the whole
  // download path (fetch, verify, rename) offline.
  test::TempDir dir("reg");
  DataOptions o = options_for("mnist", dir.file("empty"), dir.file("cache"));
  o.allow_download = true;
  o.mirrors_override = {"file://" + dir.file("no-such-mirror"), "file://" + fs::absolute(root + "/mnist").string()};
  const DatasetSplits m = load_dataset(o);
  EXPECT_EQ(m.train.n, 60000);
  EXPECT_EQ(m.test.n, 10000);
  for (const char* stem : kStems) EXPECT_TRUE(fs::exists(dir.file(std::string("cache/mnist/") + stem + ".gz"))) << stem;
  EXPECT_NE(m.source.find("downloaded"), std::string::npos);
  // A second load finds the cached files and does not need the mirrors.
  o.mirrors_override = {"file://" + dir.file("no-such-mirror")};
  EXPECT_EQ(load_dataset(o).train.n, 60000);
}

}  // namespace
}  // namespace gd
