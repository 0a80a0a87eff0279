// Sobol sequence (engine/tune/sobol.h): the first points against the known sequence, late
// dimensions against an independent implementation of the same Joe & Kuo table, the net
// (stratification) properties, and the digital shift.
#include "engine/tune/sobol.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "engine/core/error.h"
#include "engine/tune/sampler_rng.h"

namespace gd::tune {
namespace {

TEST(Sobol, FirstPointsAreTheKnownSequence) {
  // The unscrambled sequence in Gray-code order (dimension 1 is van der Corput in Gray order).
  const std::vector<std::vector<double>> want = {
      {0, 0, 0, 0, 0, 0, 0, 0},
      {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5},
      {0.75, 0.25, 0.25, 0.25, 0.75, 0.75, 0.25, 0.75},
      {0.25, 0.75, 0.75, 0.75, 0.25, 0.25, 0.75, 0.25},
      {0.375, 0.375, 0.625, 0.875, 0.375, 0.125, 0.375, 0.875},
      {0.875, 0.875, 0.125, 0.375, 0.875, 0.625, 0.875, 0.375},
  };
  const SobolSequence s(8);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(s.point(i), want[i]) << "point " << i;
}

TEST(Sobol, LateDimensionsMatchAnIndependentImplementation) {
  // Values from torch.quasirandom.SobolEngine(53, scramble=False) (PyTorch's own copy of the
  // Joe & Kuo direction numbers), coordinates 21, 40 and 53.
  struct Ref {
    uint64_t index;
    double d21, d40, d53;
  };
  const Ref refs[] = {{100, 0.7578125, 0.1328125, 0.0703125},
                      {1000, 0.5224609375, 0.4794921875, 0.7529296875},
                      {4095, 0.225830078125, 0.227294921875, 0.680419921875}};
  const SobolSequence s(SobolSequence::kMaxDims);
  for (const Ref& r : refs) {
    const std::vector<double> p = s.point(r.index);
    EXPECT_EQ(p[20], r.d21) << r.index;
    EXPECT_EQ(p[39], r.d40) << r.index;
    EXPECT_EQ(p[52], r.d53) << r.index;
  }
}

// Every block of 2^m points starting at a multiple of 2^m puts exactly one point in each
// interval [k/2^m, (k+1)/2^m) of every coordinate.
void expect_stratified(const SobolSequence& s, uint64_t first, int m, const std::vector<uint32_t>& shift) {
  const uint64_t n = uint64_t{1} << m;
  std::vector<std::vector<int>> hits(static_cast<size_t>(s.dims()), std::vector<int>(n, 0));
  for (uint64_t i = first; i < first + n; ++i) {
    const std::vector<double> p = s.point(i, shift);
    for (int d = 0; d < s.dims(); ++d) {
      ASSERT_GE(p[static_cast<size_t>(d)], 0.0);
      ASSERT_LT(p[static_cast<size_t>(d)], 1.0);
      ++hits[static_cast<size_t>(d)][static_cast<size_t>(p[static_cast<size_t>(d)] * static_cast<double>(n))];
    }
  }
  for (int d = 0; d < s.dims(); ++d) {
    for (uint64_t k = 0; k < n; ++k) ASSERT_EQ(hits[static_cast<size_t>(d)][k], 1) << "dimension " << d + 1 << " interval " << k;
  }
}

TEST(Sobol, EveryCoordinateIsStratified) {
  const SobolSequence s(SobolSequence::kMaxDims);
  expect_stratified(s, 0, 10, {});
  expect_stratified(s, 1024, 10, {});  // the next block too
}

TEST(Sobol, FirstTwoDimensionsFormATZeroNet) {
  // Dimensions 1 and 2 form a (0, m, 2)-net: every elementary box of area 2^-m, of any shape
  // 2^-a x 2^-(m-a), holds exactly one of the first 2^m points.
  const SobolSequence s(2);
  constexpr int m = 8;
  for (int a = 0; a <= m; ++a) {
    const int nx = 1 << a, ny = 1 << (m - a);
    std::vector<int> hits(static_cast<size_t>(nx * ny), 0);
    for (uint64_t i = 0; i < (uint64_t{1} << m); ++i) {
      const std::vector<double> p = s.point(i);
      ++hits[static_cast<size_t>(static_cast<int>(p[0] * nx) * ny + static_cast<int>(p[1] * ny))];
    }
    for (int h : hits) ASSERT_EQ(h, 1) << "boxes " << nx << " x " << ny;
  }
}

TEST(Sobol, DigitalShiftKeepsStratificationAndMovesTheOrigin) {
  const SobolSequence s(12);
  Rng rng(99, 1);
  std::vector<uint32_t> shift(12);
  for (uint32_t& x : shift) x = rng.next_u32();
  expect_stratified(s, 0, 9, shift);
  const std::vector<double> p0 = s.point(0, shift);
  for (size_t d = 0; d < p0.size(); ++d) EXPECT_EQ(p0[d], static_cast<double>(shift[d]) * 0x1.0p-32);
  EXPECT_NE(s.point(0, shift), s.point(0));
}

TEST(Sobol, RejectsUnsupportedDimensionsAndIndices) {
  EXPECT_THROW(SobolSequence(0), ConfigError);
  EXPECT_THROW(SobolSequence(SobolSequence::kMaxDims + 1), ConfigError);
  const SobolSequence s(3);
  EXPECT_THROW(s.point(uint64_t{1} << 32), Error);
  EXPECT_THROW(s.point(0, std::vector<uint32_t>(2, 0u)), Error);
}

}  // namespace
}  // namespace gd::tune
