#pragma once
// Digit samples as images for reports: one sample of a Dataset as a grayscale image, PNG-encoded in
// memory (gd::encode_png, engine/image/png_encode.h) and wrapped in a data: URI so the report needs
// no side files.
#include <cstdint>
#include <string>

#include "engine/data/dataset.h"
#include "engine/image/gray_image.h"

namespace gd::report {

// Sample i of `d` as a width x height image, pixels as stored (light digit on dark background).
// Multi-channel samples are averaged over channels. Throws ShapeError for i outside [0, d.n).
GrayImage sample_image(const Dataset& d, int64_t i);

// "data:image/png;base64,..." for the image.
std::string png_data_uri(const GrayImage& img);

// An <img> element showing `img` at `display_px` CSS pixels wide (height keeps the aspect ratio),
// scaled without smoothing so individual pixels stay visible; `alt` is plain text (escaped here).
std::string digit_img_tag(const GrayImage& img, int display_px, const std::string& alt);

}  // namespace gd::report
