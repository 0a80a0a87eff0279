#pragma once
// Philox4x32-10 counter-based RNG (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011). Stateless: the output is a pure function of (key, counter), so the CPU reference and the
// CUDA kernels produce bit-identical random streams for the same (seed, layer, step, element).
#include <cstdint>

#include "engine/core/host_device.h"

namespace gd {

struct Philox4x32 {
  uint32_t v[4];
};

GD_HOST_DEVICE inline void philox_mulhilo(uint32_t a, uint32_t b, uint32_t* hi, uint32_t* lo) {
  const uint64_t p = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  *hi = static_cast<uint32_t>(p >> 32);
  *lo = static_cast<uint32_t>(p);
}

// Ten rounds of Philox4x32 on counter c with key (k0, k1).
GD_HOST_DEVICE inline Philox4x32 philox4x32_10(Philox4x32 c, uint32_t k0, uint32_t k1) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    philox_mulhilo(kM0, c.v[0], &hi0, &lo0);
    philox_mulhilo(kM1, c.v[2], &hi1, &lo1);
    Philox4x32 next;
    next.v[0] = hi1 ^ c.v[1] ^ k0;
    next.v[1] = lo1;
    next.v[2] = hi0 ^ c.v[3] ^ k1;
    next.v[3] = lo0;
    c = next;
    k0 += kW0;
    k1 += kW1;
  }
  return c;
}

// The dropout/augmentation stream: key = 64-bit seed; counter = (element / 4, stream id, step lo,
// step hi). Element e uses word e % 4 of block e / 4. `stream` separates layers (layer index) and
// other consumers.
GD_HOST_DEVICE inline uint32_t philox_u32(uint64_t seed, uint32_t stream, uint64_t step,
                                          uint64_t element) {
  Philox4x32 c;
  c.v[0] = static_cast<uint32_t>(element >> 2);
  c.v[1] = stream;
  c.v[2] = static_cast<uint32_t>(step);
  c.v[3] = static_cast<uint32_t>(step >> 32);
  const Philox4x32 r = philox4x32_10(c, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
  return r.v[element & 3u];
}

// Uniform in [0, 1) with 24 bits of resolution (exactly representable in float).
GD_HOST_DEVICE inline float philox_uniform(uint64_t seed, uint32_t stream, uint64_t step,
                                           uint64_t element) {
  return static_cast<float>(philox_u32(seed, stream, step, element) >> 8) * (1.0f / 16777216.0f);
}

}  // namespace gd
