#pragma once
// Decoded channel samples -> one 16-bit luminance image.
//
// Colour: luma Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601 weights) applied to the stored,
// gamma-encoded values, as JPEG, PIL's "L" mode and stb_image do; gray samples are taken as they are.
//
// Alpha (2 = gray+alpha, 4 = RGBA; straight, not premultiplied): transparent pixels are composited
// over a backdrop chosen from what the visible pixels imply, so the digit never vanishes:
//  * coverage = mean alpha. When at least half the image is opaque, the visible pixels include the
//    paper, so the backdrop is their alpha-weighted median luminance (transparent corners of a scan
//    then blend into the paper).
//  * Otherwise the visible pixels are the ink (strokes on a transparent canvas): the backdrop is
//    white when their alpha-weighted mean luminance is below one half (dark ink), else black.
//  * A fully transparent image composites to plain white (and is then blank).
// Then Y' = a * Y + (1 - a) * backdrop, with a = alpha / max.
#include <cstdint>

#include "engine/image/gray_image.h"

namespace gd {

struct LuminanceResult {
  GrayImage16 image;
  double backdrop = -1.0;  // luminance 0..1 that transparency was composited over; -1 without alpha
};

// samples: (h, w, channels) interleaved, channels 1..4; 8-bit samples are 0..255, 16-bit 0..65535.
LuminanceResult luminance_from_samples(const uint8_t* samples, int w, int h, int channels);
LuminanceResult luminance_from_samples(const uint16_t* samples, int w, int h, int channels);

}  // namespace gd
