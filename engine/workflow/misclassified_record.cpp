// Misclassified test digits kept for the workflow report (misclassified_record.h).
#include "engine/workflow/misclassified_record.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "engine/core/error.h"
#include "engine/train/atomic_file.h"

namespace gd::workflow {

Dataset MisclassifiedRecord::sparse_dataset() const {
  Dataset d;
  d.name = "misclassified";
  d.n = samples;
  d.channels = channels;
  d.height = height;
  d.width = width;
  d.num_classes = static_cast<int>(class_names.size());
  d.class_names = class_names;
  d.images.assign(static_cast<size_t>(samples * d.row()), 0);
  d.labels.assign(static_cast<size_t>(samples), 0);
  for (size_t i = 0; i < items.size(); ++i) {
    const int64_t at = items[i].index;
    std::copy(pixels[i].begin(), pixels[i].end(), d.images.begin() + at * d.row());
    d.labels[static_cast<size_t>(at)] = static_cast<uint8_t>(items[i].true_label);
  }
  return d;
}

MisclassifiedRecord select_misclassified_record(const Predictions& p, const Dataset& data, int limit) {
  MisclassifiedRecord r;
  r.channels = data.channels;
  r.height = data.height;
  r.width = data.width;
  r.samples = data.n;
  r.class_names = data.class_names;
  if (r.class_names.empty())
    for (int c = 0; c < data.num_classes; ++c) r.class_names.push_back(std::to_string(c));
  const int all = static_cast<int>(std::min<int64_t>(data.n, std::numeric_limits<int>::max()));
  r.total_errors = static_cast<int64_t>(report::select_misclassified(p, data.labels, all).size());
  r.items = report::select_misclassified(p, data.labels, limit);
  for (const report::Misclassified& m : r.items) {
    const auto begin = data.images.begin() + m.index * data.row();
    r.pixels.emplace_back(begin, begin + data.row());
  }
  return r;
}

void save_misclassified(const MisclassifiedRecord& r, const std::string& path) {
  nlohmann::json items = nlohmann::json::array();
  for (size_t i = 0; i < r.items.size(); ++i) {
    const report::Misclassified& m = r.items[i];
    items.push_back({{"index", m.index},
                     {"true_label", m.true_label},
                     {"predicted", m.predicted},
                     {"confidence", m.confidence},
                     {"true_prob", m.true_prob},
                     {"pixels", r.pixels[i]}});
  }
  const nlohmann::json j = {
      {"channels", r.channels},         {"height", r.height},           {"width", r.width}, {"samples", r.samples},
      {"total_errors", r.total_errors}, {"class_names", r.class_names}, {"items", items}};
  write_file_atomic(path, j.dump() + "\n");
}

MisclassifiedRecord load_misclassified(const std::string& path) {
  const std::string text = read_file(path);  // DataError naming the path when missing
  MisclassifiedRecord r;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    r.channels = j.at("channels").get<int64_t>();
    r.height = j.at("height").get<int64_t>();
    r.width = j.at("width").get<int64_t>();
    r.samples = j.at("samples").get<int64_t>();
    r.total_errors = j.at("total_errors").get<int64_t>();
    r.class_names = j.at("class_names").get<std::vector<std::string>>();
    GD_CHECK_T(r.channels >= 1 && r.height >= 1 && r.width >= 1 && r.samples >= 0, DataError,
               "bad geometry " << r.channels << "x" << r.height << "x" << r.width << " or sample count " << r.samples);
    GD_CHECK_T(!r.class_names.empty() && r.class_names.size() <= 256, DataError,
               r.class_names.size() << " class names (expected 1 to 256)");
    const int classes = static_cast<int>(r.class_names.size());
    const size_t row = static_cast<size_t>(r.channels * r.height * r.width);
    for (const auto& it : j.at("items")) {
      report::Misclassified m;
      m.index = it.at("index").get<int64_t>();
      m.true_label = it.at("true_label").get<int>();
      m.predicted = it.at("predicted").get<int>();
      m.confidence = it.at("confidence").get<double>();
      m.true_prob = it.at("true_prob").get<double>();
      GD_CHECK_T(m.index >= 0 && m.index < r.samples, DataError,
                 "item index " << m.index << " outside [0, " << r.samples << ")");
      GD_CHECK_T(m.true_label >= 0 && m.true_label < classes && m.predicted >= 0 && m.predicted < classes, DataError,
                 "item " << m.index << " has labels " << m.true_label << " -> " << m.predicted << " outside [0, "
                         << classes << ")");
      const std::vector<int> values = it.at("pixels").get<std::vector<int>>();
      GD_CHECK_T(values.size() == row, DataError,
                 "item " << m.index << " has " << values.size() << " pixels, expected " << row);
      std::vector<uint8_t> px;
      for (int v : values) {
        GD_CHECK_T(v >= 0 && v <= 255, DataError, "item " << m.index << " has pixel value " << v << " outside 0..255");
        px.push_back(static_cast<uint8_t>(v));
      }
      r.items.push_back(m);
      r.pixels.push_back(std::move(px));
    }
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path + ": malformed misclassified-digits record: " + e.what());
  } catch (const DataError& e) {
    throw DataError(path + ": " + e.what());
  }
  return r;
}

}  // namespace gd::workflow
