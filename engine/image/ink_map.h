#pragma once
// From luminance to ink intensity (light-on-dark, 0 background .. 1 full ink), given the border's
// background level B and noise spread sigma (border_stats.h):
//  * noise floor T = max(4 sigma, 2/255 of full scale): deviations from B smaller than T are
//    background (grain, JPEG ringing, paper texture, mild uneven lighting, which inflates sigma);
//  * polarity (Auto): the side of B holding more deviation mass beyond T is the ink,
//    sum(max(0, L - B - T)) against sum(max(0, B - L - T)); dark ink on light paper is inverted.
//    Ink is a minority of the image but it is where the large deviations are, so this holds for a
//    1-pixel digit on a clean background and for symmetric noise on both sides;
//  * d = max(0, |L - B| - T) on the ink side, and the ink level is the 95th percentile of the
//    positive d (robust to a few outliers), so ink = min(1, d / level): stroke cores saturate at 1
//    as in MNIST, anti-aliased edges keep their grey levels.
// Images without ink throw DataError: blank (no pixel deviates beyond T), noise only (nothing
// deviates by 8 sigma, which Gaussian noise alone essentially never does), nothing on the side a
// forced polarity names, or a border so busy that its spread swamps the contrast (a bold digit
// cropped so tightly that ink is most of the image and of its border: the message asks for a
// margin of plain background).
#include "engine/image/border_stats.h"
#include "engine/image/gray_image.h"

namespace gd {

enum class Polarity { Auto, DarkOnLight, LightOnDark };

struct InkMap {
  FloatImage ink;         // same size as the source, 0..1
  bool inverted = false;  // the source was dark ink on a light background
  double threshold = 0;   // T, 16-bit units
  double level = 0;       // deviation (after T) that maps to ink 1, 16-bit units
};

// Throws DataError (without a file name: callers add it) when the image holds no ink.
InkMap extract_ink(const GrayImage16& img, const BorderStats& border, Polarity polarity);

}  // namespace gd
