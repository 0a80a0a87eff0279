// Conv2d reference (im2col + GEMM): hand-computed cases, naive-loop comparison on awkward shapes,
// finite-difference gradients, float vs double on a real layer, nullptr skips, determinism, shape
// validation.
#include "engine/ops/conv2d.h"

#include <gtest/gtest.h>
#include <omp.h>

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

int64_t x_size(const Conv2dShape& s) { return s.n * s.c * s.h * s.w; }
int64_t w_size(const Conv2dShape& s) { return s.f * s.c * s.kh * s.kw; }
int64_t y_size(const Conv2dShape& s) { return s.n * s.f * s.oh() * s.ow(); }

template <typename T>
std::vector<T> forward(const Conv2dShape& s, const std::vector<T>& x, const std::vector<T>& w,
                       const std::vector<T>& b) {
  std::vector<T> y = nans<T>(y_size(s)), ws = nans<T>(conv2d_workspace_elems(s));
  conv2d_forward_ref(s, x.data(), w.data(), b.data(), y.data(), ws.data());
  return y;
}
template <typename T>
struct Grads {
  std::vector<T> dx, dw, db;
};
template <typename T>
Grads<T> backward(const Conv2dShape& s, const std::vector<T>& x, const std::vector<T>& w,
                  const std::vector<T>& dy, bool with_dx = true, bool with_db = true) {
  Grads<T> g{nans<T>(x_size(s)), nans<T>(w_size(s)), nans<T>(s.f)};
  std::vector<T> ws = nans<T>(conv2d_workspace_elems(s));
  conv2d_backward_ref(s, x.data(), w.data(), dy.data(), with_dx ? g.dx.data() : nullptr,
                      g.dw.data(), with_db ? g.db.data() : nullptr, ws.data());
  return g;
}

// Direct loops in double over every (output, kernel tap) pair; forward and all three gradients.
void naive(const Conv2dShape& s, const Vec& x, const Vec& w, const Vec& b, const Vec& dy, Vec& y,
           Vec& dx, Vec& dw, Vec& db) {
  y.assign(y_size(s), 0.0);
  dx.assign(x_size(s), 0.0);
  dw.assign(w_size(s), 0.0);
  db.assign(s.f, 0.0);
  const int64_t oh = s.oh(), ow = s.ow();
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t f = 0; f < s.f; ++f)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          const int64_t yi = ((n * s.f + f) * oh + oy) * ow + ox;
          double acc = b[f];
          db[f] += dy[yi];
          for (int64_t c = 0; c < s.c; ++c)
            for (int64_t i = 0; i < s.kh; ++i)
              for (int64_t j = 0; j < s.kw; ++j) {
                const int64_t iy = oy * s.stride - s.pad + i, ix = ox * s.stride - s.pad + j;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                const int64_t xi = ((n * s.c + c) * s.h + iy) * s.w + ix;
                const int64_t wi = ((f * s.c + c) * s.kh + i) * s.kw + j;
                acc += x[xi] * w[wi];
                dx[xi] += dy[yi] * w[wi];
                dw[wi] += dy[yi] * x[xi];
              }
          y[yi] = acc;
        }
}

TEST(Conv2dRef, HandComputed) {
  // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[0,-1]], b = 1, stride 1, pad 0:
  //   y[oy,ox] = x[oy,ox] + 2 x[oy,ox+1] - x[oy+1,ox+1] + 1 = [[1,3],[7,9]]
  // dy = ones: db = 4; dw[i,j] = sum of the 2x2 window of x at offset (i,j) = [[12,16],[24,28]];
  //   dx[y,x] = sum of the taps w[i,j] whose window covers (y,x) = [[1,3,2],[1,2,1],[0,-1,-1]]
  const Conv2dShape s{1, 1, 3, 3, 1, 2, 2, 1, 0};
  const std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8, 9}, w{1, 2, 0, -1}, b{1}, dy{1, 1, 1, 1};
  EXPECT_EQ(forward(s, x, w, b), (std::vector<float>{1, 3, 7, 9}));
  const Grads<float> g = backward(s, x, w, dy);
  EXPECT_EQ(g.db, std::vector<float>{4});
  EXPECT_EQ(g.dw, (std::vector<float>{12, 16, 24, 28}));
  EXPECT_EQ(g.dx, (std::vector<float>{1, 3, 2, 1, 2, 1, 0, -1, -1}));
  // Same x, w, b with stride 2, pad 1 (OH = OW = (3+2-2)/2+1 = 2); windows start at -1 and 1:
  //   y[0,0] = -x[0,0] + 1 = 0;            y[0,1] = 0*x[0,1] - x[0,2] + 1 = -2
  //   y[1,0] = 2 x[1,0] - x[2,0] + 1 = 2;  y[1,1] = x11 + 2 x12 - x22 + 1 = 5 + 12 - 9 + 1 = 9
  const Conv2dShape s2{1, 1, 3, 3, 1, 2, 2, 2, 1};
  EXPECT_EQ(forward(s2, x, w, b), (std::vector<float>{0, -2, 2, 9}));
}

