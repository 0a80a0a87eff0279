#pragma once
// In-memory labelled image sets and the helpers that cut them up (subsets, stratified validation
// splits, concatenation). Pixels are stored as uint8 0..255, light digit on a dark background
// (MNIST's convention); every loader converts to this form.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gd {

struct Dataset {
  std::string name;
  int64_t n = 0;
  int64_t channels = 1, height = 0, width = 0;
  int num_classes = 10;
  std::vector<uint8_t> images;  // (n, channels, height, width) row-major, 0..255
  std::vector<uint8_t> labels;  // (n), each < num_classes
  std::vector<std::string> class_names;  // num_classes entries (or empty)

  // Bytes per sample: channels * height * width.
  int64_t row() const { return channels * height * width; }
  // Consistency: positive geometry, images.size() == n*row(), labels.size() == n,
  // num_classes in 1..256, every label < num_classes, class_names empty or num_classes long.
  // Throws DataError naming the dataset and the first problem found.
  void validate() const;
};

struct DatasetSplits {
  Dataset train, test;
  // Mean and standard deviation of the TRAIN pixels in [0,1] scale (pixel / 255), computed at
  // load time; the input pipeline normalises with (pixel/255 - mean) / std.
  float mean = 0.f, std = 1.f;
  std::string source;  // human-readable: which files / directory / mirror the data came from
};

// Samples idx[0..k) of `d`, in that order (duplicates allowed). Throws DataError on an index
// outside [0, d.n).
Dataset subset(const Dataset& d, const std::vector<int64_t>& idx);

// Stratified split of `train` into (rest, validation): for every class c with k_c samples,
// round(fraction * k_c) of them (chosen by a deterministic shuffle keyed by seed and c) go to
// validation. Both parts keep the original sample order; the validation part is named
// "<name>-val". fraction must be in [0, 1) (else
// ConfigError); fraction 0 gives an empty validation set. The same (data, fraction, seed) always
// gives the same split, on every platform and compiler.
std::pair<Dataset, Dataset> split_validation(const Dataset& train, double fraction, uint64_t seed);

// a's samples followed by b's. Geometry and num_classes must agree (DataError otherwise).
Dataset concat(const Dataset& a, const Dataset& b);

// Mean and standard deviation of all pixels of d in [0,1] scale (exact integer sums, so the
// result does not depend on the thread count). An empty dataset gives (0, 1).
std::pair<float, float> pixel_mean_std(const Dataset& d);

// Per-class sample counts (num_classes entries). DataError on a label >= num_classes.
std::vector<int64_t> label_histogram(const Dataset& d);

// In-place Fisher-Yates shuffle driven by Philox (seed, stream), so the permutation is the same
// everywhere (std::shuffle's algorithm is implementation-defined).
void deterministic_shuffle(std::vector<int64_t>& v, uint64_t seed, uint32_t stream);

}  // namespace gd
