#pragma once
// Resizing float images, separably (rows, then columns). Per axis:
//  * shrinking (or same size): each output pixel is the exact area average of the source interval
//    it covers, [j * in/out, (j + 1) * in/out), with fractional weights for partly covered pixels:
//    the anti-aliasing MNIST's size normalisation used;
//  * enlarging: linear interpolation between pixel centres (source coordinate
//    (j + 0.5) * in/out - 0.5, edge pixels extended), so a tiny digit grows smooth, not blocky.
// Cost: O(in_w * in_h + out_w * in_h) for the row pass, O(out_w * in_h + out_w * out_h) for the
// column pass, so a large crop shrinks in time proportional to its pixels.
#include "engine/image/gray_image.h"

namespace gd {

// src must be non-empty; out_w, out_h >= 1 (ShapeError otherwise).
FloatImage resize_area(const FloatImage& src, int out_w, int out_h);

// The sub-image [x0, x0 + w) x [y0, y0 + h) (must lie inside src; ShapeError otherwise).
FloatImage crop(const FloatImage& src, int x0, int y0, int w, int h);

}  // namespace gd
