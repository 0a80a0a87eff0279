#include "engine/train/history.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "engine/core/error.h"

namespace gd {
namespace {

constexpr const char* kCsvHeader =
    "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds,samples_per_sec";

// The double-valued fields of EpochRecord, in CSV column order after "epoch".
struct DoubleField {
  const char* name;
  double EpochRecord::*member;
};
constexpr DoubleField kDoubleFields[] = {
    {"train_loss", &EpochRecord::train_loss},     {"train_accuracy", &EpochRecord::train_accuracy},
    {"val_loss", &EpochRecord::val_loss},         {"val_accuracy", &EpochRecord::val_accuracy},
    {"lr", &EpochRecord::lr},                     {"seconds", &EpochRecord::seconds},
    {"samples_per_sec", &EpochRecord::samples_per_sec},
};

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

double parse_double(const std::string& field, size_t line_no) {
  if (field.empty()) return std::numeric_limits<double>::quiet_NaN();
  char* end = nullptr;
  const double v = std::strtod(field.c_str(), &end);
  GD_CHECK_T(end != field.c_str() && *end == '\0', DataError,
             "history CSV line " << line_no << ": '" << field << "' is not a number");
  return v;
}

}  // namespace

nlohmann::json History::to_json() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const EpochRecord& r : records_) {
    nlohmann::json o;
    o["epoch"] = r.epoch;
    // Infinity is not valid JSON either; like NaN it becomes null (and reads back as NaN).
    for (const DoubleField& f : kDoubleFields) o[f.name] = number_or_null(r.*f.member);
    arr.push_back(std::move(o));
  }
  return arr;
}

History History::from_json(const nlohmann::json& j) {
  GD_CHECK_T(j.is_array(), DataError, "history JSON: expected an array, got " << j.type_name());
  History h;
  for (size_t i = 0; i < j.size(); ++i) {
    const nlohmann::json& o = j[i];
    GD_CHECK_T(o.is_object(), DataError, "history JSON: entry " << i << " is not an object");
    GD_CHECK_T(o.contains("epoch") && o["epoch"].is_number_integer(), DataError,
               "history JSON: entry " << i << " has no integer 'epoch'");
    EpochRecord r;
    r.epoch = o["epoch"].get<int>();
    for (const DoubleField& f : kDoubleFields) {
      GD_CHECK_T(o.contains(f.name), DataError, "history JSON: entry " << i << " has no '" << f.name << "'");
      const nlohmann::json& v = o[f.name];
      GD_CHECK_T(v.is_null() || v.is_number(), DataError,
                 "history JSON: entry " << i << " field '" << f.name << "' is " << v.type_name());
      r.*f.member = v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>();
    }
    h.add(r);
  }
  return h;
}

std::string History::to_csv() const {
  std::ostringstream os;
  os << kCsvHeader << '\n';
  for (const EpochRecord& r : records_) {
    os << r.epoch;
    for (const DoubleField& f : kDoubleFields) os << ',' << csv_number(r.*f.member);
    os << '\n';
  }
  return os.str();
}

History History::from_csv(const std::string& text) {
  std::istringstream is(text);
  std::string line;
  GD_CHECK_T(std::getline(is, line), DataError, "history CSV: empty text, expected a header");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  GD_CHECK_T(line == kCsvHeader, DataError,
             "history CSV: header is '" << line << "', expected '" << kCsvHeader << "'");
  History h;
  size_t line_no = 1;
  while (std::getline(is, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields;
    size_t start = 0;
    for (;;) {
      const size_t comma = line.find(',', start);
      fields.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    constexpr size_t kColumns = 1 + sizeof(kDoubleFields) / sizeof(kDoubleFields[0]);
    GD_CHECK_T(fields.size() == kColumns, DataError,
               "history CSV line " << line_no << ": " << fields.size() << " fields, expected " << kColumns);
    EpochRecord r;
    const double epoch = parse_double(fields[0], line_no);
    GD_CHECK_T(std::isfinite(epoch) && epoch == std::floor(epoch), DataError,
               "history CSV line " << line_no << ": epoch '" << fields[0] << "' is not an integer");
    r.epoch = static_cast<int>(epoch);
    for (size_t k = 0; k + 1 < kColumns; ++k) r.*kDoubleFields[k].member = parse_double(fields[k + 1], line_no);
    h.add(r);
  }
  return h;
}

}  // namespace gd
