#pragma once
// Test-time augmentation by shifting: a model's probabilities averaged over the original images
// and copies moved by one pixel. Digits in MNIST and USPS are centred by their makers, so small
// shifts are the variation the models saw least consistently; averaging over them removes some
// of the errors of a digit a pixel off centre (measured in docs/accuracy.md).
#include <vector>

#include "engine/data/dataset.h"
#include "engine/graph/network.h"
#include "engine/train/predict.h"

namespace gd {

struct PixelShift {
  int dx = 0, dy = 0;  // the content moves right by dx and down by dy pixels
};

// The shifts of `copies` test-time copies: 1 = the original only; 5 = the original and one pixel
// up, down, left and right; 9 = also the four diagonals. ConfigError for any other count.
std::vector<PixelShift> test_time_shifts(int copies);

// `d` with every image's content moved by `s`; pixels moved in from outside are 0 (the dark
// background of the stored form, dataset.h). Labels and names are kept.
Dataset shifted_copy(const Dataset& d, PixelShift s);

// predict() on each shifted copy of `data`, the probabilities averaged (average_predictions).
Predictions predict_with_shifts(Network& net, const Dataset& data, float mean, float std,
                                const std::vector<PixelShift>& shifts);

}  // namespace gd
