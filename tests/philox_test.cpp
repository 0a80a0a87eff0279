// Philox4x32-10 against the Random123 known-answer vectors, and the properties dropout relies on.
#include "engine/core/philox.h"

#include <gtest/gtest.h>

namespace gd {
namespace {

TEST(Philox, KnownAnswerZero) {
  const Philox4x32 r = philox4x32_10({{0, 0, 0, 0}}, 0, 0);
  EXPECT_EQ(r.v[0], 0x6627e8d5u);
  EXPECT_EQ(r.v[1], 0xe169c58du);
  EXPECT_EQ(r.v[2], 0xbc57ac4cu);
  EXPECT_EQ(r.v[3], 0x9b00dbd8u);
}

TEST(Philox, KnownAnswerAllOnes) {
  const Philox4x32 r = philox4x32_10({{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}},
                                     0xffffffffu, 0xffffffffu);
  EXPECT_EQ(r.v[0], 0x408f276du);
  EXPECT_EQ(r.v[1], 0x41c83b0eu);
  EXPECT_EQ(r.v[2], 0xa20bc7c6u);
  EXPECT_EQ(r.v[3], 0x6d5451fdu);
}

TEST(Philox, KnownAnswerPi) {
  const Philox4x32 r = philox4x32_10({{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}},
                                     0xa4093822u, 0x299f31d0u);
  EXPECT_EQ(r.v[0], 0xd16cfe09u);
  EXPECT_EQ(r.v[1], 0x94fdccebu);
  EXPECT_EQ(r.v[2], 0x5001e420u);
  EXPECT_EQ(r.v[3], 0x24126ea1u);
}

TEST(Philox, StreamsStepsAndSeedsDiffer) {
  EXPECT_NE(philox_u32(1, 0, 0, 0), philox_u32(2, 0, 0, 0));
  EXPECT_NE(philox_u32(1, 0, 0, 0), philox_u32(1, 1, 0, 0));
  EXPECT_NE(philox_u32(1, 0, 0, 0), philox_u32(1, 0, 1, 0));
  EXPECT_NE(philox_u32(1, 0, 0, 0), philox_u32(1, 0, 0, 1));
  // A step above 2^32 must not alias step 0.
  EXPECT_NE(philox_u32(1, 0, uint64_t{1} << 32, 0), philox_u32(1, 0, 0, 0));
}

TEST(Philox, UniformIsInUnitIntervalAndRoughlyUniform) {
  const int n = 200000;
  double sum = 0.0;
  int below_quarter = 0;
  for (int i = 0; i < n; ++i) {
    const float u = philox_uniform(42, 3, 7, i);
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    sum += u;
    below_quarter += u < 0.25f;
  }
  // Mean of n uniforms has standard deviation sqrt(1/12/n) ~ 6.5e-4; allow 6 sigma.
  EXPECT_NEAR(sum / n, 0.5, 6 * 6.5e-4);
  // Binomial(n, 1/4) fraction has sd sqrt(3/16/n) ~ 9.7e-4; allow 6 sigma.
  EXPECT_NEAR(static_cast<double>(below_quarter) / n, 0.25, 6 * 9.7e-4);
}

}  // namespace
}  // namespace gd
