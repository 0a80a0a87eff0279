// ref::gemm (engine/ref/blas_gemm.h) against a naive triple loop, for float and double, all four
// transpose combinations, CBLAS's alpha/beta rules (beta == 0 never reads C), padded row strides
// and odd sizes that straddle the built-in kernel's blocks (32 rows, 128 deep, 256 wide). The same
// test runs in both builds: with GD_HAVE_CBLAS it checks the OpenBLAS wrapper, without it the
// built-in blocked kernel.
#include "engine/ref/blas_gemm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/core/error.h"

namespace gd {
namespace {

using ref::gemm;

struct Dims {
  int64_t m, n, k;
};

// Odd and prime sizes, one below / one above the built-in kernel's block sizes, degenerate 1s, and
// a wide-but-short product (m = 3) that the built-in kernel parallelises over tiny row blocks.
const Dims kDims[] = {{1, 1, 1},    {1, 7, 1},     {3, 5, 7},      {17, 13, 33},  {31, 1, 65},
                      {33, 255, 2}, {65, 257, 129}, {3, 300, 260}, {130, 2, 127}};

// One problem: A, B, C stored with padded row strides (lda, ldb, ldc one to three elements wider
// than a row). Padding of A and B is NaN (reading it would poison C); padding of C holds a sentinel
// that must survive.
template <typename T>
struct Problem {
  bool ta, tb;
  int64_t m, n, k, lda, ldb, ldc;
  std::vector<T> a, b, c;
  static constexpr T kSentinel = T(-12345);

  // op(A)(i,p) and op(B)(p,j) as stored.
  T opa(int64_t i, int64_t p) const { return ta ? a[p * lda + i] : a[i * lda + p]; }
  T opb(int64_t p, int64_t j) const { return tb ? b[j * ldb + p] : b[p * ldb + j]; }
};

// Fills A, B and C with `value(rng)`; when `c_nan`, C's interior is NaN instead.
template <typename T, typename Gen>
Problem<T> make_problem(bool ta, bool tb, Dims d, uint64_t seed, Gen value, bool c_nan = false) {
  Problem<T> p{ta, tb, d.m, d.n, d.k, 0, 0, 0, {}, {}, {}};
  const int64_t a_rows = ta ? d.k : d.m, a_cols = ta ? d.m : d.k;
  const int64_t b_rows = tb ? d.n : d.k, b_cols = tb ? d.k : d.n;
  p.lda = a_cols + 1;
  p.ldb = b_cols + 2;
  p.ldc = d.n + 3;
  std::mt19937_64 rng(seed);
  const T nan = std::numeric_limits<T>::quiet_NaN();
  auto fill = [&](std::vector<T>& v, int64_t rows, int64_t cols, int64_t ld, T pad, bool interior_nan) {
    v.assign(static_cast<size_t>(rows * ld), pad);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t q = 0; q < cols; ++q) v[r * ld + q] = interior_nan ? nan : value(rng);
  };
  fill(p.a, a_rows, a_cols, p.lda, nan, false);
  fill(p.b, b_rows, b_cols, p.ldb, nan, false);
  fill(p.c, d.m, d.n, p.ldc, Problem<T>::kSentinel, c_nan);
  return p;
}

// The naive triple loop in long double, alpha/beta as CBLAS defines them (beta == 0: C not read),
// and a worst-case rounding bound for each element: the implementation forms k products and k-1
// sums (any order), plus at most one rounding each for alpha * a, beta * c and the final add, so
// |error| <= (k + 3) * eps_T * (|alpha| * sum_p |a_ip b_pj| + |beta c_ij|) (Higham, gamma_n bound;
// first order). The long-double reference is exact to ~k * 2^-64, far inside that.
template <typename T>
void naive(const Problem<T>& p, T alpha, T beta, std::vector<long double>& want, std::vector<long double>& bound) {
  const long double eps = std::numeric_limits<T>::epsilon();
  want.assign(static_cast<size_t>(p.m * p.n), 0.0L);
  bound.assign(want.size(), 0.0L);
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.n; ++j) {
      long double acc = 0, mag = 0;
      for (int64_t q = 0; q < p.k; ++q) {
        const long double t = static_cast<long double>(p.opa(i, q)) * p.opb(q, j);
        acc += t;
        mag += std::fabs(t);
      }
      const long double c0 = beta == T(0) ? 0.0L : static_cast<long double>(beta) * p.c[i * p.ldc + j];
      want[i * p.n + j] = static_cast<long double>(alpha) * acc + c0;
      bound[i * p.n + j] =
          (p.k + 3) * eps * (std::fabs(static_cast<long double>(alpha)) * mag + std::fabs(c0)) +
          std::numeric_limits<T>::denorm_min();
    }
}

template <typename T>
void run(Problem<T>& p, T alpha, T beta) {
  gemm<T>(p.ta, p.tb, p.m, p.n, p.k, alpha, p.a.data(), p.lda, p.b.data(), p.ldb, beta, p.c.data(), p.ldc);
}

