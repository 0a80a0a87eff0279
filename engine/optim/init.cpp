#include "engine/optim/init.h"

#include <cmath>

#include "engine/core/error.h"
#include "engine/core/philox.h"

namespace gd {
namespace {

constexpr double kTwoPi = 6.28318530717958647692;
// Philox "step" word reserved for initialisation, so init draws never coincide with the dropout or
// augmentation draws that use the training step (which never reaches 2^64 - 1).
constexpr uint64_t kInitStep = ~uint64_t{0};
// Smaller fills run on the calling thread: waking the OpenMP team would cost more than the loop.
constexpr int64_t kParallelMin = 4096;

// Uniform in the open interval (0, 1) with 32 bits of resolution: (k + 0.5) / 2^32.
inline double open_uniform(uint64_t seed, uint32_t stream, uint64_t element) {
  const uint32_t k = philox_u32(seed, stream, kInitStep, element);
  return (static_cast<double>(k) + 0.5) * (1.0 / 4294967296.0);
}

void fill_uniform(double bound, int64_t n, float* out, uint64_t seed, uint32_t stream) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    // 2u - 1 lies in (-1, 1) and is symmetric about 0, so the mean is exactly 0 in distribution.
    const double u = open_uniform(seed, stream, static_cast<uint64_t>(i));
    out[i] = static_cast<float>(bound * (2.0 * u - 1.0));
  }
}

// Box-Muller: elements 2p and 2p+1 share the uniform pair (u1, u2) = draws 2p, 2p+1 and take
// r*cos(theta) and r*sin(theta) respectively, so every element is computable on its own.
void fill_normal(double stddev, int64_t n, float* out, uint64_t seed, uint32_t stream) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t pair = static_cast<uint64_t>(i) >> 1;
    const double u1 = open_uniform(seed, stream, 2 * pair);
    const double u2 = open_uniform(seed, stream, 2 * pair + 1);
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = kTwoPi * u2;
    const double z = (i & 1) ? r * std::sin(theta) : r * std::cos(theta);
    out[i] = static_cast<float>(stddev * z);
  }
}

}  // namespace

InitScheme parse_init_scheme(const std::string& s) {
  if (s == "he-uniform") return InitScheme::HeUniform;
  if (s == "he-normal") return InitScheme::HeNormal;
  if (s == "glorot-uniform") return InitScheme::GlorotUniform;
  if (s == "glorot-normal") return InitScheme::GlorotNormal;
  if (s == "zeros") return InitScheme::Zeros;
  if (s == "ones") return InitScheme::Ones;
  throw ConfigError("unknown init scheme '" + s +
                    "' (expected he-uniform, he-normal, glorot-uniform, glorot-normal, zeros or ones)");
}

const char* init_scheme_name(InitScheme scheme) {
  switch (scheme) {
    case InitScheme::HeUniform: return "he-uniform";
    case InitScheme::HeNormal: return "he-normal";
    case InitScheme::GlorotUniform: return "glorot-uniform";
    case InitScheme::GlorotNormal: return "glorot-normal";
    case InitScheme::Zeros: return "zeros";
    case InitScheme::Ones: return "ones";
  }
  return "?";
}

void init_fill(InitScheme scheme, int64_t fan_in, int64_t fan_out, int64_t n, float* host_out,
               uint64_t seed, uint32_t stream) {
  GD_CHECK_SHAPE(n >= 0, "init_fill(" << init_scheme_name(scheme) << "): n must be >= 0, got " << n);
  GD_CHECK(n == 0 || host_out != nullptr, "init_fill: host_out is null for n = " << n);
  const bool he = scheme == InitScheme::HeUniform || scheme == InitScheme::HeNormal;
  const bool glorot = scheme == InitScheme::GlorotUniform || scheme == InitScheme::GlorotNormal;
  if (he)
    GD_CHECK_SHAPE(fan_in >= 1, "init_fill(" << init_scheme_name(scheme) << "): fan_in must be >= 1, got "
                                             << fan_in);
  if (glorot)
    GD_CHECK_SHAPE(fan_in >= 0 && fan_out >= 0 && fan_in + fan_out >= 1,
                   "init_fill(" << init_scheme_name(scheme) << "): need fan_in, fan_out >= 0 and "
                                << "fan_in + fan_out >= 1, got fan_in = " << fan_in
                                << ", fan_out = " << fan_out);
  const double fan = he ? static_cast<double>(fan_in) : static_cast<double>(fan_in + fan_out);
  switch (scheme) {
    case InitScheme::HeUniform:
    case InitScheme::GlorotUniform:
      fill_uniform(std::sqrt(6.0 / fan), n, host_out, seed, stream);
      return;
    case InitScheme::HeNormal:
    case InitScheme::GlorotNormal:
      fill_normal(std::sqrt(2.0 / fan), n, host_out, seed, stream);
      return;
    case InitScheme::Zeros:
    case InitScheme::Ones: {
      const float value = scheme == InitScheme::Ones ? 1.0f : 0.0f;
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) host_out[i] = value;
      return;
    }
  }
}

void init_fill_classifier_head(int64_t fan_in, int64_t n, float* host_out, uint64_t seed, uint32_t stream) {
  GD_CHECK_SHAPE(fan_in >= 1 && n >= 0, "init_fill_classifier_head: need fan_in >= 1 and n >= 0, got fan_in = "
                                            << fan_in << ", n = " << n);
  GD_CHECK(n == 0 || host_out != nullptr, "init_fill_classifier_head: host_out is null for n = " << n);
  fill_uniform(1.0 / std::sqrt(6.0 * static_cast<double>(fan_in)), n, host_out, seed, stream);
}

}  // namespace gd
