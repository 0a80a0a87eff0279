// Locally connected 2-d reference (one GEMM per output position): hand-computed cases, naive-loop
// comparison on awkward shapes, finite-difference gradients, float vs double on a real layer,
// nullptr skips, equality with conv2d when weights are tied, shape validation.
#include "engine/ops/lc2d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/core/error.h"
#include "engine/ops/conv2d.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

using test::double_bound;
using test::expect_close;
using test::expect_float_close;
using test::nans;

using test::random_vector;
using Vec = std::vector<double>;

int64_t x_size(const Lc2dShape& s) { return s.n * s.c * s.h * s.w; }
int64_t w_size(const Lc2dShape& s) { return s.positions() * s.f * s.receptive(); }
int64_t b_size(const Lc2dShape& s) { return s.f * s.positions(); }
int64_t y_size(const Lc2dShape& s) { return s.n * s.f * s.positions(); }

template <typename T>
std::vector<T> forward(const Lc2dShape& s, const std::vector<T>& x, const std::vector<T>& w,
                       const std::vector<T>& b) {
  std::vector<T> y = nans<T>(y_size(s)), ws = nans<T>(lc2d_workspace_elems(s));
  lc2d_forward_ref(s, x.data(), w.data(), b.data(), y.data(), ws.data());
  return y;
}
template <typename T>
struct Grads {
  std::vector<T> dx, dw, db;
};
template <typename T>
Grads<T> backward(const Lc2dShape& s, const std::vector<T>& x, const std::vector<T>& w,
                  const std::vector<T>& dy, bool with_dx = true, bool with_db = true) {
  Grads<T> g{nans<T>(x_size(s)), nans<T>(w_size(s)), nans<T>(b_size(s))};
  std::vector<T> ws = nans<T>(lc2d_workspace_elems(s));
  lc2d_backward_ref(s, x.data(), w.data(), dy.data(), with_dx ? g.dx.data() : nullptr, g.dw.data(),
                    with_db ? g.db.data() : nullptr, ws.data());
  return g;
}

// Direct loops in double straight from the contract in lc2d.h; forward and all three gradients.
void naive(const Lc2dShape& s, const Vec& x, const Vec& w, const Vec& b, const Vec& dy, Vec& y,
           Vec& dx, Vec& dw, Vec& db) {
  y.assign(y_size(s), 0.0);
  dx.assign(x_size(s), 0.0);
  dw.assign(w_size(s), 0.0);
  db.assign(b_size(s), 0.0);
  const int64_t P = s.positions(), R = s.receptive();
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t f = 0; f < s.f; ++f)
      for (int64_t p = 0; p < P; ++p) {
        const int64_t oy = p / s.ow(), ox = p % s.ow(), yi = (n * s.f + f) * P + p;
        double acc = b[f * P + p];
        db[f * P + p] += dy[yi];
        for (int64_t c = 0; c < s.c; ++c)
          for (int64_t i = 0; i < s.kh; ++i)
            for (int64_t j = 0; j < s.kw; ++j) {
              const int64_t iy = oy * s.stride - s.pad + i, ix = ox * s.stride - s.pad + j;
              if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
              const int64_t xi = ((n * s.c + c) * s.h + iy) * s.w + ix;
              const int64_t wi = (p * s.f + f) * R + (c * s.kh + i) * s.kw + j;
              acc += w[wi] * x[xi];
              dx[xi] += dy[yi] * w[wi];
              dw[wi] += dy[yi] * x[xi];
            }
        y[yi] = acc;
      }
}

