#pragma once
// Turns a photo, scan or drawing of one digit into the image a model trained on MNIST (or USPS)
// expects, repeating how those datasets were made.
//
// MNIST (LeCun et al.): NIST's binary digits were size-normalised to fit a 20x20 box preserving
// their aspect ratio (anti-aliasing makes them grey-level), then placed in a 28x28 image so the
// intensity-weighted centre of mass sits at the centre. Checked on the real files: the longer side
// of the box of non-zero pixels is 20 px (99.98% of the 70,000 digits; 19 for the rest), and the
// centre of mass is at (14.0, 14.0) in pixel-index coordinates (pixel (x, y) centred at (x, y))
// with a spread of 0.29 px, the spread of rounding to whole pixels, so the shift is an integer
// one. Strokes peak at 255 in 90% of the digits.
// USPS (ESL's zip files): "deslanted and size normalized" to 16x16: checked on zip.train, the
// longer side of the box is 16 in 99.9% of digits (the digit fills the frame, aspect ratio kept:
// a 1 is 2-6 px wide) and the box is centred (box centre 7.5 +- 0.1 px), not the centre of mass.
//
// Steps (each its own file):
//  1. background and noise from the border band (border_stats.h);
//  2. polarity, background removal and contrast stretch to ink 0..1 (ink_map.h): dark-on-light
//     input is inverted to MNIST's light-on-dark;
//  3. the digit's bounding box, ignoring specks and scan-frame lines (ink_components.h);
//  4. optionally deslant (deslant.h), then re-box;
//  5. scale so the longer side of the box is `box` px (area averaging when shrinking, linear
//     interpolation when enlarging: resample.h), the shorter side in proportion (at least 1 px);
//  6. rescale so the brightest pixel is 255 (thin pen strokes would otherwise come out faint);
//  7. paste into the canvas: centre of mass at (canvas/2, canvas/2) with a whole-pixel shift
//     (clamped so the box stays inside the canvas), or the box centred (USPS).
// Cost is linear in the image's pixels: a 4000x3000 photo takes about 0.25 s on one core, with a
// peak of about 12 bytes per pixel (16-bit input, 16-bit deviations, float ink, int32 labels).
#include <string>

#include "engine/core/shape.h"
#include "engine/image/gray_image.h"
#include "engine/image/ink_map.h"

namespace gd {

enum class Centering { CenterOfMass, BoundingBox };

struct DigitPreprocessOptions {
  int canvas = 28;            // output is canvas x canvas pixels
  int box = 20;               // longer side of the digit's box after scaling, 1..canvas
  Centering centering = Centering::CenterOfMass;
  bool deslant = false;       // shear the ink upright first (USPS)
  Polarity polarity = Polarity::Auto;
  double ink_threshold = 0.3;           // fraction of full ink at which a pixel counts for the box, (0, 1)
  double min_component_fraction = 0.02; // lighter components (ink mass vs the heaviest) are specks, [0, 1)
};

DigitPreprocessOptions mnist_preprocess_options();  // 28 / 20 / centre of mass
DigitPreprocessOptions usps_preprocess_options();   // 16 / 16 / box centred / deslant
// For a model input (C, H, W): C must be 1 and H == W (ConfigError otherwise); 16x16 gets the USPS
// options, any other size MNIST's proportions (box = round(H * 20 / 28), centre of mass).
DigitPreprocessOptions preprocess_options_for_input(const Shape& input);
// Throws ConfigError naming the field and value.
void validate(const DigitPreprocessOptions& o);
// One line, e.g. "MNIST-style: ink box 20 px, centre of mass at (14,14) in 28x28".
std::string describe(const DigitPreprocessOptions& o);

struct PreprocessResult {
  GrayImage image;            // canvas x canvas, light ink (peak 255) on black (0)
  bool inverted = false;      // the input was dark ink on a light background
  double background = 0.0;    // estimated background luminance, 0..1
  double noise = 0.0;         // estimated noise spread of the background, 0..1
  int box_x = 0, box_y = 0, box_w = 0, box_h = 0;  // the digit's box in the input image
  double slant = 0.0;         // shear removed (x per y), 0 without deslant
  int scaled_w = 0, scaled_h = 0;  // the box's size after scaling
  int dropped_specks = 0, dropped_frame = 0;
  double com_x = 0.0, com_y = 0.0;  // centre of mass of `image` (pixel-index coordinates)
};

// Throws DataError (no file name: see digit_file.h) when the image holds no ink, ConfigError for
// bad options.
PreprocessResult preprocess_digit(const GrayImage16& src, const DigitPreprocessOptions& o);

}  // namespace gd
