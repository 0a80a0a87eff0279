#pragma once
// The background of a digit image, estimated from its border: a band of
// max(1, min(width, height) / 25) pixels along all four edges, where a digit photo or scan shows
// paper (or board) rather than ink. The median of the band is the background level and
// 1.4826 * MAD (median absolute deviation) the noise spread; both are robust to a minority of ink
// or a thin scan edge inside the band.
// Fallback: when the band's spread exceeds a tenth of the image's range (grain and paper texture
// stay well below) and the image as a whole is quieter, the digit is cropped so tightly that its
// strokes fill the border (USPS digits touch all four edges), and the median and MAD of all pixels
// are used instead: background is the majority of such a digit image.
// Values in the image's 16-bit units (0..65535).
#include "engine/image/gray_image.h"

namespace gd {

struct BorderStats {
  double background = 0.0;  // median of the band (or of the image, see above)
  double noise = 0.0;       // 1.4826 * MAD (a Gaussian's standard deviation)
  int band = 1;             // band width in pixels
  bool from_whole_image = false;  // the fallback was taken
};

BorderStats border_statistics(const GrayImage16& img);

}  // namespace gd
