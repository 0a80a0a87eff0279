#pragma once
// One image file -> the model-ready digit: read_image (image_decode.h) then preprocess_digit
// (digit_preprocess.h). Every error is a DataError whose message starts with the path.
#include <string>

#include "engine/image/digit_preprocess.h"
#include "engine/image/image_decode.h"

namespace gd {

struct DigitFile {
  std::string path;
  std::string source;  // DecodedImage::describe() of the file, e.g. "JPEG 8-bit colour 800x600"
  PreprocessResult digit;
};

DigitFile load_digit_file(const std::string& path, const DigitPreprocessOptions& options);

}  // namespace gd
