// Inverted dropout: the mask follows its Philox definition element by element, keeps the right
// fraction, is reproducible from (seed, stream, step) and changes with each of them; scaling,
// p == 0, the gradient with the mask fixed, and parameter validation.
#include "engine/ops/dropout.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/philox.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

DropoutParams params(float p, uint64_t seed = 1234, uint32_t stream = 3, uint64_t step = 17) {
  DropoutParams d;
  d.p = p;
  d.seed = seed;
  d.stream = stream;
  d.step = step;
  return d;
}

// Mask of n elements read off the forward pass on an all-ones input.
std::vector<bool> mask_of(const DropoutParams& d, int64_t n) {
  const std::vector<float> ones(n, 1.0f);
  std::vector<float> y(n);
  dropout_forward_ref<float>(d, n, ones.data(), y.data());
  std::vector<bool> m(n);
  for (int64_t i = 0; i < n; ++i) m[i] = y[i] != 0.0f;
  return m;
}

// Hand case: with p = 1/2 the scale is exactly 2, and element e is kept iff its Philox uniform
// (the contract's definition, evaluated here directly) is >= 1/2.
TEST(Dropout, SmallCaseFollowsTheContractDefinition) {
  const DropoutParams d = params(0.5f);
  const std::vector<double> x = {1.0, -2.0, 3.5, 0.25, -1.0, 8.0, 0.5};  // 7: not a multiple of 4
  std::vector<double> y(x.size());
  dropout_forward_ref<double>(d, 7, x.data(), y.data());
  int kept = 0;
  for (size_t e = 0; e < x.size(); ++e) {
    const bool keep = philox_uniform(d.seed, d.stream, d.step, e) >= 0.5f;
    EXPECT_EQ(dropout_keep(d, e), keep);
    EXPECT_EQ(y[e], keep ? 2.0 * x[e] : 0.0) << "element " << e;
    kept += keep;
  }
  // Guard: the case exercises both branches (otherwise try another seed).
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, 7);
}

// Every element, across Philox block boundaries, through the multithreaded path and the tail, for
// rates where p * 2^24 is and is not an integer (the forward compares integers; dropout_keep floats).
TEST(Dropout, ForwardAgreesWithDropoutKeepEverywhere) {
  const float rates[] = {0.3f, 0.5f, 0.1f, 0.9f, 1e-7f, std::nextafter(1.0f, 0.0f)};
  for (float p : rates) {
    for (int64_t n : {int64_t{1}, int64_t{5}, int64_t{1001}, int64_t{200003}}) {
      const DropoutParams d = params(p, 99, 1, 5);
      const std::vector<bool> m = mask_of(d, n);
      int64_t mismatches = 0;
      for (int64_t e = 0; e < n; ++e) mismatches += m[e] != dropout_keep(d, e);
      EXPECT_EQ(mismatches, 0) << "p=" << p << " n=" << n;
    }
  }
}

// The keep test is u >= p exactly: with p equal to an element's own uniform u the element is kept,
// with p one float above u it is dropped (each of 37 elements, across block boundaries).
TEST(Dropout, KeepBoundaryIsInclusive) {
  const int64_t n = 37;
  const std::vector<double> x(n, 1.0);
  std::vector<double> y(n);
  int checked = 0;
  for (int64_t e = 0; e < n; ++e) {
    DropoutParams d = params(0.5f, 8, 2, 3);
    const float u = philox_uniform(d.seed, d.stream, d.step, e);
    if (u == 0.0f) continue;  // p = u = 0 takes the copy path; nothing to test at this element
    d.p = u;
    dropout_forward_ref<double>(d, n, x.data(), y.data());
    EXPECT_NE(y[e], 0.0) << "element " << e << " with p == its uniform " << u;
    d.p = std::nextafter(u, 1.0f);
    if (d.p >= 1.0f) continue;
    dropout_forward_ref<double>(d, n, x.data(), y.data());
    EXPECT_EQ(y[e], 0.0) << "element " << e << " with p just above its uniform " << u;
    ++checked;
  }
  EXPECT_GT(checked, 30);
}

TEST(Dropout, KeptFractionIsWithinSixSigma) {
  const int64_t n = 1000000;
  for (float p : {0.1f, 0.5f, 0.9f}) {
    const std::vector<bool> m = mask_of(params(p, 7, 2, 0), n);
    int64_t kept = 0;
    for (bool b : m) kept += b;
    // Kept count is Binomial(n, 1-p): the fraction has sd sqrt(p(1-p)/n).
    const double sigma = std::sqrt(p * (1.0 - p) / n);
    EXPECT_NEAR(static_cast<double>(kept) / n, 1.0 - p, 6 * sigma) << "p=" << p;
  }
}

TEST(Dropout, MaskIsReproducibleAndSharedWithBackward) {
  const int64_t n = 4099;
  const DropoutParams d = params(0.4f);
  const std::vector<float> x = test::to_float(test::random_vector(n, 1));
  std::vector<float> y1(n), y2(n), dx(n);
  dropout_forward_ref<float>(d, n, x.data(), y1.data());
  dropout_forward_ref<float>(d, n, x.data(), y2.data());
  EXPECT_EQ(y1, y2);
  // Backward of the same input as dy must reproduce the forward exactly (same mask, same scale).
  dropout_backward_ref<float>(d, n, x.data(), dx.data());
  EXPECT_EQ(dx, y1);
}