// (n, c, h, w, f, kh, kw, stride, pad): odd sizes, non-square inputs and kernels, stride 1/2/3,
// pad 0/1/2, batch 1 and 5, 1x1 kernels (the no-im2col path and a strided one), a kernel larger
// than the unpadded input.
const Conv2dShape kShapes[] = {
    {1, 1, 5, 5, 1, 3, 3, 1, 0},   {5, 3, 7, 9, 4, 3, 3, 1, 1}, {2, 2, 8, 7, 3, 3, 2, 2, 0},
    {5, 3, 11, 10, 2, 5, 5, 3, 2}, {3, 4, 6, 5, 5, 1, 1, 1, 0}, {2, 3, 7, 7, 2, 1, 1, 2, 0},
    {1, 2, 9, 13, 3, 4, 3, 2, 1},  {2, 3, 4, 4, 2, 4, 4, 1, 2}, {1, 1, 3, 3, 1, 5, 5, 1, 1},
};

TEST(Conv2dRef, MatchesNaiveLoopsOnAwkwardShapes) {
  uint64_t seed = 1;
  for (const Conv2dShape& s : kShapes) {
    SCOPED_TRACE(testing::Message() << "shape index " << (&s - kShapes));
    const Vec x = random_vector(x_size(s), seed++), w = random_vector(w_size(s), seed++);
    const Vec b = random_vector(s.f, seed++), dy = random_vector(y_size(s), seed++);
    Vec y, dx, dw, db;
    naive(s, x, w, b, dy, y, dx, dw, db);
    const Grads<double> g = backward(s, x, w, dy);
    expect_close(forward(s, x, w, b), y, double_bound(w_size(s) / s.f), "y");
    expect_close(g.dx, dx, double_bound(w_size(s) / s.c), "dx");
    expect_close(g.dw, dw, double_bound(y_size(s) / s.f), "dw");
    expect_close(g.db, db, double_bound(y_size(s) / s.f), "db");
  }
}

TEST(Conv2dRef, GradientsMatchFiniteDifferences) {
  // f = dot(R, y) is linear in each single parameter, so central differences carry no truncation
  // error; what remains is rounding of f (|f| < 1e2) divided by h = 1e-6: ~1e-16*1e2/1e-6 = 1e-8.
  const double kTol = 1e-6;
  const Conv2dShape shapes[] = {{1, 1, 4, 4, 1, 3, 3, 1, 0},
                                {2, 2, 5, 6, 3, 3, 2, 2, 1},
                                {1, 3, 5, 5, 2, 1, 1, 1, 0},
                                {2, 1, 7, 5, 2, 3, 3, 3, 2}};
  uint64_t seed = 100;
  for (const Conv2dShape& s : shapes) {
    SCOPED_TRACE(testing::Message() << "shape index " << (&s - shapes));
    Vec x = random_vector(x_size(s), seed++), w = random_vector(w_size(s), seed++);
    Vec b = random_vector(s.f, seed++);
    const Vec r = random_vector(y_size(s), seed++);
    auto f = [&] {
      const Vec y = forward(s, x, w, b);
      double acc = 0;
      for (size_t i = 0; i < y.size(); ++i) acc += r[i] * y[i];
      return acc;
    };
    const Grads<double> g = backward(s, x, w, r);
    EXPECT_LT(test::max_gradient_error(x, f, g.dx), kTol);
    EXPECT_LT(test::max_gradient_error(w, f, g.dw), kTol);
    EXPECT_LT(test::max_gradient_error(b, f, g.db), kTol);
  }
}

TEST(Conv2dRef, FloatAgreesWithDoubleOnCnnLayer2) {
  const Conv2dShape s{128, 32, 26, 26, 64, 3, 3, 1, 0};
  // Inputs rounded to float once, so both precisions see identical values.
  const std::vector<float> xf = test::to_float(random_vector(x_size(s), 7));
  const std::vector<float> wf = test::to_float(random_vector(w_size(s), 8));
  const std::vector<float> bf = test::to_float(random_vector(s.f, 9));
  const std::vector<float> dyf = test::to_float(random_vector(y_size(s), 10));
  const Vec x(xf.begin(), xf.end()), w(wf.begin(), wf.end()), b(bf.begin(), bf.end());
  const Vec dy(dyf.begin(), dyf.end());
  const Grads<double> g = backward(s, x, w, dy);
  const Grads<float> gf = backward(s, xf, wf, dyf);
  const int64_t taps = s.c * s.kh * s.kw, per_filter = s.n * s.oh() * s.ow();
  expect_float_close(forward(s, xf, wf, bf), forward(s, x, w, b), taps, "y");
  expect_float_close(gf.dx, g.dx, s.f * s.kh * s.kw, "dx");
  expect_float_close(gf.dw, g.dw, per_filter, "dw");
  expect_float_close(gf.db, g.db, per_filter, "db");
}

