// Dense layer reference: hand-computed case, naive-loop comparison, finite-difference gradients,
// float vs double, nullptr skips, shape validation.
#include "engine/ops/dense.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/core/error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

using test::double_bound;
using test::expect_close;
using test::expect_float_close;
using test::nans;

using test::random_vector;
using Vec = std::vector<double>;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// Naive loops, double: y = x w^T + b and its three gradients.
void naive_forward(const DenseShape& s, const Vec& x, const Vec& w, const Vec& b, Vec& y) {
  y.assign(s.n * s.m, 0.0);
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t m = 0; m < s.m; ++m) {
      double acc = b[m];
      for (int64_t k = 0; k < s.k; ++k) acc += x[n * s.k + k] * w[m * s.k + k];
      y[n * s.m + m] = acc;
    }
}
void naive_backward(const DenseShape& s, const Vec& x, const Vec& w, const Vec& dy, Vec& dx,
                    Vec& dw, Vec& db) {
  dx.assign(s.n * s.k, 0.0);
  dw.assign(s.m * s.k, 0.0);
  db.assign(s.m, 0.0);
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t m = 0; m < s.m; ++m) {
      const double g = dy[n * s.m + m];
      db[m] += g;
      for (int64_t k = 0; k < s.k; ++k) {
        dx[n * s.k + k] += g * w[m * s.k + k];
        dw[m * s.k + k] += g * x[n * s.k + k];
      }
    }
}

TEST(DenseRef, HandComputed) {
  // x = [[1,2,3],[0,-1,2]], w = [[1,0,-1],[2,1,0]], b = [10,-5]
  //   y[0] = [1-3+10, 2+2-5] = [8,-1];  y[1] = [-2+10, -1-5] = [8,-6]
  // dy = [[1,2],[-1,1]]:
  //   dx[0] = 1*w0 + 2*w1 = [5,2,-1];  dx[1] = -w0 + w1 = [1,1,1]
  //   dw[0] = 1*x0 - 1*x1 = [1,3,1];   dw[1] = 2*x0 + 1*x1 = [2,3,8];  db = [0,3]
  const DenseShape s{2, 3, 2};
  const std::vector<float> x{1, 2, 3, 0, -1, 2}, w{1, 0, -1, 2, 1, 0}, b{10, -5}, dy{1, 2, -1, 1};
  std::vector<float> y(4), dx(6, NAN), dw(6, NAN), db(2, NAN);
  dense_forward_ref(s, x.data(), w.data(), b.data(), y.data());
  EXPECT_EQ(y, (std::vector<float>{8, -1, 8, -6}));
  dense_backward_ref(s, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data());
  EXPECT_EQ(dx, (std::vector<float>{5, 2, -1, 1, 1, 1}));
  EXPECT_EQ(dw, (std::vector<float>{1, 3, 1, 2, 3, 8}));
  EXPECT_EQ(db, (std::vector<float>{0, 3}));
}

TEST(DenseRef, MatchesNaiveLoopsOnAwkwardShapes) {
  const DenseShape shapes[] = {{1, 1, 1}, {5, 7, 3}, {3, 17, 33}, {33, 65, 9}, {1, 129, 2}};
  uint64_t seed = 1;
  for (const DenseShape& s : shapes) {
    SCOPED_TRACE(testing::Message() << "n=" << s.n << " k=" << s.k << " m=" << s.m);
    const Vec x = random_vector(s.n * s.k, seed++), w = random_vector(s.m * s.k, seed++);
    const Vec b = random_vector(s.m, seed++), dy = random_vector(s.n * s.m, seed++);
    Vec y_ref, dx_ref, dw_ref, db_ref;
    naive_forward(s, x, w, b, y_ref);
    naive_backward(s, x, w, dy, dx_ref, dw_ref, db_ref);
    // Outputs start as NaN: every element must be overwritten, never accumulated into.
    Vec y(y_ref.size(), kNaN), dx(dx_ref.size(), kNaN), dw(dw_ref.size(), kNaN), db(s.m, kNaN);
    dense_forward_ref(s, x.data(), w.data(), b.data(), y.data());
    dense_backward_ref(s, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data());
    expect_close(y, y_ref, double_bound(s.k), "y");
    expect_close(dx, dx_ref, double_bound(s.m), "dx");
    expect_close(dw, dw_ref, double_bound(s.n), "dw");
    expect_close(db, db_ref, double_bound(s.n), "db");
  }
}