// Independent masks disagree on a fraction 2p(1-p) of elements (1/2 at p = 1/2): check that each
// of step, stream and seed yields a fresh mask, within 6 sigma of that fraction.
TEST(Dropout, MaskChangesWithStepStreamAndSeed) {
  const int64_t n = 100000;
  const DropoutParams base = params(0.5f, 1234, 3, 17);
  const std::vector<bool> m0 = mask_of(base, n);
  const DropoutParams variants[] = {params(0.5f, 1234, 3, 18), params(0.5f, 1234, 4, 17),
                                    params(0.5f, 1235, 3, 17),
                                    params(0.5f, 1234, 3, 17 + (uint64_t{1} << 32))};
  const double sigma = std::sqrt(0.25 / n);
  for (const DropoutParams& v : variants) {
    const std::vector<bool> m = mask_of(v, n);
    int64_t differ = 0;
    for (int64_t e = 0; e < n; ++e) differ += m[e] != m0[e];
    EXPECT_NEAR(static_cast<double>(differ) / n, 0.5, 6 * sigma)
        << "seed " << v.seed << " stream " << v.stream << " step " << v.step;
  }
}

// Kept values are x * 1/(1-p): exact powers of two for p = 1/2 and 3/4; for other p the scale is
// 1/(1-p) rounded once to the element type (engine/ref/dropout_ref.cpp), so y == x * that scale.
TEST(Dropout, ScalingIsExact) {
  const int64_t n = 1000;
  const std::vector<double> xd = test::random_vector(n, 4);
  const std::vector<float> xf = test::to_float(xd);
  for (float p : {0.5f, 0.75f, 0.3f}) {
    const DropoutParams d = params(p);
    std::vector<float> yf(n);
    std::vector<double> yd(n);
    dropout_forward_ref<float>(d, n, xf.data(), yf.data());
    dropout_forward_ref<double>(d, n, xd.data(), yd.data());
    const double scale_d = 1.0 / (1.0 - static_cast<double>(p));
    const float scale_f = static_cast<float>(scale_d);
    if (p == 0.5f) {
      EXPECT_EQ(scale_f, 2.0f);
    }
    if (p == 0.75f) {
      EXPECT_EQ(scale_f, 4.0f);
    }
    for (int64_t i = 0; i < n; ++i) {
      const bool keep = dropout_keep(d, i);
      ASSERT_EQ(yf[i], keep ? xf[i] * scale_f : 0.0f) << "p=" << p << " i=" << i;
      ASSERT_EQ(yd[i], keep ? xd[i] * scale_d : 0.0) << "p=" << p << " i=" << i;
    }
  }
}

TEST(Dropout, ZeroRateIsIdentity) {
  const int64_t n = 333;
  const std::vector<float> x = test::to_float(test::random_vector(n, 2));
  std::vector<float> y(n, std::nanf("")), dx(n, std::nanf(""));
  dropout_forward_ref<float>(params(0.0f), n, x.data(), y.data());
  dropout_backward_ref<float>(params(0.0f), n, x.data(), dx.data());
  EXPECT_EQ(y, x);
  EXPECT_EQ(dx, x);
}

TEST(Dropout, InPlaceMatchesOutOfPlace) {
  const int64_t n = 1027;
  const DropoutParams d = params(0.2f);
  const std::vector<float> x = test::to_float(test::random_vector(n, 3));
  std::vector<float> y(n), z = x;
  dropout_forward_ref<float>(d, n, x.data(), y.data());
  dropout_forward_ref<float>(d, n, z.data(), z.data());
  EXPECT_EQ(z, y);
}

// f(x) = dot(R, dropout(x)) with the mask fixed by (seed, stream, step); gradient = backward(R).
TEST(Dropout, GradientMatchesFiniteDifferencesInDouble) {
  for (size_t n : {size_t{1}, size_t{5}, size_t{37}, size_t{1000}}) {
    const DropoutParams d = params(0.35f, 5, 0, n);
    std::vector<double> x = test::random_vector(n, 10 + n);
    const std::vector<double> r = test::random_vector(n, 20 + n);
    std::vector<double> analytic(n, std::nan(""));
    dropout_backward_ref<double>(d, n, r.data(), analytic.data());
    std::vector<double> y(n);
    auto f = [&] {
      dropout_forward_ref<double>(d, n, x.data(), y.data());
      double s = 0.0;
      for (size_t i = 0; i < n; ++i) s += r[i] * y[i];
      return s;
    };
    // The op is linear: central differences are exact up to rounding ~1e-16 * |f| / h ~ 1e-9.
    EXPECT_LT(test::max_gradient_error(x, f, analytic), 1e-6) << "n=" << n;
  }
}

TEST(Dropout, RateOutsideUnitIntervalThrowsNamingIt) {
  float x = 1.0f, y = 0.0f;
  for (float p : {-0.1f, 1.0f, 1.5f, std::numeric_limits<float>::quiet_NaN()}) {
    EXPECT_THROW(dropout_forward_ref<float>(params(p), 1, &x, &y), ConfigError) << "p=" << p;
    EXPECT_THROW(dropout_backward_ref<float>(params(p), 1, &x, &y), ConfigError) << "p=" << p;
  }
  try {
    dropout_forward_ref<float>(params(1.5f), 1, &x, &y);
    ADD_FAILURE() << "p = 1.5 was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("1.5"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gd
