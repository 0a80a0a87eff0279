// CPU reference (and production CPU path) of the epoch shuffle (contract: engine/ops/shuffle.h): the
// keys in parallel, then one sort of (key, index) pairs, whose lexicographic order is exactly
// "ascending key, equal keys by ascending index".
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "engine/core/error.h"
#include "engine/ops/shuffle.h"

namespace gd {

void shuffle_ref(int64_t n, uint64_t seed, uint64_t epoch, int32_t* order) {
  GD_CHECK_SHAPE(n >= 0 && n < (int64_t{1} << 31), "shuffle: n = " << n << " outside [0, 2^31)");
  if (n == 0) return;
  GD_CHECK(order != nullptr, "shuffle: null order buffer for n = " << n);
  std::vector<std::pair<uint64_t, int32_t>> keyed(static_cast<size_t>(n));
#pragma omp parallel for schedule(static) if (n >= 4096)
  for (int64_t i = 0; i < n; ++i)
    keyed[static_cast<size_t>(i)] = {shuffle_key(seed, epoch, static_cast<uint32_t>(i)), static_cast<int32_t>(i)};
  std::sort(keyed.begin(), keyed.end());
  for (int64_t i = 0; i < n; ++i) order[i] = keyed[static_cast<size_t>(i)].second;
}

}  // namespace gd
