#include "engine/export/onnx_metadata.h"

#include <nlohmann/json.hpp>

#include "engine/image/digit_preprocess.h"

namespace gd {
namespace {

// Text that reads back as exactly the float the graph holds (JSON prints the double round-trip form).
std::string float_text(float v) { return nlohmann::json(v).dump(); }

}  // namespace

std::vector<std::pair<std::string, std::string>> onnx_metadata(const ModelInfo& info) {
  const DigitPreprocessOptions pre = preprocess_options_for_input(info.input);
  const std::string size = std::to_string(info.input[1]) + "x" + std::to_string(info.input[2]);
  const std::string classes = std::to_string(info.num_classes);
  const bool usps = pre.centering == Centering::BoundingBox;
  return {
      {"spec", info.spec},
      {"class_names", nlohmann::json(info.class_names).dump()},
      {"num_classes", classes},
      {"input_size", size},
      {"input", "image (N," + std::to_string(info.input[0]) + "," + std::to_string(info.input[1]) + "," +
                    std::to_string(info.input[2]) + ") float32, N any batch size"},
      {"input_range", "pixel intensities in [0, 1] (pixel / 255), light digit on a dark background, " + size +
                          " as the data set stores them"},
      {"preprocessing", usps ? "usps" : "mnist"},
      {"preprocessing_description", describe(pre)},
      {"normalisation", "(image - normalisation_mean) / normalisation_std, applied inside the graph"},
      {"normalisation_mean", float_text(info.mean)},
      {"normalisation_std", float_text(info.std)},
      {"outputs", "probabilities (N," + classes + "): softmax of logits; logits (N," + classes + ")"},
  };
}

}  // namespace gd
