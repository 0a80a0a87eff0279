#include "engine/image/digit_file.h"

#include "engine/core/error.h"

namespace gd {

DigitFile load_digit_file(const std::string& path, const DigitPreprocessOptions& options) {
  DigitFile f;
  f.path = path;
  const DecodedImage img = read_image(path);  // its errors already name the path
  f.source = img.describe();
  try {
    f.digit = preprocess_digit(img.image, options);
  } catch (const DataError& e) {
    throw DataError(path + ": " + e.what());
  }
  return f;
}

}  // namespace gd