TEST(Lc2dRef, HandComputed) {
  // x = [[1,2,3],[4,5,6],[7,8,9]], 2x2 kernel, stride 1, pad 0: P = 4 positions, R = 4.
  // w[p] is one-hot at r = p (position 0 reads the patch's top-left, 1 top-right, ...),
  // b = [0,10,20,30]:  y = [x00 + 0, x02 + 10, x20 + 20, x22 + 30] = [1,13,27,39]
  // dy = [1,2,3,4]: db = dy; dw[p] = dy[p] * patch(p):
  //   [1,2,4,5], 2*[2,3,5,6], 3*[4,5,7,8], 4*[5,6,8,9];  dx puts dy[p] on the pixel w[p] reads.
  const Lc2dShape s{1, 1, 3, 3, 1, 2, 2, 1, 0};
  const std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8, 9}, b{0, 10, 20, 30}, dy{1, 2, 3, 4};
  const std::vector<float> w{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  EXPECT_EQ(forward(s, x, w, b), (std::vector<float>{1, 13, 27, 39}));
  const Grads<float> g = backward(s, x, w, dy);
  EXPECT_EQ(g.db, dy);
  EXPECT_EQ(g.dw, (std::vector<float>{1, 2, 4, 5, 4, 6, 10, 12, 12, 15, 21, 24, 20, 24, 32, 36}));
  EXPECT_EQ(g.dx, (std::vector<float>{1, 0, 2, 0, 0, 0, 3, 0, 4}));
  // Stride 2, pad 1, all-ones weights, zero bias: each output is the sum of the in-image part of
  // its window (rows/cols starting at -1 and 1): [x00, x01+x02, x10+x20, x11+x12+x21+x22]
  const Lc2dShape s2{1, 1, 3, 3, 1, 2, 2, 2, 1};
  const std::vector<float> ones(16, 1.0f), zeros(4, 0.0f);
  EXPECT_EQ(forward(s2, x, ones, zeros), (std::vector<float>{1, 5, 11, 28}));
}

// (n, c, h, w, f, kh, kw, stride, pad): odd sizes, non-square inputs and kernels, stride 1/2/3,
// pad 0/1/2, batch 1 and 5, 1x1 kernels, a kernel larger than the unpadded input.
const Lc2dShape kShapes[] = {
    {1, 1, 5, 5, 1, 3, 3, 1, 0},   {5, 3, 7, 9, 4, 3, 3, 1, 1}, {2, 2, 8, 7, 3, 3, 2, 2, 0},
    {5, 3, 11, 10, 2, 5, 5, 3, 2}, {3, 4, 6, 5, 5, 1, 1, 1, 0}, {2, 3, 7, 7, 2, 1, 1, 2, 0},
    {1, 2, 9, 13, 3, 4, 3, 2, 1},  {2, 3, 4, 4, 2, 4, 4, 1, 2}, {1, 1, 3, 3, 1, 5, 5, 1, 1},
};

TEST(Lc2dRef, MatchesNaiveLoopsOnAwkwardShapes) {
  uint64_t seed = 1;
  for (const Lc2dShape& s : kShapes) {
    SCOPED_TRACE(testing::Message() << "shape index " << (&s - kShapes));
    const Vec x = random_vector(x_size(s), seed++), w = random_vector(w_size(s), seed++);
    const Vec b = random_vector(b_size(s), seed++), dy = random_vector(y_size(s), seed++);
    Vec y, dx, dw, db;
    naive(s, x, w, b, dy, y, dx, dw, db);
    const Grads<double> g = backward(s, x, w, dy);
    expect_close(forward(s, x, w, b), y, double_bound(s.receptive()), "y");
    expect_close(g.dx, dx, double_bound(s.f * s.kh * s.kw), "dx");
    expect_close(g.dw, dw, double_bound(s.n), "dw");
    expect_close(g.db, db, double_bound(s.n), "db");
  }
}