TEST(Conv2dRef, NullDxAndDbAreSkippedAndResultsAreDeterministic) {
  const Conv2dShape s{6, 3, 9, 8, 4, 3, 3, 2, 1};
  const Vec x = random_vector(x_size(s), 1), w = random_vector(w_size(s), 2);
  const Vec dy = random_vector(y_size(s), 3);
  const Grads<double> full = backward(s, x, w, dy);
  const Grads<double> again = backward(s, x, w, dy);
  EXPECT_EQ(full.dx, again.dx);  // fixed thread count: bitwise identical
  EXPECT_EQ(full.dw, again.dw);
  const Grads<double> dw_only = backward(s, x, w, dy, /*with_dx=*/false, /*with_db=*/false);
  EXPECT_EQ(dw_only.dw, full.dw);
  EXPECT_TRUE(std::isnan(dw_only.dx[0]) && std::isnan(dw_only.db[0]));  // left untouched
}

// b == nullptr: no bias. The same values as a zero bias (== ignores the sign of a zero), and with a
// bias every output is exactly float(y(nullptr) + b[f]): the bias is one add after the GEMM, which
// the fused epilogue (engine/ops/bias_activation.h) relies on.
TEST(Conv2dRef, NullBiasIsSkippedAndTheBiasIsOneAddAfterTheProduct) {
  const Conv2dShape s{3, 5, 9, 8, 4, 3, 3, 1, 1};
  const auto x = test::random_floats(x_size(s), 1), w = test::random_floats(w_size(s), 2);
  const auto b = test::random_floats(s.f, 3);
  const std::vector<float> zeros(s.f, 0.0f);
  auto run = [&](const float* bias) {
    std::vector<float> y = nans<float>(y_size(s)), ws = nans<float>(conv2d_workspace_elems(s));
    conv2d_forward_ref<float>(s, x.data(), w.data(), bias, y.data(), ws.data());
    return y;
  };
  const std::vector<float> y0 = run(nullptr), yz = run(zeros.data()), yb = run(b.data());
  test::expect_finite_nonzero(y0, "y without bias");
  EXPECT_EQ(y0, yz);
  const int64_t ohw = s.oh() * s.ow();
  for (int64_t i = 0; i < y_size(s); ++i)
    ASSERT_EQ(yb[i], y0[i] + b[(i / ohw) % s.f]) << "at " << i;
}

TEST(Conv2dRef, WorkspaceSizedEarlierStaysValidWhenThreadCountRises) {
  // Large enough (> 2^18 multiply-adds) to take the parallel path.
  const Conv2dShape s{7, 3, 20, 20, 4, 3, 3, 1, 1};
  const size_t before = conv2d_workspace_elems(s);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(saved + 3);
  EXPECT_EQ(conv2d_workspace_elems(s), before);
  const Vec x = random_vector(x_size(s), 31), w = random_vector(w_size(s), 32);
  const Vec b = random_vector(s.f, 33), dy = random_vector(y_size(s), 34);
  Vec y, dx, dw, db;
  naive(s, x, w, b, dy, y, dx, dw, db);
  const Vec y_more = forward(s, x, w, b);
  const Grads<double> g = backward(s, x, w, dy);
  omp_set_num_threads(saved);
  expect_close(y_more, y, double_bound(w_size(s) / s.f), "y");
  expect_close(g.dx, dx, double_bound(w_size(s) / s.c), "dx");
  expect_close(g.dw, dw, double_bound(y_size(s) / s.f), "dw");
}

TEST(Conv2dRef, RejectsBadShapes) {
  // (n, c, h, w, f, kh, kw, stride, pad)
  const Conv2dShape bad[] = {
      {0, 1, 5, 5, 1, 3, 3, 1, 0},  {1, 0, 5, 5, 1, 3, 3, 1, 0}, {1, 1, 0, 5, 1, 1, 1, 1, 0},
      {1, 1, 5, 5, 0, 3, 3, 1, 0},  {1, 1, 5, 5, 1, 0, 3, 1, 0}, {1, 1, 5, 5, 1, 3, 3, 0, 0},
      {1, 1, 5, 5, 1, 3, 3, 1, -1}, {1, 1, 3, 3, 1, 6, 3, 1, 1},  // 6 > 3 + 2*1
      {1, 1, 4, 3, 1, 2, 4, 1, 0},                                // kw 4 > w 3
  };
  float buf[64] = {};
  for (const Conv2dShape& s : bad) {
    SCOPED_TRACE(testing::Message() << "shape index " << (&s - bad));
    EXPECT_THROW(s.validate(), ShapeError);
    EXPECT_THROW(conv2d_workspace_elems(s), ShapeError);
    EXPECT_THROW(conv2d_forward_ref(s, buf, buf, buf, buf, buf), ShapeError);
    EXPECT_THROW(conv2d_backward_ref(s, buf, buf, buf, buf, buf, buf, buf), ShapeError);
  }
  EXPECT_NO_THROW((Conv2dShape{1, 1, 3, 3, 1, 5, 5, 1, 1}.validate()));  // exactly fits the padding
}

}  // namespace
}  // namespace gd
