// The epoch shuffle (engine/ops/shuffle.h) on the CPU: the order is a permutation, follows the
// contract's definition (indices by ascending key, ties by index), depends on (seed, epoch) only,
// changes with either, and is uniform enough: over many epochs every index visits every position
// about equally often (a chi-square test with a fixed, generous bound).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/ops/shuffle.h"
#include "engine/train/device_data.h"
#include "tests/support/expect_error.h"

namespace gd {
namespace {

std::vector<int32_t> order_of(int64_t n, uint64_t seed, uint64_t epoch) {
  std::vector<int32_t> o(static_cast<size_t>(n), -1);
  shuffle_ref(n, seed, epoch, o.data());
  return o;
}

TEST(Shuffle, IsAPermutationFollowingTheKeyOrder) {
  for (int64_t n : {1, 2, 7, 1000, 54000}) {
    SCOPED_TRACE(n);
    const auto o = order_of(n, 11, 3);
    std::vector<int32_t> sorted = o;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int32_t> iota(static_cast<size_t>(n));
    std::iota(iota.begin(), iota.end(), 0);
    ASSERT_EQ(sorted, iota) << "not a permutation";
    for (int64_t i = 1; i < n; ++i) {
      const uint64_t a = shuffle_key(11, 3, static_cast<uint32_t>(o[i - 1]));
      const uint64_t b = shuffle_key(11, 3, static_cast<uint32_t>(o[i]));
      ASSERT_TRUE(a < b || (a == b && o[i - 1] < o[i])) << "position " << i;
    }
  }
}

TEST(Shuffle, DependsOnSeedAndEpochOnly) {
  EXPECT_EQ(order_of(5000, 1, 2), order_of(5000, 1, 2));
  EXPECT_NE(order_of(5000, 1, 2), order_of(5000, 1, 3));
  EXPECT_NE(order_of(5000, 1, 2), order_of(5000, 2, 2));
  // A prefix of the indices keeps its relative order when n grows (keys depend on the index only).
  const auto small = order_of(100, 9, 9), large = order_of(200, 9, 9);
  std::vector<int32_t> filtered;
  for (int32_t i : large)
    if (i < 100) filtered.push_back(i);
  EXPECT_EQ(filtered, small);
}

TEST(Shuffle, EveryIndexVisitsEveryPositionEvenly) {
  // n = 8 over 8000 epochs: 1000 expected visits per (index, position) cell. The chi-square statistic
  // over the 64 cells has 49 degrees of freedom ((8-1)^2); 100 is beyond its 99.99th percentile
  // (about 94), so a correct shuffle fails this with probability < 1e-4, while a shuffle that, say,
  // leaves the first index in place half the time scores in the thousands.
  constexpr int n = 8, epochs = 8000;
  std::vector<double> count(n * n, 0.0);
  for (int e = 0; e < epochs; ++e) {
    const auto o = order_of(n, 42, static_cast<uint64_t>(e));
    for (int pos = 0; pos < n; ++pos) count[static_cast<size_t>(o[pos] * n + pos)] += 1.0;
  }
  const double expected = static_cast<double>(epochs) / n;
  double chi2 = 0.0;
  for (double c : count) chi2 += (c - expected) * (c - expected) / expected;
  EXPECT_LT(chi2, 100.0);
}

TEST(Shuffle, TheBackendAndTheDeviceDatasetUseIt) {
  CpuBackend be;
  Dataset d;
  d.n = 300;
  d.channels = 1;
  d.height = 1;
  d.width = 1;
  d.num_classes = 10;
  d.images.assign(300, 0);
  d.labels.assign(300, 0);
  DeviceDataset dev(be, d);
  EXPECT_EQ(dev.order()[0], 0) << "identity before the first shuffle";
  dev.shuffle(be, 5, 1);
  const std::vector<int32_t> got(dev.order(), dev.order() + 300);
  EXPECT_EQ(got, order_of(300, 5, 1));
  EXPECT_TRUE(test::throws_with<Error>([&] { shuffle_ref(-1, 0, 0, nullptr); }, {"n = -1"}));
}

}  // namespace
}  // namespace gd