TEST(DenseRef, GradientsMatchFiniteDifferences) {
  // f = dot(R, y) is linear in each single parameter, so central differences carry no truncation
  // error; what remains is rounding of f (|f| < 1e2) divided by h = 1e-6: ~1e-16*1e2/1e-6 = 1e-8.
  const double kTol = 1e-6;
  const DenseShape shapes[] = {{1, 1, 1}, {3, 5, 4}, {4, 9, 7}};
  uint64_t seed = 100;
  for (const DenseShape& s : shapes) {
    SCOPED_TRACE(testing::Message() << "n=" << s.n << " k=" << s.k << " m=" << s.m);
    Vec x = random_vector(s.n * s.k, seed++), w = random_vector(s.m * s.k, seed++);
    Vec b = random_vector(s.m, seed++);
    const Vec r = random_vector(s.n * s.m, seed++);
    Vec y(s.n * s.m), dx(x.size()), dw(w.size()), db(b.size());
    auto f = [&] {
      dense_forward_ref(s, x.data(), w.data(), b.data(), y.data());
      double acc = 0;
      for (size_t i = 0; i < y.size(); ++i) acc += r[i] * y[i];
      return acc;
    };
    dense_backward_ref(s, x.data(), w.data(), r.data(), dx.data(), dw.data(), db.data());
    EXPECT_LT(test::max_gradient_error(x, f, dx), kTol);
    EXPECT_LT(test::max_gradient_error(w, f, dw), kTol);
    EXPECT_LT(test::max_gradient_error(b, f, db), kTol);
  }
}

TEST(DenseRef, FloatAgreesWithDoubleOnRealShape) {
  const DenseShape s{128, 784, 512};
  // Inputs rounded to float once, so both precisions see identical values.
  const std::vector<float> xf = test::to_float(random_vector(s.n * s.k, 7));
  const std::vector<float> wf = test::to_float(random_vector(s.m * s.k, 8));
  const std::vector<float> bf = test::to_float(random_vector(s.m, 9));
  const std::vector<float> dyf = test::to_float(random_vector(s.n * s.m, 10));
  const Vec x(xf.begin(), xf.end()), w(wf.begin(), wf.end()), b(bf.begin(), bf.end());
  const Vec dy(dyf.begin(), dyf.end());
  Vec y(s.n * s.m), dx(x.size()), dw(w.size()), db(s.m);
  std::vector<float> yf(y.size()), dxf(dx.size()), dwf(dw.size()), dbf(db.size());
  dense_forward_ref(s, x.data(), w.data(), b.data(), y.data());
  dense_forward_ref(s, xf.data(), wf.data(), bf.data(), yf.data());
  dense_backward_ref(s, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data());
  dense_backward_ref(s, xf.data(), wf.data(), dyf.data(), dxf.data(), dwf.data(), dbf.data());
  expect_float_close(yf, y, s.k, "y");
  expect_float_close(dxf, dx, s.m, "dx");
  expect_float_close(dwf, dw, s.n, "dw");
  expect_float_close(dbf, db, s.n, "db");
}

TEST(DenseRef, NullDxAndDbAreSkipped) {
  const DenseShape s{4, 6, 5};
  const Vec x = random_vector(s.n * s.k, 1), w = random_vector(s.m * s.k, 2);
  const Vec dy = random_vector(s.n * s.m, 3);
  Vec dx(x.size()), dw_full(w.size()), db(s.m), dw(w.size(), kNaN);
  dense_backward_ref(s, x.data(), w.data(), dy.data(), dx.data(), dw_full.data(), db.data());
  dense_backward_ref<double>(s, x.data(), w.data(), dy.data(), nullptr, dw.data(), nullptr);
  EXPECT_EQ(dw, dw_full);  // same GEMM on the same data: bitwise equal
}

// b == nullptr: no bias. The same values as a zero bias (== ignores the sign of a zero), and with a
// bias every output is exactly float(y(nullptr) + b): the bias is one add after the product, which
// the fused epilogue (engine/ops/bias_activation.h) relies on. K = 784 spans several BLAS k-panels
// (a bias folded into the GEMM's C would be rounded in between).
TEST(DenseRef, NullBiasIsSkippedAndTheBiasIsOneAddAfterTheProduct) {
  const DenseShape s{5, 784, 7};
  const auto x = test::random_floats(s.n * s.k, 1), w = test::random_floats(s.m * s.k, 2);
  const auto b = test::random_floats(s.m, 3);
  const std::vector<float> zeros(s.m, 0.0f);
  auto forward = [&](const float* bias) {
    std::vector<float> y = nans<float>(s.n * s.m);
    dense_forward_ref<float>(s, x.data(), w.data(), bias, y.data());
    return y;
  };
  const std::vector<float> y0 = forward(nullptr), yz = forward(zeros.data()), yb = forward(b.data());
  test::expect_finite_nonzero(y0, "y without bias");
  EXPECT_EQ(y0, yz);
  for (int64_t i = 0; i < s.n; ++i)
    for (int64_t j = 0; j < s.m; ++j)
      ASSERT_EQ(yb[i * s.m + j], y0[i * s.m + j] + b[j]) << "row " << i << " col " << j;
}

TEST(DenseRef, RejectsBadShapes) {
  EXPECT_THROW((DenseShape{0, 3, 4}.validate()), ShapeError);
  EXPECT_THROW((DenseShape{2, 0, 4}.validate()), ShapeError);
  EXPECT_THROW((DenseShape{2, 3, -1}.validate()), ShapeError);
  EXPECT_NO_THROW((DenseShape{1, 1, 1}.validate()));
  const DenseShape bad{2, 0, 4};
  float buf[16] = {};
  EXPECT_THROW(dense_forward_ref(bad, buf, buf, buf, buf), ShapeError);
  EXPECT_THROW(dense_backward_ref(bad, buf, buf, buf, buf, buf, buf), ShapeError);
}

}  // namespace
}  // namespace gd