TEST(Lc2dRef, GradientsMatchFiniteDifferences) {
  // f = dot(R, y) is linear in each single parameter, so central differences carry no truncation
  // error; what remains is rounding of f (|f| < 1e2) divided by h = 1e-6: ~1e-16*1e2/1e-6 = 1e-8.
  const double kTol = 1e-6;
  const Lc2dShape shapes[] = {{1, 1, 4, 4, 1, 3, 3, 1, 0},
                              {2, 2, 5, 6, 3, 3, 2, 2, 1},
                              {1, 3, 5, 5, 2, 1, 1, 1, 0},
                              {2, 1, 7, 5, 2, 3, 3, 3, 2}};
  uint64_t seed = 100;
  for (const Lc2dShape& s : shapes) {
    SCOPED_TRACE(testing::Message() << "shape index " << (&s - shapes));
    Vec x = random_vector(x_size(s), seed++), w = random_vector(w_size(s), seed++);
    Vec b = random_vector(b_size(s), seed++);
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

TEST(Lc2dRef, FloatAgreesWithDoubleOnLcnnLayer2) {
  const Lc2dShape s{128, 16, 14, 14, 32, 5, 5, 2, 2};
  // Inputs rounded to float once, so both precisions see identical values.
  const std::vector<float> xf = test::to_float(random_vector(x_size(s), 7));
  const std::vector<float> wf = test::to_float(random_vector(w_size(s), 8));
  const std::vector<float> bf = test::to_float(random_vector(b_size(s), 9));
  const std::vector<float> dyf = test::to_float(random_vector(y_size(s), 10));
  const Vec x(xf.begin(), xf.end()), w(wf.begin(), wf.end()), b(bf.begin(), bf.end());
  const Vec dy(dyf.begin(), dyf.end());
  const Grads<double> g = backward(s, x, w, dy);
  const Grads<float> gf = backward(s, xf, wf, dyf);
  expect_float_close(forward(s, xf, wf, bf), forward(s, x, w, b), s.receptive(), "y");
  expect_float_close(gf.dx, g.dx, s.f * s.kh * s.kw, "dx");  // at most F*KH*KW terms per pixel
  expect_float_close(gf.dw, g.dw, s.n, "dw");
  expect_float_close(gf.db, g.db, s.n, "db");
}

TEST(Lc2dRef, NullDxAndDbAreSkipped) {
  const Lc2dShape s{3, 2, 7, 6, 3, 3, 3, 2, 1};
  const Vec x = random_vector(x_size(s), 1), w = random_vector(w_size(s), 2);
  const Vec dy = random_vector(y_size(s), 3);
  const Grads<double> full = backward(s, x, w, dy);
  const Grads<double> dw_only = backward(s, x, w, dy, /*with_dx=*/false, /*with_db=*/false);
  EXPECT_EQ(dw_only.dw, full.dw);  // same GEMMs on the same data: bitwise equal
  EXPECT_TRUE(std::isnan(dw_only.dx[0]) && std::isnan(dw_only.db[0]));  // left untouched
}

// b == nullptr: no bias. The same values as a zero bias (== ignores the sign of a zero), and with a
// bias every output is exactly float(y(nullptr) + b[f,p]): the bias is one add after the GEMM, which
// the fused epilogue (engine/ops/bias_activation.h) relies on.
TEST(Lc2dRef, NullBiasIsSkippedAndTheBiasIsOneAddAfterTheProduct) {
  const Lc2dShape s{3, 2, 7, 6, 3, 3, 3, 2, 1};
  const auto x = test::random_floats(x_size(s), 1), w = test::random_floats(w_size(s), 2);
  const auto b = test::random_floats(b_size(s), 3);
  const std::vector<float> zeros(b_size(s), 0.0f);
  auto run = [&](const float* bias) {
    std::vector<float> y = nans<float>(y_size(s)), ws = nans<float>(lc2d_workspace_elems(s));
    lc2d_forward_ref<float>(s, x.data(), w.data(), bias, y.data(), ws.data());
    return y;
  };
  const std::vector<float> y0 = run(nullptr), yz = run(zeros.data()), yb = run(b.data());
  test::expect_finite_nonzero(y0, "y without bias");
  EXPECT_EQ(y0, yz);
  for (int64_t i = 0; i < y_size(s); ++i)
    ASSERT_EQ(yb[i], y0[i] + b[i % b_size(s)]) << "at " << i;
}

TEST(Lc2dRef, EqualsConv2dWhenWeightsAreTiedAcrossPositions) {
  // With w[p] = wc and b[f,p] = bc[f] for every p, lc2d is conv2d: y and dx agree, and the sums
  // over positions of dw and db equal conv2d's dw and db.
  for (const Lc2dShape& s :
       {Lc2dShape{3, 2, 9, 7, 4, 3, 3, 2, 1}, Lc2dShape{2, 3, 6, 6, 2, 2, 3, 1, 0}}) {
    const Conv2dShape cs{s.n, s.c, s.h, s.w, s.f, s.kh, s.kw, s.stride, s.pad};
    const int64_t P = s.positions(), FR = s.f * s.receptive();
    const Vec x = random_vector(x_size(s), 21), wc = random_vector(FR, 22),
              bc = random_vector(s.f, 23);
    const Vec dy = random_vector(y_size(s), 24);
    Vec w(w_size(s)), b(b_size(s));
    for (int64_t p = 0; p < P; ++p) std::copy(wc.begin(), wc.end(), w.begin() + p * FR);
    for (int64_t f = 0; f < s.f; ++f) std::fill(b.begin() + f * P, b.begin() + (f + 1) * P, bc[f]);
    Vec yc(y_size(s)), dxc(x_size(s)), dwc(FR), dbc(s.f), ws(conv2d_workspace_elems(cs));
    conv2d_forward_ref(cs, x.data(), wc.data(), bc.data(), yc.data(), ws.data());
    conv2d_backward_ref(cs, x.data(), wc.data(), dy.data(), dxc.data(), dwc.data(), dbc.data(),
                        ws.data());
    const Grads<double> g = backward(s, x, w, dy);
    Vec dw_sum(FR, 0.0), db_sum(s.f, 0.0);
    for (int64_t p = 0; p < P; ++p) {
      for (int64_t e = 0; e < FR; ++e) dw_sum[e] += g.dw[p * FR + e];
      for (int64_t f = 0; f < s.f; ++f) db_sum[f] += g.db[f * P + p];
    }
    expect_close(forward(s, x, w, b), yc, double_bound(s.receptive()), "y");
    expect_close(g.dx, dxc, double_bound(s.f * s.kh * s.kw), "dx");
    expect_close(dw_sum, dwc, double_bound(s.n * P), "dw summed over positions");
    expect_close(db_sum, dbc, double_bound(s.n * P), "db summed over positions");
  }
}

TEST(Lc2dRef, RejectsBadShapes) {
  // (n, c, h, w, f, kh, kw, stride, pad)
  const Lc2dShape bad[] = {
      {0, 1, 5, 5, 1, 3, 3, 1, 0},  {1, 0, 5, 5, 1, 3, 3, 1, 0}, {1, 1, 5, 0, 1, 1, 1, 1, 0},
      {1, 1, 5, 5, 0, 3, 3, 1, 0},  {1, 1, 5, 5, 1, 3, 0, 1, 0}, {1, 1, 5, 5, 1, 3, 3, 0, 0},
      {1, 1, 5, 5, 1, 3, 3, 1, -2}, {1, 1, 3, 3, 1, 6, 3, 1, 1},  // 6 > 3 + 2*1
      {1, 1, 4, 3, 1, 2, 4, 1, 0},                                // kw 4 > w 3
  };
  float buf[64] = {};
  for (const Lc2dShape& s : bad) {
    SCOPED_TRACE(testing::Message() << "shape index " << (&s - bad));
    EXPECT_THROW(s.validate(), ShapeError);
    EXPECT_THROW(lc2d_workspace_elems(s), ShapeError);
    EXPECT_THROW(lc2d_forward_ref(s, buf, buf, buf, buf, buf), ShapeError);
    EXPECT_THROW(lc2d_backward_ref(s, buf, buf, buf, buf, buf, buf, buf), ShapeError);
  }
  EXPECT_NO_THROW((Lc2dShape{1, 1, 3, 3, 1, 5, 5, 1, 1}.validate()));  // exactly fits the padding
}

}  // namespace
}  // namespace gd
