#pragma once
// The epoch's sample order, computed by the backend where the data lives (so the training loop never
// waits for a host shuffle and an upload): a permutation of [0, n) keyed by (seed, epoch).
//
//   key(i)  = (philox_u32(seed, kShuffleStream, epoch, 2i) << 32) | philox_u32(seed, kShuffleStream, epoch, 2i + 1)
//   order   = the indices 0..n-1 sorted by ascending key, equal keys by ascending index
//
// The tie rule makes the permutation a function of (n, seed, epoch) alone, so every backend (a
// comparison sort on the CPU, a stable radix sort on CUDA) produces the same order. Sorting by
// independent uniform 64-bit keys gives a uniformly random permutation up to ties, which for
// n = 60,000 occur with probability below n^2 / 2^65 = 1e-10.
//   order (n) OVERWRITTEN; n in [0, 2^31).
#include <cstdint>

#include "engine/core/host_device.h"
#include "engine/core/philox.h"

namespace gd {

constexpr uint32_t kShuffleStream = 0x5u << 28;  // distinct from the layers' dropout streams

GD_HOST_DEVICE inline uint64_t shuffle_key(uint64_t seed, uint64_t epoch, uint32_t i) {
  const uint64_t e = 2 * static_cast<uint64_t>(i);
  return (static_cast<uint64_t>(philox_u32(seed, kShuffleStream, epoch, e)) << 32) |
         philox_u32(seed, kShuffleStream, epoch, e + 1);
}

void shuffle_ref(int64_t n, uint64_t seed, uint64_t epoch, int32_t* order);

}  // namespace gd
