#pragma once
// The IDX format of MNIST, Fashion-MNIST and KMNIST (http://yann.lecun.com/exdb/mnist/), raw or
// gzip-compressed (detected by the gzip magic bytes, not by the file name):
//   images: big-endian int32 magic 2051 (0x00000803: unsigned byte, 3 dims), n, rows, cols,
//           then n*rows*cols pixel bytes, row-major.
//   labels: big-endian int32 magic 2049 (0x00000801), n, then n label bytes.
// Every error is a DataError that names the file and says what was expected and what was found.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/dataset.h"

namespace gd {

struct IdxImages {
  int64_t n = 0, height = 0, width = 0;
  std::vector<uint8_t> pixels;  // (n, height, width)
};

// Reads an IDX image file. expect_height / expect_width > 0 demand that size (0 accepts any).
IdxImages read_idx_images(const std::string& path, int64_t expect_height = 0, int64_t expect_width = 0);

// Reads an IDX label file: n labels.
std::vector<uint8_t> read_idx_labels(const std::string& path);

// Reads an image file and its label file as one Dataset (1 channel): the counts must agree and
// every label must be below num_classes. class_names is left empty for the caller to fill.
Dataset load_idx_dataset(const std::string& images_path, const std::string& labels_path,
                         const std::string& name, int num_classes, int64_t expect_height = 0,
                         int64_t expect_width = 0);

// Writers (tests and tools): pixels (n, height, width), labels (n); gzip when `gzip`.
void write_idx_images(const std::string& path, int64_t n, int64_t height, int64_t width,
                      const uint8_t* pixels, bool gzip);
void write_idx_labels(const std::string& path, int64_t n, const uint8_t* labels, bool gzip);

}  // namespace gd
