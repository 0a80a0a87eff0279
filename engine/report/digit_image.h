#pragma once
// Digit samples as images for reports: one sample of a Dataset as a grayscale image, PNG-encoded in
// memory (stb_image_write) and wrapped in a data: URI so the report needs no side files.
#include <cstdint>
#include <string>

#include "engine/data/dataset.h"
#include "engine/image/gray_image.h"

namespace gd::report {

// Sample i of `d` as a width x height image, pixels as stored (light digit on dark background).
// Multi-channel samples are averaged over channels. Throws ShapeError for i outside [0, d.n).
GrayImage sample_image(const Dataset& d, int64_t i);

// PNG file bytes of an 8-bit grayscale image. Throws ShapeError for an empty image and Error when
// the encoder fails.
std::string encode_png(const GrayImage& img);

// "data:image/png;base64,..." for the image.
std::string png_data_uri(const GrayImage& img);

// An <img> element showing `img` at `display_px` CSS pixels wide (height keeps the aspect ratio),
// scaled without smoothing so individual pixels stay visible; `alt` is plain text (escaped here).
std::string digit_img_tag(const GrayImage& img, int display_px, const std::string& alt);

}  // namespace gd::report