std::string label(bool ta, bool tb, Dims d, double alpha, double beta) {
  return std::string(ta ? "T" : "N") + (tb ? "T" : "N") + " m=" + std::to_string(d.m) +
         " n=" + std::to_string(d.n) + " k=" + std::to_string(d.k) + " alpha=" + std::to_string(alpha) +
         " beta=" + std::to_string(beta);
}

// Runs gemm and compares: interior within `bound` (0 for exact), padding of C untouched.
template <typename T>
void check(Problem<T>& p, T alpha, T beta, bool exact, const std::string& what) {
  std::vector<long double> want, bound;
  naive(p, alpha, beta, want, bound);
  run(p, alpha, beta);
  int bad = 0;
  for (int64_t i = 0; i < p.m && bad < 5; ++i) {
    for (int64_t j = 0; j < p.n && bad < 5; ++j) {
      const long double got = p.c[i * p.ldc + j], w = want[i * p.n + j];
      const bool ok = exact ? got == w : std::fabs(got - w) <= bound[i * p.n + j];
      if (!ok) {
        ++bad;
        ADD_FAILURE() << what << ": C(" << i << "," << j << ") = " << static_cast<double>(got)
                      << ", want " << static_cast<double>(w) << " (bound "
                      << (exact ? 0.0 : static_cast<double>(bound[i * p.n + j])) << ")";
      }
    }
    for (int64_t j = p.n; j < p.ldc; ++j) {
      if (p.c[i * p.ldc + j] != Problem<T>::kSentinel) {
        ++bad;
        ADD_FAILURE() << what << ": padding C(" << i << "," << j << ") was written";
      }
    }
  }
}

template <typename T>
class BlasGemm : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(BlasGemm, Types);

// Small integers with power-of-two alpha and beta: every product and partial sum is an integer or
// a power-of-two fraction below 2^24, so any summation order gives the exact result and the
// comparison is equality.
TYPED_TEST(BlasGemm, SmallIntegersAreExact) {
  using T = TypeParam;
  const T alphas[] = {T(1), T(-2), T(0.5)};
  const T betas[] = {T(0), T(1), T(-1), T(0.25)};
  auto small_int = [](std::mt19937_64& rng) { return T(static_cast<int>(rng() % 7) - 3); };
  uint64_t seed = 1;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (const Dims& d : kDims)
        for (T alpha : alphas)
          for (T beta : betas) {
            Problem<T> p = make_problem<T>(ta, tb, d, seed++, small_int);
            check(p, alpha, beta, /*exact=*/true, label(ta, tb, d, alpha, beta));
          }
}

// Real-valued inputs in [-1, 1) and general alpha/beta, within the derived rounding bound; the
// reference must not be all zeros (else the comparison proves nothing).
TYPED_TEST(BlasGemm, RandomRealsWithinTheRoundingBound) {
  using T = TypeParam;
  const T ab[][2] = {{T(1), T(0)}, {T(0.7), T(-1.3)}, {T(-1.9), T(1)}, {T(1), T(0.35)}};
  auto uniform = [](std::mt19937_64& rng) { return T(std::uniform_real_distribution<double>(-1, 1)(rng)); };
  uint64_t seed = 100;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (const Dims& d : kDims)
        for (const auto& x : ab) {
          Problem<T> p = make_problem<T>(ta, tb, d, seed++, uniform);
          std::vector<long double> want, bound;
          naive(p, x[0], x[1], want, bound);
          long double peak = 0;
          for (long double w : want) peak = std::max(peak, std::fabs(w));
          ASSERT_GT(peak, 0.0L) << label(ta, tb, d, x[0], x[1]);
          check(p, x[0], x[1], /*exact=*/false, label(ta, tb, d, x[0], x[1]));
        }
}

// beta == 0: C is written, never read, so NaN in C must not survive. With beta != 0 it must
// propagate (C is read), which shows the NaNs were really there.
TYPED_TEST(BlasGemm, BetaZeroDoesNotReadC) {
  using T = TypeParam;
  auto uniform = [](std::mt19937_64& rng) { return T(std::uniform_real_distribution<double>(-1, 1)(rng)); };
  uint64_t seed = 500;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (const Dims& d : kDims) {
        for (T alpha : {T(1), T(-0.6)}) {
          Problem<T> p = make_problem<T>(ta, tb, d, seed++, uniform, /*c_nan=*/true);
          check(p, alpha, T(0), /*exact=*/false, "NaN C, " + label(ta, tb, d, alpha, 0));
        }
        Problem<T> q = make_problem<T>(ta, tb, d, seed++, uniform, /*c_nan=*/true);
        run(q, T(1), T(0.5));
        EXPECT_TRUE(std::isnan(q.c[0])) << "NaN C with beta=0.5 should stay NaN, " << label(ta, tb, d, 1, 0.5);
      }
}

