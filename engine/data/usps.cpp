#include "engine/data/usps.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

#include "engine/core/error.h"
#include "engine/data/file_bytes.h"

namespace gd {

namespace {

struct Line {
  const char* begin;
  const char* end;
  int64_t number;  // 1-based, counting blank lines too
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// Limits that no USPS file comes near (the real zip.train holds 7,291 samples in 14.5 MB of text;
// USPS has 9,298 samples in all), so a small gzip file cannot expand into gigabytes of text or of
// images: reading stops at kMaxTextBytes, and a file with more than kMaxSamples samples is
// refused before any image memory is allocated.
constexpr uint64_t kMaxTextBytes = uint64_t{64} << 20;
constexpr int64_t kMaxSamples = 100000;

// The non-blank lines of text[0..n), at most kMaxSamples of them.
std::vector<Line> split_lines(const char* text, size_t n, const std::string& path) {
  std::vector<Line> lines;
  const char* p = text;
  const char* end = text + n;
  int64_t number = 0;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* e = nl ? nl : end;
    ++number;
    const char* q = p;
    while (q < e && is_blank(*q)) ++q;
    if (q < e) {
      GD_CHECK_T(static_cast<int64_t>(lines.size()) < kMaxSamples, DataError,
                 path << ": more than " << kMaxSamples << " samples (non-blank lines) by line " << number
                      << "; USPS has 9298 in all: not a USPS file?");
      lines.push_back({p, e, number});
    }
    p = nl ? nl + 1 : end;
  }
  return lines;
}

// Next whitespace-separated token at or after p (empty at the end of the line).
std::string_view next_token(const char*& p, const char* end) {
  while (p < end && is_blank(*p)) ++p;
  const char* b = p;
  while (p < end && !is_blank(*p)) ++p;
  return std::string_view(b, static_cast<size_t>(p - b));
}

bool parse_double(std::string_view tok, double& v) {
  if (!tok.empty() && tok.front() == '+') tok.remove_prefix(1);  // from_chars rejects a '+'
  if (tok.empty()) return false;
  const auto r = std::from_chars(tok.data(), tok.data() + tok.size(), v);
  return r.ec == std::errc() && r.ptr == tok.data() + tok.size() && std::isfinite(v);
}

[[noreturn]] void fail(const std::string& path, int64_t line, const std::string& what) {
  throw DataError(path + ":" + std::to_string(line) + ": " + what);
}

std::string quoted(std::string_view tok) {
  const size_t shown = std::min<size_t>(tok.size(), 40);
  return "'" + std::string(tok.substr(0, shown)) + (shown < tok.size() ? "...'" : "'");
}

// An integral label in 0..max_label.
int parse_label(std::string_view tok, int max_label, const std::string& path, int64_t line) {
  double v = 0.0;
  if (!parse_double(tok, v) || v != std::floor(v) || v < 0.0 || v > max_label) {
    fail(path, line, "label " + quoted(tok) + " is not an integer 0.." + std::to_string(max_label));
  }
  return static_cast<int>(v);
}

uint8_t parse_value(std::string_view tok, const std::string& path, int64_t line, int64_t field) {
  double v = 0.0;
  if (!parse_double(tok, v)) {
    fail(path, line, "non-numeric token " + quoted(tok) + " in field " + std::to_string(field));
  }
  if (!(v >= -1.0 && v <= 1.0)) {
    fail(path, line, "value " + quoted(tok) + " in field " + std::to_string(field) +
                         " is outside [-1, 1]");
  }
  return usps_value_to_u8(v);
}

// Runs parse(i) for every line in parallel; rethrows the error of the earliest failing line.
template <typename Fn>
void parse_lines_parallel(int64_t count, const std::vector<Line>& lines, Fn parse) {
  int64_t first_bad = std::numeric_limits<int64_t>::max();
  std::string first_error;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) {
    try {
      parse(i);
    } catch (const std::exception& e) {
#pragma omp critical(gd_usps_error)
      if (lines[i].number < first_bad) {
        first_bad = lines[i].number;
        first_error = e.what();
      }
    }
  }
  if (!first_error.empty()) throw DataError(first_error);
}

Dataset make_usps(int64_t n) {
  Dataset d;
  d.name = "usps";
  d.n = n;
  d.channels = 1;
  d.height = kUspsSide;
  d.width = kUspsSide;
  d.num_classes = 10;
  for (int c = 0; c < 10; ++c) d.class_names.push_back(std::to_string(c));
  d.images.assign(static_cast<size_t>(n * kUspsPixels), 0);
  d.labels.assign(static_cast<size_t>(n), 0);
  return d;
}

std::vector<Line> read_lines(const std::string& path, std::vector<uint8_t>& storage) {
  ContentLimit limit;
  limit.cap = SizeCap{kMaxTextBytes, "the most a USPS text file may hold (the real zip.train holds 14.5 MB)"};
  storage = read_file_maybe_gzip(path, limit);
  std::vector<Line> lines = split_lines(reinterpret_cast<const char*>(storage.data()), storage.size(), path);
  if (lines.empty()) throw DataError(path + ": empty file (no samples)");
  return lines;
}

}  // namespace

uint8_t usps_value_to_u8(double v) {
  const double g = std::round((v + 1.0) * 0.5 * 255.0);
  return static_cast<uint8_t>(std::min(255.0, std::max(0.0, g)));
}

