// CPU reference (and production CPU path) for inverted dropout with a Philox mask.
// Element e (the flat index in [0, n)) is kept iff philox_uniform(seed, stream, step, e) >= p.
// Kept values are multiplied by scale = 1/(1-p), computed in double and rounded once to T, so a
// CUDA kernel that receives the same rounded scale from the host reproduces the CPU bits exactly.
// One Philox call yields the words of four consecutive elements; the loops below evaluate eight
// such blocks side by side (32 elements), bit-identical to calling philox_uniform per element.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "engine/core/error.h"
#include "engine/core/philox.h"
#include "engine/ops/dropout.h"

namespace gd {

namespace {

constexpr int64_t kParallelMin = int64_t{1} << 14;

void validate(const DropoutParams& d, int64_t n) {
  GD_CHECK_T(d.p >= 0.0f && d.p < 1.0f, ConfigError,
             "dropout: p = " << d.p << " is outside [0, 1)");  // also rejects NaN
  GD_CHECK_SHAPE(n >= 0, "dropout: negative element count " << n);
}

// Philox blocks are evaluated kLanes at a time with the lanes in separate arrays, so the ten rounds
// vectorise (about 4x faster than one block at a time). One chunk covers kChunk elements.
constexpr int kLanes = 8;
constexpr int64_t kChunk = 4 * kLanes;

// words[e] for e in [0, kChunk): the Philox word of element first_block*4 + e, exactly as
// philox_u32 computes it (block counter = (block, stream, step lo, step hi), key = seed). This
// restates philox4x32_10 in lane-parallel form; tests/dropout_test.cpp checks every element
// against dropout_keep (which calls philox_uniform), so the two cannot drift apart unnoticed.
inline void philox_chunk(const DropoutParams& d, uint64_t step, uint32_t first_block, uint32_t words[kChunk]) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    c0[l] = first_block + static_cast<uint32_t>(l);
    c1[l] = d.stream;
    c2[l] = static_cast<uint32_t>(step);
    c3[l] = static_cast<uint32_t>(step >> 32);
  }
  uint32_t k0 = static_cast<uint32_t>(d.seed), k1 = static_cast<uint32_t>(d.seed >> 32);
  for (int round = 0; round < 10; ++round) {
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) {
      const uint64_t p0 = static_cast<uint64_t>(kM0) * c0[l];
      const uint64_t p1 = static_cast<uint64_t>(kM1) * c2[l];
      const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1[l] ^ k0;
      const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3[l] ^ k1;
      c0[l] = n0;
      c1[l] = static_cast<uint32_t>(p1);
      c2[l] = n2;
      c3[l] = static_cast<uint32_t>(p0);
    }
    k0 += kW0;
    k1 += kW1;
  }
  for (int l = 0; l < kLanes; ++l) {
    words[4 * l + 0] = c0[l];
    words[4 * l + 1] = c1[l];
    words[4 * l + 2] = c2[l];
    words[4 * l + 3] = c3[l];
  }
}

// out[e] = in[e] * scale if element e is kept, else 0, for e in [0, n). out may alias in.
template <typename T>
void apply_mask(const DropoutParams& d, int64_t n, const T* in, T* out) {
  validate(d, n);
  if (d.p == 0.0f) {  // Every element is kept with scale 1.
    if (out != in) std::copy(in, in + n, out);
    return;
  }
  const T scale = static_cast<T>(1.0 / (1.0 - static_cast<double>(d.p)));
  // philox_uniform = (word >> 8) * 2^-24 is exact in float, and so is p * 2^24, hence
  //   uniform >= p  <=>  (word >> 8) >= ceil(p * 2^24),
  // an integer compare that vectorises.
  const uint32_t threshold = static_cast<uint32_t>(std::ceil(static_cast<double>(d.p) * 16777216.0));
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  static_assert(sizeof(Bits) == sizeof(T), "dropout supports float and double");
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  const uint64_t step = resolve_step(d.live, d.step);
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t ch = 0; ch < chunks; ++ch) {
    uint32_t words[kChunk];
    philox_chunk(d, step, static_cast<uint32_t>(ch * kLanes), words);
    const int64_t e0 = ch * kChunk;
    const int64_t m = std::min<int64_t>(kChunk, n - e0);
    // A dropped element's bits are masked to +0. (A select `keep ? x*scale : 0` is not
    // if-converted by GCC under -ftrapping-math, which would leave this loop scalar.)
#pragma omp simd
    for (int64_t j = 0; j < m; ++j) {
      const T kept = in[e0 + j] * scale;
      Bits bits;
      std::memcpy(&bits, &kept, sizeof(T));
      bits &= Bits(0) - static_cast<Bits>((words[j] >> 8) >= threshold);
      std::memcpy(&out[e0 + j], &bits, sizeof(T));
    }
  }
}

}  // namespace

bool dropout_keep(const DropoutParams& d, uint64_t element) {
  return philox_uniform(d.seed, d.stream, resolve_step(d.live, d.step), element) >= d.p;
}

// x (n) -> y (n). y may alias x.
template <typename T>
void dropout_forward_ref(const DropoutParams& d, int64_t n, const T* x, T* y) {
  apply_mask(d, n, x, y);
}

// dy (n) -> dx (n) = dy * mask * scale, the mask regenerated from (seed, stream, step).
// OVERWRITES dx; dx may alias dy.
template <typename T>
void dropout_backward_ref(const DropoutParams& d, int64_t n, const T* dy, T* dx) {
  apply_mask(d, n, dy, dx);
}

#define GD_INSTANTIATE_DROPOUT(T)                                                       \
  template void dropout_forward_ref<T>(const DropoutParams&, int64_t, const T*, T*);    \
  template void dropout_backward_ref<T>(const DropoutParams&, int64_t, const T*, T*);
GD_INSTANTIATE_DROPOUT(float)
GD_INSTANTIATE_DROPOUT(double)
#undef GD_INSTANTIATE_DROPOUT

}  // namespace gd
