#pragma once
// USPS handwritten digits (16x16 grey), in the two text forms in circulation; either may be
// gzip-compressed (detected by the magic bytes).
//
//  * ESL (The Elements of Statistical Learning: zip.train.gz / zip.test.gz): one sample per line,
//    "label v1 ... v256", whitespace separated, label a digit 0..9 (written "6.0000" in zip.train
//    and "6" in zip.test: any integral number is accepted), values row-major in [-1, 1] with -1 the
//    background.
//  * LIBSVM (usps / usps.t): "label idx:val ...", indices 1..256 ascending or not, each at most
//    once, values in [-1, 1]; an index that is absent has value 0 (the sparse convention).
//    LIBSVM's copy stores digit d as label d+1 (1..10). Rule: when some label is 10 and none is
//    0, every label l becomes l-1; labels must then be 0..9 (a file with both 0 and 10 is an error).
//
// Pixels: u8 = round((v + 1) / 2 * 255), clamped to 0..255, so -1 -> 0 (dark background) and
// 1 -> 255, matching MNIST's polarity. Precision: the ESL files print every value as a multiple of
// 0.001 (2001 levels in [-1, 1]; checked on the real files), so storing 256 levels quantises: the
// largest error is half a grey level, 0.5/255 ~= 0.002 in [0,1] scale. That is far below the
// pen-stroke contrast the classifier uses, and it lets USPS share MNIST's uint8 pipeline.
//
// Errors are DataErrors naming the file and the 1-based line: wrong field count (with the count),
// non-numeric token (with the token), value outside [-1, 1], label not an integer 0..9, LIBSVM
// index outside 1..256 or repeated, and an empty file.
#include <cstdint>
#include <string>
#include <utility>

#include "engine/data/dataset.h"

namespace gd {

constexpr int64_t kUspsSide = 16;
constexpr int64_t kUspsPixels = kUspsSide * kUspsSide;

// [-1, 1] -> 0..255 as documented above.
uint8_t usps_value_to_u8(double v);

// The ESL form. The result is named "usps", 1x16x16, 10 classes named "0".."9".
Dataset read_usps_esl(const std::string& path);

// The LIBSVM form (label mapping as documented above, decided on this file's labels). Same
// result layout as read_usps_esl.
Dataset read_usps_libsvm(const std::string& path);

// A LIBSVM train/test pair with the label rule decided on both files' labels together, so the
// two always agree (a small test file might happen to hold no digit 9).
std::pair<Dataset, Dataset> read_usps_libsvm_pair(const std::string& train_path, const std::string& test_path);

}  // namespace gd
