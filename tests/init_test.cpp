// Weight initialisation (engine/optim/init.h): moments of 1e5 draws within statistical bounds,
// uniform bounds, the documented Philox/Box-Muller construction, determinism and stream separation.
//
// Statistical bounds are 6 standard errors of the estimator (a false failure has probability ~2e-9
// per check for a Gaussian estimate; the draws are fixed by the seed anyway, so a pass is stable):
//   mean of n draws, variance s^2:         SE = s / sqrt(n)
//   sample variance, normal draws:         SE = s^2 * sqrt(2 / n)
//   sample variance, U(-b, b) draws:       SE = sqrt((E x^4 - s^4) / n) = s^2 * sqrt(4/5 / n)
//                                          (E x^4 = b^4/5, s^2 = b^2/3 so E x^4 = 9/5 s^4)
//   fraction of |x| > 2s, normal:          p = 0.0455003, SE = sqrt(p (1 - p) / n)
#include "engine/optim/init.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/philox.h"

namespace gd {
namespace {

constexpr int64_t kDraws = 100000;
constexpr double kSigmas = 6.0;

std::vector<float> draw(InitScheme s, int64_t fan_in, int64_t fan_out, int64_t n = kDraws,
                        uint64_t seed = 1234, uint32_t stream = 7) {
  std::vector<float> v(static_cast<size_t>(n), -999.0f);
  init_fill(s, fan_in, fan_out, n, v.data(), seed, stream);
  return v;
}

struct Moments {
  double mean = 0, var = 0, max_abs = 0, tail2 = 0;  // tail2: fraction with |x| > 2 * expected sd
};

Moments moments(const std::vector<float>& v, double expected_sd) {
  Moments m;
  const double n = static_cast<double>(v.size());
  for (float x : v) m.mean += x;
  m.mean /= n;
  for (float x : v) {
    const double d = x - m.mean;
    m.var += d * d;
    m.max_abs = std::max(m.max_abs, std::abs(static_cast<double>(x)));
    m.tail2 += std::abs(static_cast<double>(x)) > 2.0 * expected_sd;
  }
  m.var /= n - 1;
  m.tail2 /= n;
  return m;
}

void check_normal(InitScheme s, int64_t fan_in, int64_t fan_out, double sd) {
  const Moments m = moments(draw(s, fan_in, fan_out), sd);
  const double n = kDraws;
  EXPECT_NEAR(m.mean, 0.0, kSigmas * sd / std::sqrt(n)) << init_scheme_name(s);
  EXPECT_NEAR(m.var, sd * sd, kSigmas * sd * sd * std::sqrt(2.0 / n)) << init_scheme_name(s);
  // The Gaussian tail tells a normal from a uniform of the same variance (which has no |x| > 2s
  // at all, since its bound is sqrt(3) s).
  const double p = 0.0455003;
  EXPECT_NEAR(m.tail2, p, kSigmas * std::sqrt(p * (1 - p) / n)) << init_scheme_name(s);
}

void check_uniform(InitScheme s, int64_t fan_in, int64_t fan_out, double bound) {
  const double sd = bound / std::sqrt(3.0);
  const std::vector<float> v = draw(s, fan_in, fan_out);
  const Moments m = moments(v, sd);
  const double n = kDraws;
  EXPECT_NEAR(m.mean, 0.0, kSigmas * sd / std::sqrt(n)) << init_scheme_name(s);
  EXPECT_NEAR(m.var, sd * sd, kSigmas * sd * sd * std::sqrt(0.8 / n)) << init_scheme_name(s);
  const float fb = static_cast<float>(bound);
  for (float x : v) ASSERT_LE(std::abs(x), fb) << init_scheme_name(s);
  // Both ends are approached: P(no draw in the top 0.1% of one side) = (1 - 5e-4)^1e5 ~ e^-50.
  EXPECT_GT(*std::max_element(v.begin(), v.end()), 0.999 * bound);
  EXPECT_LT(*std::min_element(v.begin(), v.end()), -0.999 * bound);
}

TEST(Init, ParseNamesRoundTrip) {
  for (const char* name :
       {"he-uniform", "he-normal", "glorot-uniform", "glorot-normal", "zeros", "ones"})
    EXPECT_STREQ(init_scheme_name(parse_init_scheme(name)), name);
  EXPECT_EQ(parse_init_scheme("he-normal"), InitScheme::HeNormal);
  EXPECT_THROW(parse_init_scheme("kaiming"), ConfigError);
  EXPECT_THROW(parse_init_scheme(""), ConfigError);
}

TEST(Init, HeNormalMoments) { check_normal(InitScheme::HeNormal, 50, 999, std::sqrt(2.0 / 50)); }

TEST(Init, GlorotNormalMoments) {
  check_normal(InitScheme::GlorotNormal, 30, 70, std::sqrt(2.0 / 100));
}

TEST(Init, HeUniformMomentsAndBounds) {
  check_uniform(InitScheme::HeUniform, 50, 999, std::sqrt(6.0 / 50));
}

TEST(Init, GlorotUniformMomentsAndBounds) {
  check_uniform(InitScheme::GlorotUniform, 30, 70, std::sqrt(6.0 / 100));
}

TEST(Init, ZerosAndOnes) {
  for (float x : draw(InitScheme::Zeros, 3, 4, 1001)) ASSERT_EQ(x, 0.0f);
  for (float x : draw(InitScheme::Ones, 3, 4, 1001)) ASSERT_EQ(x, 1.0f);
}

TEST(Init, DrawsFollowTheDocumentedPhiloxConstruction) {
  // Uniform element i = b * (2 u_i - 1), u_i = (philox_u32(seed, stream, 2^64 - 1, i) + 0.5) / 2^32;
  // normal elements 2p, 2p+1 = sd * sqrt(-2 ln u_2p) * (cos, sin)(2 pi u_2p+1). This pins the stream
  // so another implementation (e.g. a CUDA init kernel) can reproduce it.
  const uint64_t seed = 99;
  const uint32_t stream = 3;
  auto u = [&](uint64_t i) { return (philox_u32(seed, stream, ~uint64_t{0}, i) + 0.5) / 4294967296.0; };
  const double b = std::sqrt(6.0 / 10);
  const std::vector<float> uni = draw(InitScheme::HeUniform, 10, 1, 5, seed, stream);
  for (uint64_t i = 0; i < 5; ++i) EXPECT_EQ(uni[i], static_cast<float>(b * (2 * u(i) - 1))) << i;
  const double sd = std::sqrt(2.0 / 10);
  const std::vector<float> nrm = draw(InitScheme::HeNormal, 10, 1, 5, seed, stream);
  for (uint64_t i = 0; i < 5; ++i) {
    const uint64_t p = i / 2;
    const double r = std::sqrt(-2.0 * std::log(u(2 * p)));
    const double th = 2.0 * 3.14159265358979323846 * u(2 * p + 1);
    const double z = i % 2 ? r * std::sin(th) : r * std::cos(th);
    EXPECT_EQ(nrm[i], static_cast<float>(sd * z)) << i;
  }
}

TEST(Init, DeterministicPerSeedAndStreamIndependentOfLengthAndThreads) {
  const std::vector<float> a = draw(InitScheme::HeNormal, 20, 20, 50001, 5, 2);
  const std::vector<float> b = draw(InitScheme::HeNormal, 20, 20, 50001, 5, 2);
  EXPECT_EQ(a, b);
  // A shorter fill is a prefix of the longer one (element i depends only on (seed, stream, i)).
  const std::vector<float> prefix = draw(InitScheme::HeNormal, 20, 20, 11, 5, 2);
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), a.begin()));
  // One thread gives the same values as the default team.
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const std::vector<float> serial = draw(InitScheme::HeNormal, 20, 20, 50001, 5, 2);
  omp_set_num_threads(threads);
  EXPECT_EQ(a, serial);
}

