#pragma once
// Slant correction, as applied to the USPS digits ("deslanted and size normalized", Le Cun et al.
// 1990): the ink's slant is the ratio of its second central moments mu11 / mu02 (x per unit y,
// y downwards), and a horizontal shear x' = x - slant * (y - cy) makes the principal axis
// vertical. Rows are shifted by fractional amounts with linear interpolation.
#include "engine/image/gray_image.h"

namespace gd {

// mu11 / mu02 of the intensity-weighted pixels, clamped to [-1, 1] (45 degrees); 0 for an image
// with a single ink row or no ink.
double ink_slant(const FloatImage& ink);

// The sheared image, widened so nothing is cut off: width + ceil(|slant| * (height - 1)) + 1.
FloatImage shear_rows(const FloatImage& ink, double slant);

}  // namespace gd
