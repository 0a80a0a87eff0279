// Dataset samples -> PNG data URIs (see digit_image.h).
#include "engine/report/digit_image.h"

#include "engine/core/error.h"
#include "engine/image/png_encode.h"
#include "engine/report/base64.h"
#include "engine/report/html_escape.h"

namespace gd::report {

GrayImage sample_image(const Dataset& d, int64_t i) {
  GD_CHECK_SHAPE(i >= 0 && i < d.n, "sample_image: sample " << i << " is outside dataset '" << d.name << "' of "
                                                             << d.n << " samples");
  GD_CHECK_SHAPE(d.images.size() >= static_cast<size_t>(d.n * d.row()),
                 "sample_image: dataset '" << d.name << "' holds " << d.images.size() << " bytes, expected "
                                           << d.n * d.row());
  GrayImage img(static_cast<int>(d.width), static_cast<int>(d.height));
  const int64_t plane = d.height * d.width;
  const uint8_t* src = d.images.data() + static_cast<size_t>(i * d.row());
  for (int64_t p = 0; p < plane; ++p) {
    int sum = 0;
    for (int64_t c = 0; c < d.channels; ++c) sum += src[c * plane + p];
    img.pixels[static_cast<size_t>(p)] = static_cast<uint8_t>((sum + d.channels / 2) / d.channels);
  }
  return img;
}

std::string png_data_uri(const GrayImage& img) { return "data:image/png;base64," + base64_encode(encode_png(img)); }

std::string digit_img_tag(const GrayImage& img, int display_px, const std::string& alt) {
  const int h = img.width > 0 ? display_px * img.height / img.width : display_px;
  return "<img class=\"digit-img\" src=\"" + png_data_uri(img) + "\" width=\"" + std::to_string(display_px) +
         "\" height=\"" + std::to_string(h) + "\" alt=\"" + html_escape(alt) + "\">";
}

}  // namespace gd::report