Dataset read_usps_esl(const std::string& path) {
  std::vector<uint8_t> text;
  const std::vector<Line> lines = read_lines(path, text);
  const int64_t n = static_cast<int64_t>(lines.size());
  Dataset d = make_usps(n);
  parse_lines_parallel(n, lines, [&](int64_t i) {
    const Line& ln = lines[i];
    // Count the fields first so a short or long line is reported as such, not as a bad token.
    int64_t fields = 0;
    for (const char* p = ln.begin; !next_token(p, ln.end).empty();) ++fields;
    if (fields != 1 + kUspsPixels) {
      fail(path, ln.number, "expected " + std::to_string(1 + kUspsPixels) +
                                " fields (label + 256 values), got " + std::to_string(fields));
    }
    const char* p = ln.begin;
    d.labels[i] = static_cast<uint8_t>(parse_label(next_token(p, ln.end), 9, path, ln.number));
    uint8_t* row = d.images.data() + i * kUspsPixels;
    for (int64_t k = 0; k < kUspsPixels; ++k) row[k] = parse_value(next_token(p, ln.end), path, ln.number, k + 2);
  });
  return d;
}

namespace {

// A LIBSVM file parsed with its labels as written (0..10), before the 1..10 -> 0..9 rule.
struct LibsvmRaw {
  std::string path;
  Dataset d;
  std::vector<int64_t> line_of;  // 1-based line of each sample
};

LibsvmRaw parse_libsvm(const std::string& path) {
  std::vector<uint8_t> text;
  const std::vector<Line> lines = read_lines(path, text);
  const int64_t n = static_cast<int64_t>(lines.size());
  LibsvmRaw raw{path, make_usps(n), {}};
  Dataset& d = raw.d;
  for (const Line& ln : lines) raw.line_of.push_back(ln.number);
  const uint8_t absent = usps_value_to_u8(0.0);
  parse_lines_parallel(n, lines, [&](int64_t i) {
    const Line& ln = lines[i];
    const char* p = ln.begin;
    d.labels[i] = static_cast<uint8_t>(parse_label(next_token(p, ln.end), 10, path, ln.number));
    uint8_t* row = d.images.data() + i * kUspsPixels;
    std::fill(row, row + kUspsPixels, absent);
    bool seen[kUspsPixels] = {};
    int64_t field = 1;
    for (std::string_view tok = next_token(p, ln.end); !tok.empty(); tok = next_token(p, ln.end)) {
      ++field;
      const size_t colon = tok.find(':');
      if (colon == std::string_view::npos) {
        fail(path, ln.number, "field " + std::to_string(field) + " " + quoted(tok) +
                                  " is not of the form index:value");
      }
      const std::string_view idx_tok = tok.substr(0, colon);
      int64_t index = 0;
      const auto r = std::from_chars(idx_tok.data(), idx_tok.data() + idx_tok.size(), index);
      if (r.ec != std::errc() || r.ptr != idx_tok.data() + idx_tok.size()) {
        fail(path, ln.number, "non-numeric index " + quoted(idx_tok) + " in field " + std::to_string(field));
      }
      if (index < 1 || index > kUspsPixels) {
        fail(path, ln.number, "index " + std::to_string(index) + " is outside 1.." + std::to_string(kUspsPixels));
      }
      if (seen[index - 1]) fail(path, ln.number, "index " + std::to_string(index) + " appears twice");
      seen[index - 1] = true;
      row[index - 1] = parse_value(tok.substr(colon + 1), path, ln.number, field);
    }
  });
  return raw;
}

// The label rule over all files together: if some label is 10 and none is 0, subtract 1.
void map_libsvm_labels(const std::vector<LibsvmRaw*>& files) {
  const LibsvmRaw* with10 = nullptr;
  const LibsvmRaw* with0 = nullptr;
  int64_t at10 = 0, at0 = 0;
  for (const LibsvmRaw* f : files) {
    for (size_t i = 0; i < f->d.labels.size(); ++i) {
      if (f->d.labels[i] == 10 && !with10) {
        with10 = f;
        at10 = f->line_of[i];
      }
      if (f->d.labels[i] == 0 && !with0) {
        with0 = f;
        at0 = f->line_of[i];
      }
    }
  }
  if (!with10) return;
  if (with0) {
    fail(with10->path, at10,
         "label 10, but label 0 appears too (" + with0->path + ":" + std::to_string(at0) +
             "): cannot tell whether labels are 0..9 or 1..10");
  }
  for (LibsvmRaw* f : files) {
    for (uint8_t& l : f->d.labels) l = static_cast<uint8_t>(l - 1);  // LIBSVM's 1..10 -> digits 0..9
  }
}

}  // namespace

Dataset read_usps_libsvm(const std::string& path) {
  LibsvmRaw raw = parse_libsvm(path);
  map_libsvm_labels({&raw});
  return std::move(raw.d);
}

std::pair<Dataset, Dataset> read_usps_libsvm_pair(const std::string& train_path, const std::string& test_path) {
  LibsvmRaw train = parse_libsvm(train_path);
  LibsvmRaw test = parse_libsvm(test_path);
  map_libsvm_labels({&train, &test});
  return {std::move(train.d), std::move(test.d)};
}

}  // namespace gd