TEST(Init, StreamsAndSeedsGiveDifferentValues) {
  const std::vector<float> a = draw(InitScheme::GlorotUniform, 20, 20, 1000, 5, 2);
  const std::vector<float> other_stream = draw(InitScheme::GlorotUniform, 20, 20, 1000, 5, 3);
  const std::vector<float> other_seed = draw(InitScheme::GlorotUniform, 20, 20, 1000, 6, 2);
  int same_stream = 0, same_seed = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    same_stream += a[i] == other_stream[i];
    same_seed += a[i] == other_seed[i];
  }
  // Independent 32-bit draws coincide with probability ~2^-24 after float rounding; allow a couple.
  EXPECT_LE(same_stream, 2);
  EXPECT_LE(same_seed, 2);
}

TEST(Init, RejectsBadFans) {
  std::vector<float> v(4);
  EXPECT_THROW(init_fill(InitScheme::HeNormal, 0, 10, 4, v.data(), 1, 0), ShapeError);
  EXPECT_THROW(init_fill(InitScheme::GlorotUniform, 0, 0, 4, v.data(), 1, 0), ShapeError);
  EXPECT_THROW(init_fill(InitScheme::HeUniform, 3, 3, -1, v.data(), 1, 0), ShapeError);
  EXPECT_NO_THROW(init_fill(InitScheme::Zeros, 0, 0, 4, v.data(), 1, 0));  // fans unused
}

}  // namespace
}  // namespace gd
