#pragma once
// The random stream of a sampler: Philox4x32-10 (engine/core/philox.h) keyed by the study seed,
// with the counter split into (block index, stream id). A sampler derives the stream id from the
// trial number, the retry attempt and a purpose tag (sampler_stream below), so each proposal is a
// pure function of (seed, trial number, attempt, history) and never depends on earlier calls or on
// which process makes it. Distributions are written here (not <random>'s, whose algorithms differ
// between standard libraries), so a seed gives the same proposals on every platform.
#include <cmath>
#include <cstdint>

#include "engine/core/philox.h"

namespace gd::tune {

// Purpose tags keep the streams of different consumers within one proposal apart.
enum class RngPurpose : uint32_t {
  Propose = 1,     // the sampler's main draws
  Startup = 2,     // Sobol digital shift / random start points
  Candidates = 3,  // acquisition candidates (GP)
  Fallback = 4,    // duplicate-avoidance fallback in Sampler::sample
};

// Stream id for (trial number, attempt, purpose). Trial numbers up to 2^39 and attempts up to
// 2^16 map to distinct ids.
inline uint64_t sampler_stream(int64_t trial_number, int attempt, RngPurpose purpose) {
  return (static_cast<uint64_t>(trial_number) << 24) ^ (static_cast<uint64_t>(attempt & 0xFFFF) << 8) ^
         static_cast<uint64_t>(purpose);
}

class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) : seed_(seed), stream_(stream) {}

  uint32_t next_u32() {
    if (word_ == 4) refill();
    return block_.v[word_++];
  }
  uint64_t next_u64() {
    const uint64_t hi = next_u32();
    return (hi << 32) | next_u32();
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), n >= 1 (rejection sampling: no modulo bias).
  int64_t uniform_int(int64_t n) {
    if (n <= 1) return 0;
    const uint64_t un = static_cast<uint64_t>(n);
    const uint64_t limit = UINT64_MAX - UINT64_MAX % un;
    uint64_t r;
    do {
      r = next_u64();
    } while (r >= limit);
    return static_cast<int64_t>(r % un);
  }
  // Standard normal (Box-Muller; the second value is cached).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1;
    do {
      u1 = uniform();
    } while (u1 <= 0.0);
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    constexpr double kTwoPi = 6.283185307179586476925286766559;
    spare_ = r * std::sin(kTwoPi * u2);
    has_spare_ = true;
    return r * std::cos(kTwoPi * u2);
  }

 private:
  void refill() {
    Philox4x32 c;
    c.v[0] = static_cast<uint32_t>(counter_);
    c.v[1] = static_cast<uint32_t>(counter_ >> 32);
    c.v[2] = static_cast<uint32_t>(stream_);
    c.v[3] = static_cast<uint32_t>(stream_ >> 32);
    block_ = philox4x32_10(c, static_cast<uint32_t>(seed_), static_cast<uint32_t>(seed_ >> 32));
    ++counter_;
    word_ = 0;
  }

  uint64_t seed_, stream_;
  uint64_t counter_ = 0;
  Philox4x32 block_{};
  int word_ = 4;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace gd::tune