// k == 0 (an empty product): C = beta * C for any alpha, including beta == 0 over NaN.
TYPED_TEST(BlasGemm, EmptyProductScalesC) {
  using T = TypeParam;
  auto small_int = [](std::mt19937_64& rng) { return T(static_cast<int>(rng() % 7) - 3); };
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (T beta : {T(0), T(1), T(-0.5)}) {
        Problem<T> p = make_problem<T>(ta, tb, Dims{5, 9, 0}, 7, small_int, /*c_nan=*/beta == T(0));
        check(p, T(2), beta, /*exact=*/true, label(ta, tb, Dims{5, 9, 0}, 2, beta));
      }
}

// alpha == 0: A and B are not read (NaN there must not reach C); C = beta * C, or 0 when beta == 0.
TYPED_TEST(BlasGemm, AlphaZeroDoesNotReadAOrB) {
  using T = TypeParam;
  uint64_t seed = 700;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (const Dims& d : kDims)
        for (T beta : {T(0), T(1), T(-0.5)}) {
          Problem<T> p = make_problem<T>(ta, tb, d, seed++, [](std::mt19937_64& rng) {
            return T(static_cast<int>(rng() % 7) - 3);
          });
          std::fill(p.a.begin(), p.a.end(), std::numeric_limits<T>::quiet_NaN());
          std::fill(p.b.begin(), p.b.end(), std::numeric_limits<T>::quiet_NaN());
          // naive() would multiply the NaNs by alpha = 0: the expected C is beta * C, computed here.
          std::vector<T> want(p.c);
          for (int64_t i = 0; i < p.m; ++i)
            for (int64_t j = 0; j < p.n; ++j) want[i * p.ldc + j] = beta == T(0) ? T(0) : beta * p.c[i * p.ldc + j];
          run(p, T(0), beta);
          EXPECT_EQ(p.c, want) << label(ta, tb, d, 0, beta);
        }
}

// Callers parallelise over independent GEMMs themselves (one per sample, one per output
// position): calls from inside a parallel region must give the same results as the naive loop.
TYPED_TEST(BlasGemm, CallsFromInsideAParallelRegion) {
  using T = TypeParam;
  auto uniform = [](std::mt19937_64& rng) { return T(std::uniform_real_distribution<double>(-1, 1)(rng)); };
  constexpr int kProblems = 8;
  std::vector<Problem<T>> ps;
  std::vector<std::vector<long double>> want(kProblems), bound(kProblems);
  for (int i = 0; i < kProblems; ++i) {
    ps.push_back(make_problem<T>(i % 2 == 1, i % 4 >= 2, Dims{65, 257, 129}, 900 + i, uniform));
    naive(ps[i], T(0.9), T(-0.4), want[i], bound[i]);
  }
#pragma omp parallel for schedule(static, 1)
  for (int i = 0; i < kProblems; ++i) run(ps[i], T(0.9), T(-0.4));
  for (int i = 0; i < kProblems; ++i) {
    const Problem<T>& p = ps[i];
    int bad = 0;
    for (int64_t r = 0; r < p.m; ++r)
      for (int64_t j = 0; j < p.n; ++j)
        bad += !(std::fabs(p.c[r * p.ldc + j] - want[i][r * p.n + j]) <= bound[i][r * p.n + j]);
    EXPECT_EQ(bad, 0) << "problem " << i << " (trans_a=" << p.ta << ", trans_b=" << p.tb << ")";
  }
}

TEST(BlasGemmShapes, BadExtentsAndStridesThrow) {
  std::vector<float> a(64, 1.0f), b(64, 1.0f), c(64, 0.0f);
  // Negative extents.
  EXPECT_THROW(gemm<float>(false, false, -1, 2, 2, 1.0f, a.data(), 2, b.data(), 2, 0.0f, c.data(), 2), ShapeError);
  EXPECT_THROW(gemm<float>(false, false, 2, 2, -3, 1.0f, a.data(), 2, b.data(), 2, 0.0f, c.data(), 2), ShapeError);
  // A stored (m,k) = (4,3) needs lda >= 3; transposed it is (k,m) = (3,4) and needs lda >= 4.
  EXPECT_THROW(gemm<float>(false, false, 4, 2, 3, 1.0f, a.data(), 2, b.data(), 2, 0.0f, c.data(), 2), ShapeError);
  EXPECT_THROW(gemm<float>(true, false, 4, 2, 3, 1.0f, a.data(), 3, b.data(), 2, 0.0f, c.data(), 2), ShapeError);
  // B stored (k,n) = (3,2) needs ldb >= 2; transposed (n,k) = (2,3) needs ldb >= 3.
  EXPECT_THROW(gemm<double>(false, true, 4, 2, 3, 1.0, nullptr, 3, nullptr, 2, 0.0, nullptr, 2), ShapeError);
  // C (4,5) needs ldc >= 5.
  EXPECT_THROW(gemm<float>(false, false, 4, 5, 3, 1.0f, a.data(), 3, b.data(), 5, 0.0f, c.data(), 4), ShapeError);
  // The same shapes with valid strides do not throw.
  EXPECT_NO_THROW(gemm<float>(true, true, 4, 5, 3, 1.0f, a.data(), 4, b.data(), 3, 0.0f, c.data(), 5));
}

}  // namespace
}  // namespace gd
