// Dataset helpers: validate, subset, concat, stratified validation split, mean/std, shuffle.
#include "engine/data/dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "engine/core/error.h"
#include "tests/support/expect_error.h"

namespace gd {
namespace {

// n samples of 1x2x3 whose first two pixels encode the sample index (so any subset can be traced
// back), label = i % classes except that class 0 gets extra samples (unequal class sizes).
Dataset make_dataset(int64_t n, int classes) {
  Dataset d;
  d.name = "toy";
  d.n = n;
  d.channels = 1;
  d.height = 2;
  d.width = 3;
  d.num_classes = classes;
  d.images.resize(static_cast<size_t>(n * d.row()));
  d.labels.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    uint8_t* r = d.images.data() + i * d.row();
    r[0] = static_cast<uint8_t>(i & 255);
    r[1] = static_cast<uint8_t>(i >> 8);
    for (int64_t k = 2; k < d.row(); ++k) r[k] = static_cast<uint8_t>((i * 7 + k) % 251);
    d.labels[i] = static_cast<uint8_t>(i % 3 == 0 ? 0 : i % classes);
  }
  return d;
}

int64_t sample_id(const Dataset& d, int64_t i) {
  return d.images[i * d.row()] | (int64_t{d.images[i * d.row() + 1]} << 8);
}

TEST(Dataset, ValidateAcceptsConsistentData) { EXPECT_NO_THROW(make_dataset(20, 4).validate()); }

TEST(Dataset, ValidateRejectsInconsistentData) {
  Dataset d = make_dataset(10, 4);
  d.images.pop_back();
  EXPECT_TRUE(test::throws_with<DataError>([&] { d.validate(); }, {"toy", "images hold 59 bytes"}));
  d = make_dataset(10, 4);
  d.labels[7] = 4;
  EXPECT_TRUE(test::throws_with<DataError>([&] { d.validate(); }, {"label 4 at index 7"}));
  d = make_dataset(10, 4);
  d.labels.push_back(0);
  EXPECT_TRUE(test::throws_with<DataError>([&] { d.validate(); }, {"labels hold 11"}));
  d = make_dataset(10, 4);
  d.class_names = {"a", "b"};
  EXPECT_TRUE(test::throws_with<DataError>([&] { d.validate(); }, {"2 class names for 4 classes"}));
  d = make_dataset(0, 4);
  d.width = 0;
  EXPECT_TRUE(test::throws_with<DataError>([&] { d.validate(); }, {"width=0"}));
}

TEST(Dataset, SubsetCopiesRowsInOrderWithDuplicates) {
  const Dataset d = make_dataset(30, 4);
  const std::vector<int64_t> idx = {29, 0, 5, 5, 17};
  const Dataset s = subset(d, idx);
  ASSERT_EQ(s.n, 5);
  s.validate();
  for (size_t k = 0; k < idx.size(); ++k) {
    EXPECT_EQ(sample_id(s, static_cast<int64_t>(k)), idx[k]);
    EXPECT_EQ(s.labels[k], d.labels[idx[k]]);
    EXPECT_TRUE(std::equal(s.images.begin() + k * s.row(), s.images.begin() + (k + 1) * s.row(),
                           d.images.begin() + idx[k] * d.row()));
  }
  EXPECT_TRUE(test::throws_with<DataError>([&] { subset(d, {1, 30}); }, {"index 30", "position 1"}));
  EXPECT_TRUE(test::throws_with<DataError>([&] { subset(d, {-1}); }, {"index -1"}));
}

TEST(Dataset, ConcatAppendsAndChecksGeometry) {
  const Dataset a = make_dataset(7, 4), b = make_dataset(5, 4);
  const Dataset c = concat(a, b);
  ASSERT_EQ(c.n, 12);
  c.validate();
  for (int64_t i = 0; i < 7; ++i) EXPECT_EQ(sample_id(c, i), i);
  for (int64_t i = 0; i < 5; ++i) EXPECT_EQ(sample_id(c, 7 + i), i);
  EXPECT_EQ(c.labels[8], b.labels[1]);
  Dataset wide = make_dataset(3, 4);
  wide.width = 2;
  wide.images.resize(static_cast<size_t>(wide.n * wide.row()));
  EXPECT_TRUE(test::throws_with<DataError>([&] { concat(a, wide); }, {"geometry differs"}));
  Dataset more = make_dataset(3, 5);
  EXPECT_TRUE(test::throws_with<DataError>([&] { concat(a, more); }, {"4 classes", "5"}));
}

TEST(Dataset, SplitValidationIsStratifiedDisjointAndComplete) {
  const Dataset d = make_dataset(1003, 5);
  const std::vector<int64_t> hist = label_histogram(d);
  const double fraction = 0.2;
  const auto [rest, val] = split_validation(d, fraction, 42);
  rest.validate();
  val.validate();
  EXPECT_EQ(rest.n + val.n, d.n);
  const std::vector<int64_t> hv = label_histogram(val), hr = label_histogram(rest);
  for (int c = 0; c < 5; ++c) {
    // Per-class share is the rounded fraction of that class, independent of the other classes.
    EXPECT_EQ(hv[c], std::llround(fraction * static_cast<double>(hist[c]))) << "class " << c;
    EXPECT_EQ(hr[c] + hv[c], hist[c]);
  }
  std::set<int64_t> ids;
  for (const Dataset* part : {&rest, &val}) {
    int64_t prev = -1;
    for (int64_t i = 0; i < part->n; ++i) {
      const int64_t id = sample_id(*part, i);
      EXPECT_GT(id, prev) << "original order kept";
      prev = id;
      EXPECT_EQ(part->labels[i], d.labels[id]);
      ids.insert(id);
    }
  }
  EXPECT_EQ(static_cast<int64_t>(ids.size()), d.n) << "every sample in exactly one part";
}

TEST(Dataset, SplitValidationIsDeterministicAndSeeded) {
  const Dataset d = make_dataset(400, 4);
  const auto a = split_validation(d, 0.25, 7);
  const auto b = split_validation(d, 0.25, 7);
  const auto c = split_validation(d, 0.25, 8);
  EXPECT_EQ(a.second.images, b.second.images);
  EXPECT_EQ(a.first.images, b.first.images);
  EXPECT_NE(a.second.images, c.second.images) << "another seed picks other samples";
  EXPECT_EQ(a.second.n, c.second.n);
}

TEST(Dataset, SplitValidationEdgeFractions) {
  const Dataset d = make_dataset(50, 4);
  const auto [rest, val] = split_validation(d, 0.0, 1);
  EXPECT_EQ(val.n, 0);
  EXPECT_EQ(rest.images, d.images);
  EXPECT_EQ(rest.labels, d.labels);
  EXPECT_THROW(split_validation(d, 1.0, 1), ConfigError);
  EXPECT_THROW(split_validation(d, -0.1, 1), ConfigError);
  EXPECT_THROW(split_validation(d, std::nan(""), 1), ConfigError);
}

TEST(Dataset, PixelMeanStdMatchesDirectComputation) {
  const Dataset d = make_dataset(37, 4);
  double s = 0, s2 = 0;
  for (uint8_t v : d.images) {
    s += v / 255.0;
    s2 += (v / 255.0) * (v / 255.0);
  }
  const double n = static_cast<double>(d.images.size());
  const double mean = s / n, sd = std::sqrt(s2 / n - mean * mean);
  const auto [m, sdev] = pixel_mean_std(d);
  // Both are double computations of the same statistic rounded to float: 1e-6 covers the float
  // rounding (values are O(0.5), float eps 6e-8) with margin.
  EXPECT_NEAR(m, mean, 1e-6);
  EXPECT_NEAR(sdev, sd, 1e-6);
  Dataset flat = make_dataset(4, 2);
  std::fill(flat.images.begin(), flat.images.end(), uint8_t{9});
  EXPECT_EQ(pixel_mean_std(flat).second, 1.f) << "a constant set reports std 1, never 0";
}

TEST(Dataset, DeterministicShuffleIsASeededPermutation) {
  std::vector<int64_t> base(100);
  for (int64_t i = 0; i < 100; ++i) base[i] = i;
  std::vector<int64_t> a = base, b = base, c = base;
  deterministic_shuffle(a, 3, 0);
  deterministic_shuffle(b, 3, 0);
  deterministic_shuffle(c, 3, 1);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, base);
  std::vector<int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, base);
}

TEST(Dataset, LabelHistogramCounts) {
  Dataset d = make_dataset(9, 3);  // labels: i%3==0 -> 0, else i%3
  const std::vector<int64_t> h = label_histogram(d);
  EXPECT_EQ(h, (std::vector<int64_t>{3, 3, 3}));
}

}  // namespace
}  // namespace gd
