// Dense linear algebra of the GP (engine/tune/gp_linalg.h): blocked Cholesky across block
// boundaries, failure on indefinite matrices, jitter retries, triangular solves and the SPD
// inverse, each checked by multiplying back.
#include "engine/tune/gp_linalg.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/tune/sampler_rng.h"

namespace gd::tune {
namespace {

// A = B B^T / n + I: symmetric, eigenvalues in [1, 1 + O(1)], so every operation below is well
// conditioned and the round-off bound is a small multiple of n * eps.
std::vector<double> spd(int n, uint64_t seed) {
  Rng rng(seed, 0);
  std::vector<double> b(static_cast<size_t>(n) * n), a(static_cast<size_t>(n) * n);
  for (double& v : b) v = rng.uniform(-1.0, 1.0);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      double s = 0.0;
      for (int k = 0; k < n; ++k) s += b[static_cast<size_t>(i) * n + k] * b[static_cast<size_t>(j) * n + k];
      a[static_cast<size_t>(i) * n + j] = s / n + (i == j ? 1.0 : 0.0);
    }
  }
  return a;
}

double tol(int n) { return 64.0 * n * 2.220446049250313e-16; }

class Cholesky : public ::testing::TestWithParam<int> {};

TEST_P(Cholesky, FactorReproducesTheMatrix) {
  const int n = GetParam();  // below, at and across the 64-wide blocks
  const std::vector<double> a = spd(n, static_cast<uint64_t>(n));
  std::vector<double> l = a;
  ASSERT_TRUE(cholesky_in_place(l.data(), n));
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      if (j > i) {
        ASSERT_EQ(l[static_cast<size_t>(i) * n + j], 0.0);
        continue;
      }
      double s = 0.0;
      for (int k = 0; k <= j; ++k) s += l[static_cast<size_t>(i) * n + k] * l[static_cast<size_t>(j) * n + k];
      ASSERT_NEAR(s, a[static_cast<size_t>(i) * n + j], tol(n)) << i << "," << j;
    }
  }
}

TEST_P(Cholesky, SolvesAndInverseMultiplyBack) {
  const int n = GetParam();
  const std::vector<double> a = spd(n, 100 + static_cast<uint64_t>(n));
  std::vector<double> l = a;
  ASSERT_TRUE(cholesky_in_place(l.data(), n));
  Rng rng(7, 0);
  std::vector<double> b(static_cast<size_t>(n));
  for (double& v : b) v = rng.uniform(-1.0, 1.0);
  // L (L^T x) = b, so A x = b.
  std::vector<double> x = b;
  solve_lower(l.data(), n, x.data());
  solve_lower_transposed(l.data(), n, x.data());
  for (int i = 0; i < n; ++i) {
    double s = 0.0;
    for (int j = 0; j < n; ++j) s += a[static_cast<size_t>(i) * n + j] * x[static_cast<size_t>(j)];
    ASSERT_NEAR(s, b[static_cast<size_t>(i)], tol(n)) << i;
  }
  // Many right-hand sides at once equal one at a time (13: a full block of 8 and a partial one).
  const int m = 13;
  std::vector<double> rows(static_cast<size_t>(m) * n);
  for (double& v : rows) v = rng.uniform(-1.0, 1.0);
  std::vector<double> one = rows;
  for (int r = 0; r < m; ++r) solve_lower(l.data(), n, one.data() + static_cast<size_t>(r) * n);
  solve_lower_rows(l.data(), n, rows.data(), m);
  for (size_t i = 0; i < rows.size(); ++i) ASSERT_NEAR(rows[i], one[i], tol(n));
  // A A^{-1} = I.
  std::vector<double> inv(static_cast<size_t>(n) * n);
  inverse_from_cholesky(l.data(), n, inv.data());
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      double s = 0.0;
      for (int k = 0; k < n; ++k) s += a[static_cast<size_t>(i) * n + k] * inv[static_cast<size_t>(k) * n + j];
      ASSERT_NEAR(s, i == j ? 1.0 : 0.0, tol(n)) << i << "," << j;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, Cholesky, ::testing::Values(1, 7, 64, 65, 130));

TEST(GpLinalg, IndefiniteMatrixIsRejected) {
  std::vector<double> a = {1.0, 2.0, 2.0, 1.0};  // eigenvalues 3 and -1
  EXPECT_FALSE(cholesky_in_place(a.data(), 2));
  std::vector<double> nan = {std::nan(""), 0.0, 0.0, 1.0};
  EXPECT_FALSE(cholesky_in_place(nan.data(), 2));
  std::vector<double> l;
  EXPECT_LT(cholesky_with_jitter({1.0, 2.0, 2.0, 1.0}, 2, l), 0.0);  // no jitter up to 1e-4 helps
}

TEST(GpLinalg, SingularMatrixSucceedsWithJitter) {
  // Rank one: [1 1; 1 1] (x x^T with x = (1, 1)).
  const std::vector<double> a = {1.0, 1.0, 1.0, 1.0};
  std::vector<double> l;
  const double jitter = cholesky_with_jitter(a, 2, l);
  EXPECT_GT(jitter, 0.0);
  EXPECT_LE(jitter, 1e-4);
  EXPECT_NEAR(l[0] * l[0], 1.0 + jitter, 1e-12);
  EXPECT_NEAR(l[2] * l[2] + l[3] * l[3], 1.0 + jitter, 1e-12);
  // A well-conditioned matrix needs none.
  EXPECT_EQ(cholesky_with_jitter(spd(10, 1), 10, l), 0.0);
}

TEST(GpLinalg, DotMatchesSequentialSum) {
  Rng rng(11, 0);
  for (int n : {0, 1, 3, 17, 100}) {
    std::vector<double> a(static_cast<size_t>(n)), b(static_cast<size_t>(n));
    double want = 0.0;
    for (int i = 0; i < n; ++i) {
      a[static_cast<size_t>(i)] = rng.uniform(-1, 1);
      b[static_cast<size_t>(i)] = rng.uniform(-1, 1);
      want += a[static_cast<size_t>(i)] * b[static_cast<size_t>(i)];
    }
    EXPECT_NEAR(dot(a.data(), b.data(), n), want, tol(n + 1)) << n;
  }
}

}  // namespace
}  // namespace gd::tune
