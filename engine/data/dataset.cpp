#include "engine/data/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/core/error.h"
#include "engine/core/philox.h"

namespace gd {

void Dataset::validate() const {
  const std::string who = "dataset '" + name + "': ";
  GD_CHECK_T(channels > 0 && height > 0 && width > 0, DataError,
             who << "geometry must be positive, got channels=" << channels << " height=" << height
                 << " width=" << width);
  GD_CHECK_T(n >= 0, DataError, who << "negative sample count " << n);
  GD_CHECK_T(num_classes >= 1 && num_classes <= 256, DataError,
             who << "num_classes must be in 1..256, got " << num_classes);
  GD_CHECK_T(static_cast<int64_t>(images.size()) == n * row(), DataError,
             who << "images hold " << images.size() << " bytes, expected n*c*h*w = " << n << "*"
                 << channels << "*" << height << "*" << width << " = " << n * row());
  GD_CHECK_T(static_cast<int64_t>(labels.size()) == n, DataError,
             who << "labels hold " << labels.size() << " entries, expected n = " << n);
  GD_CHECK_T(class_names.empty() || static_cast<int>(class_names.size()) == num_classes, DataError,
             who << class_names.size() << " class names for " << num_classes << " classes");
  for (int64_t i = 0; i < n; ++i) {
    GD_CHECK_T(labels[i] < num_classes, DataError,
               who << "label " << int(labels[i]) << " at index " << i << " is not below num_classes="
                   << num_classes);
  }
}

namespace {

// A dataset with d's metadata and room for k samples.
Dataset empty_like(const Dataset& d, int64_t k) {
  Dataset out;
  out.name = d.name;
  out.n = k;
  out.channels = d.channels;
  out.height = d.height;
  out.width = d.width;
  out.num_classes = d.num_classes;
  out.class_names = d.class_names;
  out.images.resize(static_cast<size_t>(k * d.row()));
  out.labels.resize(static_cast<size_t>(k));
  return out;
}

}  // namespace

Dataset subset(const Dataset& d, const std::vector<int64_t>& idx) {
  const int64_t k = static_cast<int64_t>(idx.size());
  for (int64_t i = 0; i < k; ++i) {
    GD_CHECK_T(idx[i] >= 0 && idx[i] < d.n, DataError,
               "subset of dataset '" << d.name << "': index " << idx[i] << " at position " << i
                                     << " is outside [0, " << d.n << ")");
  }
  Dataset out = empty_like(d, k);
  const int64_t row = d.row();
#pragma omp parallel for schedule(static) if (k * row > (1 << 20))
  for (int64_t i = 0; i < k; ++i) {
    std::memcpy(out.images.data() + i * row, d.images.data() + idx[i] * row, static_cast<size_t>(row));
    out.labels[i] = d.labels[idx[i]];
  }
  return out;
}

void deterministic_shuffle(std::vector<int64_t>& v, uint64_t seed, uint32_t stream) {
  // Fisher-Yates from the back; j uniform in [0, i] from 64 Philox bits (modulo bias <= i/2^64).
  for (size_t i = v.size(); i > 1; --i) {
    const uint64_t e = 2 * static_cast<uint64_t>(i - 1);
    const uint64_t bits = (static_cast<uint64_t>(philox_u32(seed, stream, 0, e)) << 32) |
                          philox_u32(seed, stream, 0, e + 1);
    const size_t j = static_cast<size_t>(bits % i);
    std::swap(v[i - 1], v[j]);
  }
}

std::pair<Dataset, Dataset> split_validation(const Dataset& train, double fraction, uint64_t seed) {
  GD_CHECK_T(fraction >= 0.0 && fraction < 1.0, ConfigError,
             "validation fraction must be in [0, 1), got " << fraction);
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(train.num_classes));
  for (int64_t i = 0; i < train.n; ++i) {
    GD_CHECK_T(train.labels[i] < train.num_classes, DataError,
               "dataset '" << train.name << "': label " << int(train.labels[i]) << " at index " << i
                           << " is not below num_classes=" << train.num_classes);
    by_class[train.labels[i]].push_back(i);
  }
  std::vector<char> is_val(static_cast<size_t>(train.n), 0);
  for (size_t c = 0; c < by_class.size(); ++c) {
    std::vector<int64_t>& members = by_class[c];
    const auto take = static_cast<size_t>(std::llround(fraction * static_cast<double>(members.size())));
    deterministic_shuffle(members, seed, static_cast<uint32_t>(c));
    for (size_t k = 0; k < take && k < members.size(); ++k) is_val[members[k]] = 1;
  }
  std::vector<int64_t> rest, val;
  for (int64_t i = 0; i < train.n; ++i) (is_val[i] ? val : rest).push_back(i);
  Dataset rest_set = subset(train, rest);
  Dataset val_set = subset(train, val);
  val_set.name = train.name + "-val";
  return {std::move(rest_set), std::move(val_set)};
}

Dataset concat(const Dataset& a, const Dataset& b) {
  GD_CHECK_T(a.channels == b.channels && a.height == b.height && a.width == b.width, DataError,
             "concat: geometry differs: '" << a.name << "' is " << a.channels << "x" << a.height << "x"
                                           << a.width << ", '" << b.name << "' is " << b.channels
                                           << "x" << b.height << "x" << b.width);
  GD_CHECK_T(a.num_classes == b.num_classes, DataError,
             "concat: '" << a.name << "' has " << a.num_classes << " classes, '" << b.name << "' has "
                         << b.num_classes);
  Dataset out = empty_like(a, a.n + b.n);
  std::memcpy(out.images.data(), a.images.data(), a.images.size());
  std::memcpy(out.images.data() + a.images.size(), b.images.data(), b.images.size());
  std::memcpy(out.labels.data(), a.labels.data(), a.labels.size());
  std::memcpy(out.labels.data() + a.labels.size(), b.labels.data(), b.labels.size());
  return out;
}

std::pair<float, float> pixel_mean_std(const Dataset& d) {
  const int64_t count = static_cast<int64_t>(d.images.size());
  if (count == 0) return {0.f, 1.f};
  // Integer sums are exact (255^2 * 2^40 < 2^64) and independent of the reduction order.
  uint64_t sum = 0, sum_sq = 0;
  const uint8_t* p = d.images.data();
#pragma omp parallel for reduction(+ : sum, sum_sq) schedule(static)
  for (int64_t i = 0; i < count; ++i) {
    const uint64_t v = p[i];
    sum += v;
    sum_sq += v * v;
  }
  const double mean255 = static_cast<double>(sum) / static_cast<double>(count);
  const double var255 = std::max(0.0, static_cast<double>(sum_sq) / static_cast<double>(count) -
                                          mean255 * mean255);
  const double std01 = std::sqrt(var255) / 255.0;
  // A constant image set has std 0; report 1 so normalisation never divides by zero.
  return {static_cast<float>(mean255 / 255.0), std01 > 0.0 ? static_cast<float>(std01) : 1.f};
}

std::vector<int64_t> label_histogram(const Dataset& d) {
  std::vector<int64_t> h(static_cast<size_t>(std::max(d.num_classes, 0)), 0);
  for (uint8_t l : d.labels) {
    GD_CHECK_T(l < d.num_classes, DataError,
               "dataset '" << d.name << "': label " << int(l) << " is not below num_classes="
                           << d.num_classes);
    ++h[l];
  }
  return h;
}

}  // namespace gd
