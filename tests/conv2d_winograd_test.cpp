// Winograd F(4x4,3x3) convolution (engine/ref/conv2d_winograd.*): the 1-d transforms against their
// matrices, the matrices against the definition of F(4,3), forward / dx / dw / db against the double
// im2col reference on awkward shapes, overwrite and null-skip semantics, determinism, workspace
// sizing, the CPU backend's path choice, and finite-difference gradients of a network
// whose second convolution runs here.
#include "engine/ref/conv2d_winograd.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/graph/network.h"
#include "engine/model/spec.h"
#include "engine/ops/softmax_xent.h"
#include "engine/optim/init.h"
#include "engine/ref/winograd_f4x3.h"
#include "engine/train/model_io.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

using test::nans;
using test::random_vector;
using Vec = std::vector<double>;
using FVec = std::vector<float>;
namespace wg = winograd;

int64_t x_size(const Conv2dShape& s) { return s.n * s.c * s.h * s.w; }
int64_t w_size(const Conv2dShape& s) { return s.f * s.c * s.kh * s.kw; }
int64_t y_size(const Conv2dShape& s) { return s.n * s.f * s.oh() * s.ow(); }

// ---- the transforms ---------------------------------------------------------------------------

using Transform1d = void (*)(const float*, int64_t, float*, int64_t, int64_t);

// Runs a 1-d transform on `lanes` random columns (rows strided by in_stride / out_stride larger
// than lanes, so a stride mix-up shows) and compares with the matrix product in double.
void check_transform(Transform1d fn, const float* mat, int rows_out, int rows_in, bool transpose,
                     const char* what) {
  SCOPED_TRACE(what);
  const int64_t lanes = 11, in_stride = 13, out_stride = 17;
  const FVec in = test::to_float(random_vector(rows_in * in_stride, 5));
  FVec out = nans<float>(rows_out * out_stride);
  fn(in.data(), in_stride, out.data(), out_stride, lanes);
  for (int r = 0; r < rows_out; ++r)
    for (int64_t l = 0; l < lanes; ++l) {
      double want = 0;
      for (int k = 0; k < rows_in; ++k)
        want += double(transpose ? mat[k * rows_out + r] : mat[r * rows_in + k]) * in[k * in_stride + l];
      // Each output is a sum of at most 6 float terms of magnitude <= 8: a few float ulps of 50.
      EXPECT_NEAR(out[r * out_stride + l], want, 1e-5) << "row " << r << " lane " << l;
    }
}

TEST(WinogradTransforms, OneDimensionalFunctionsMatchTheirMatrices) {
  check_transform(wg::input_1d, &wg::kBT[0][0], 6, 6, false, "input_1d = BT");
  check_transform(wg::input_adjoint_1d, &wg::kBT[0][0], 6, 6, true, "input_adjoint_1d = B");
  check_transform(wg::kernel_1d, &wg::kG[0][0], 6, 3, false, "kernel_1d = G");
  check_transform(wg::output_1d, &wg::kAT[0][0], 4, 6, false, "output_1d = AT");
  check_transform(wg::output_adjoint_1d, &wg::kAT[0][0], 6, 4, true, "output_adjoint_1d = A");
  check_transform(wg::kernel_adjoint_1d, &wg::kG[0][0], 3, 6, true, "kernel_adjoint_1d = GT");
}

TEST(WinogradTransforms, MatricesComputeFourOutputsOfAThreeTapCorrelation) {
  // F(4,3): AT [(G g) (.) (BT d)] = (sum_i d[p+i] g[i]) for p in [0,4), for any d (6) and g (3).
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const Vec d = random_vector(6, 100 + seed), g = random_vector(3, 200 + seed);
    double u[6], v[6];
    for (int a = 0; a < 6; ++a) {
      u[a] = v[a] = 0;
      for (int i = 0; i < 3; ++i) u[a] += double(wg::kG[a][i]) * g[i];
      for (int i = 0; i < 6; ++i) v[a] += double(wg::kBT[a][i]) * d[i];
    }
    for (int p = 0; p < 4; ++p) {
      double got = 0;
      for (int a = 0; a < 6; ++a) got += double(wg::kAT[p][a]) * u[a] * v[a];
      const double want = d[p] * g[0] + d[p + 1] * g[1] + d[p + 2] * g[2];
      // kG holds 1/6, 1/12, 1/24 rounded to float: relative error ~ 2^-24 per coefficient.
      EXPECT_NEAR(got, want, 1e-6) << "seed " << seed << " output " << p;
    }
  }
}

// ---- tolerance --------------------------------------------------------------------------------

// The float error of Winograd relative to the direct convolution's, for random-sign data. Rounding
// happens in the transform-domain sums (and the transforms), at points whose magnitude is the
// product of the two transformed operands': row a of G, of BT and column a of AT scale unit-variance
// data by |G_a|, |BT_a| and |A_a| (2-norms). An output then collects those errors weighted by its
// row of the outgoing transform, so per dimension its rms error is
//   y : sqrt(sum_a (AT[p][a] |G_a| |BT_a|)^2)    against sqrt(3) taps in the direct sum
//   dx: sqrt(sum_a (BT[a][i] |G_a| |A_a|)^2)     summed in squares over the (one or two) tiles
//       that hold the pixel (at i and i + 4), against sqrt(3) taps
//   dw: sqrt(sum_a (G[a][k] |A_a| |BT_a|)^2)     against sqrt(4) products per tile
// and the factor is the worst position, squared for two dimensions: 31.4 (y), 17.5 (dx), 24.2 (dw).
// (test::float_tolerance's own safety factor of 8 covers the constants this model leaves out.)
double g_norm2(int a) {
  double ss = 0;
  for (int i = 0; i < 3; ++i) ss += double(wg::kG[a][i]) * wg::kG[a][i];
  return ss;
}
double bt_norm2(int a) {
  double ss = 0;
  for (int i = 0; i < 6; ++i) ss += double(wg::kBT[a][i]) * wg::kBT[a][i];
  return ss;
}
double a_norm2(int a) {
  double ss = 0;
  for (int p = 0; p < 4; ++p) ss += double(wg::kAT[p][a]) * wg::kAT[p][a];
  return ss;
}
double forward_factor() {
  double worst = 0;
  for (int p = 0; p < 4; ++p) {
    double ss = 0;
    for (int a = 0; a < 6; ++a) ss += double(wg::kAT[p][a]) * wg::kAT[p][a] * g_norm2(a) * bt_norm2(a);
    worst = std::max(worst, ss / 3.0);
  }
  return worst;  // (per-dimension ratio)^2 for two dimensions
}
double input_gradient_factor() {
  auto at = [](int i) {
    double ss = 0;
    for (int a = 0; a < 6; ++a) ss += double(wg::kBT[a][i]) * wg::kBT[a][i] * g_norm2(a) * a_norm2(a);
    return ss;
  };
  double worst = 0;
  for (int i = 0; i < 4; ++i) worst = std::max(worst, (at(i) + (i < 2 ? at(i + 4) : 0.0)) / 3.0);
  return worst;
}
double weight_gradient_factor() {
  double worst = 0;
  for (int k = 0; k < 3; ++k) {
    double ss = 0;
    for (int a = 0; a < 6; ++a) ss += double(wg::kG[a][k]) * wg::kG[a][k] * a_norm2(a) * bt_norm2(a);
    worst = std::max(worst, ss / 4.0);
  }
  return worst;
}

TEST(WinogradTolerance, AmplificationFactorsAreTheDerivedValues) {
  // Pins the numbers quoted in the comment above and in docs/design.md.
  EXPECT_NEAR(forward_factor(), 283.0 / 9.0, 1e-4);
  EXPECT_NEAR(input_gradient_factor(), 17.49, 0.01);
  EXPECT_NEAR(weight_gradient_factor(), 24.19, 0.01);
}

// |got - want| <= float_tolerance(len) * factor * max(1, rms(want)) element-wise (the rule of
// test::expect_float_close, widened by the Winograd factor); every element must be finite. Returns
// the worst error relative to that tolerance, so a test can also check it is not vacuous.
double expect_winograd_close(const FVec& got, const Vec& want, int64_t len, double factor,
                             const char* what) {
  EXPECT_EQ(got.size(), want.size()) << what;
  double ss = 0;
  for (double v : want) ss += v * v;
  const double rms = std::sqrt(ss / double(std::max<size_t>(want.size(), 1)));
  const double tol = test::float_tolerance(len) * factor * std::max(1.0, rms);
  double worst = 0;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    if (!std::isfinite(got[i])) {
      ADD_FAILURE() << what << ": non-finite value " << got[i] << " at " << i;
      return 0;
    }
    worst = std::max(worst, std::abs(got[i] - want[i]));
  }
  EXPECT_LE(worst, tol) << what << " (reduction length " << len << ", factor " << factor << ")";
  return worst / tol;
}

// ---- helpers ----------------------------------------------------------------------------------

struct Problem {
  Conv2dShape s;
  FVec x, w, b, dy;  // rounded to float once; the double reference sees the same values
  Problem(const Conv2dShape& shape, uint64_t seed) : s(shape) {
    x = test::random_floats(x_size(s), seed);
    w = test::random_floats(w_size(s), seed + 1);
    b = test::random_floats(s.f, seed + 2);
    dy = test::random_floats(y_size(s), seed + 3);
  }
};

struct Grads {
  FVec dx, dw, db;
};

FVec winograd_forward(const Problem& p) {
  FVec y = nans<float>(y_size(p.s)), ws = nans<float>(conv2d_winograd_workspace_elems(p.s));
  conv2d_forward_winograd(p.s, p.x.data(), p.w.data(), p.b.data(), y.data(), ws.data());
  return y;
}
Grads winograd_backward(const Problem& p, bool with_dx = true, bool with_db = true) {
  Grads g{nans<float>(x_size(p.s)), nans<float>(w_size(p.s)), nans<float>(p.s.f)};
  FVec ws = nans<float>(conv2d_winograd_workspace_elems(p.s));
  conv2d_backward_winograd(p.s, p.x.data(), p.w.data(), p.dy.data(), with_dx ? g.dx.data() : nullptr,
                           g.dw.data(), with_db ? g.db.data() : nullptr, ws.data());
  return g;
}

struct Reference {
  Vec y, dx, dw, db;
};
Reference reference(const Problem& p) {
  const Vec x = test::widen(p.x), w = test::widen(p.w), b = test::widen(p.b), dy = test::widen(p.dy);
  Reference r{Vec(y_size(p.s)), Vec(x_size(p.s)), Vec(w_size(p.s)), Vec(p.s.f)};
  Vec ws(conv2d_workspace_elems(p.s));
  conv2d_forward_ref<double>(p.s, x.data(), w.data(), b.data(), r.y.data(), ws.data());
  conv2d_backward_ref<double>(p.s, x.data(), w.data(), dy.data(), r.dx.data(), r.dw.data(),
                              r.db.data(), ws.data());
  return r;
}

// (n, c, h, w, f, kh, kw, stride, pad): batch 1, 3 and 33 (many chunks over several slots); odd and
// non-square planes whose outputs end in partial tiles (7x9 -> 5x7, 11x6 -> 13x8 with pad 2); 26x26
// (the cnn's second layer); pad 0, 1, 2 and 3 (patches wholly in the padding); C and F not
// multiples of 8, and C < 8 (supported, though the backend keeps im2col).
const Conv2dShape kShapes[] = {
    {1, 8, 7, 9, 8, 3, 3, 1, 0},    {3, 9, 7, 9, 11, 3, 3, 1, 1},  {33, 10, 26, 26, 13, 3, 3, 1, 0},
    {2, 12, 11, 6, 9, 3, 3, 1, 2},  {2, 9, 5, 6, 10, 3, 3, 1, 3},  {3, 3, 10, 10, 5, 3, 3, 1, 1},
    {1, 17, 3, 3, 19, 3, 3, 1, 0},  {3, 32, 26, 26, 64, 3, 3, 1, 0},
};

TEST(Conv2dWinograd, MatchesTheDoubleReferenceOnAwkwardShapes) {
  const double ff = forward_factor(), xf = input_gradient_factor(), wf = weight_gradient_factor();
  uint64_t seed = 1;
  for (const Conv2dShape& s : kShapes) {
    SCOPED_TRACE(testing::Message() << "shape index " << (&s - kShapes));
    const Problem p(s, seed);
    seed += 4;
    const Reference r = reference(p);
    const FVec y = winograd_forward(p);
    const Grads g = winograd_backward(p);
    const int64_t per_filter = s.n * s.oh() * s.ow();
    // Reduction lengths as in conv2d_test: C*9 taps per output, F*9 per input pixel, N*OH*OW per
    // weight and per bias.
    const double ry = expect_winograd_close(y, r.y, s.c * 9, ff, "y");
    const double rx = expect_winograd_close(g.dx, r.dx, s.f * 9, xf, "dx");
    const double rw = expect_winograd_close(g.dw, r.dw, per_filter, wf, "dw");
    test::expect_float_close(g.db, r.db, per_filter, "db");
    // Not vacuous: the results carry Winograd's own rounding (they are not the reference's).
    EXPECT_GT(std::max({ry, rx, rw}), 0.0);
    test::expect_finite_nonzero(y, "y");
    test::expect_finite_nonzero(g.dx, "dx");
  }
}

TEST(Conv2dWinograd, NullDxAndDbAreSkippedAndResultsAreDeterministic) {
  const Problem p({5, 8, 9, 10, 12, 3, 3, 1, 1}, 40);
  const Grads full = winograd_backward(p), again = winograd_backward(p);
  EXPECT_EQ(full.dx, again.dx);  // fixed thread count: bitwise identical
  EXPECT_EQ(full.dw, again.dw);
  EXPECT_EQ(full.db, again.db);
  EXPECT_EQ(winograd_forward(p), winograd_forward(p));
  const Grads dw_only = winograd_backward(p, /*with_dx=*/false, /*with_db=*/false);
  EXPECT_EQ(dw_only.dw, full.dw);
  EXPECT_TRUE(std::all_of(dw_only.dx.begin(), dw_only.dx.end(), [](float v) { return std::isnan(v); }));
  EXPECT_TRUE(std::isnan(dw_only.db[0]));  // left untouched
}

// b == nullptr: no bias. The same values as a zero bias (== ignores the sign of a zero), and with a
// bias every output is exactly float(y(nullptr) + b[f]) (no bias adds -0.0f, the exact identity),
// which the fused epilogue (engine/ops/bias_activation.h) relies on.
TEST(Conv2dWinograd, NullBiasIsSkippedAndTheBiasIsOneAddAfterTheTransform) {
  Problem p({3, 9, 7, 9, 11, 3, 3, 1, 1}, 60);
  const FVec yb = winograd_forward(p);
  const FVec b = p.b;
  p.b.assign(b.size(), 0.0f);
  const FVec yz = winograd_forward(p);
  FVec y0 = nans<float>(y_size(p.s)), ws = nans<float>(conv2d_winograd_workspace_elems(p.s));
  conv2d_forward_winograd(p.s, p.x.data(), p.w.data(), nullptr, y0.data(), ws.data());
  test::expect_finite_nonzero(y0, "y without bias");
  EXPECT_EQ(y0, yz);
  const int64_t ohw = p.s.oh() * p.s.ow();
  for (int64_t i = 0; i < y_size(p.s); ++i)
    ASSERT_EQ(yb[i], y0[i] + b[(i / ohw) % p.s.f]) << "at " << i;
}

TEST(Conv2dWinograd, WorkspaceForTheLargestBatchServesSmallerOnesAndMoreThreads) {
  const Conv2dShape big{40, 16, 14, 14, 16, 3, 3, 1, 1};
  const size_t elems = conv2d_winograd_workspace_elems(big);
  for (int64_t n : {1, 7, 39}) {
    Conv2dShape s = big;
    s.n = n;
    EXPECT_LE(conv2d_winograd_workspace_elems(s), elems) << "n = " << n;
  }
  // A larger OpenMP team later must neither grow the requirement nor overrun a workspace sized
  // earlier: a call on exactly that many floats, with a NaN guard zone after it, leaves the guard.
  const int saved = omp_get_max_threads();
  omp_set_num_threads(saved + 3);
  EXPECT_EQ(conv2d_winograd_workspace_elems(big), elems);
  const Problem p(big, 50);
  FVec ws = nans<float>(elems + 1024), y = nans<float>(y_size(big));
  for (size_t i = elems; i < ws.size(); ++i) ws[i] = 12345.0f;
  conv2d_forward_winograd(big, p.x.data(), p.w.data(), p.b.data(), y.data(), ws.data());
  Grads g{nans<float>(x_size(big)), nans<float>(w_size(big)), nans<float>(big.f)};
  conv2d_backward_winograd(big, p.x.data(), p.w.data(), p.dy.data(), g.dx.data(), g.dw.data(),
                           g.db.data(), ws.data());
  omp_set_num_threads(saved);
  for (size_t i = elems; i < ws.size(); ++i) ASSERT_EQ(ws[i], 12345.0f) << "guard overwritten at " << i;
  const Reference r = reference(p);
  expect_winograd_close(y, r.y, big.c * 9, forward_factor(), "y");
  expect_winograd_close(g.dx, r.dx, big.f * 9, input_gradient_factor(), "dx");
  expect_winograd_close(g.dw, r.dw, big.n * big.oh() * big.ow(), weight_gradient_factor(), "dw");
}

TEST(Conv2dWinograd, RejectsUnsupportedAndInvalidShapes) {
  float buf[64] = {};
  // (n, c, h, w, f, kh, kw, stride, pad): valid convolutions Winograd F(4x4,3x3) does not cover,
  // then invalid ones.
  const Conv2dShape unsupported[] = {{1, 8, 9, 9, 8, 5, 5, 1, 0}, {1, 8, 9, 9, 8, 3, 3, 2, 0},
                                     {1, 8, 9, 9, 8, 3, 2, 1, 0}};
  for (const Conv2dShape& s : unsupported) {
    SCOPED_TRACE(testing::Message() << "shape index " << (&s - unsupported));
    EXPECT_FALSE(conv2d_winograd_supported(s));
    EXPECT_FALSE(conv2d_uses_winograd(s));
    EXPECT_THROW(conv2d_winograd_workspace_elems(s), ShapeError);
    EXPECT_THROW(conv2d_forward_winograd(s, buf, buf, buf, buf, buf), ShapeError);
    EXPECT_THROW(conv2d_backward_winograd(s, buf, buf, buf, buf, buf, buf, buf), ShapeError);
  }
  const Conv2dShape invalid[] = {{0, 8, 9, 9, 8, 3, 3, 1, 0}, {1, 8, 9, 9, 8, 3, 3, 1, -1},
                                 {1, 8, 1, 1, 8, 3, 3, 1, 0}};
  for (const Conv2dShape& s : invalid) {
    SCOPED_TRACE(testing::Message() << "invalid shape index " << (&s - invalid));
    EXPECT_THROW(conv2d_uses_winograd(s), ShapeError);
    EXPECT_THROW(conv2d_winograd_workspace_elems(s), ShapeError);
    EXPECT_THROW(conv2d_forward_winograd(s, buf, buf, buf, buf, buf), ShapeError);
  }
  const Conv2dShape ok{1, 8, 4, 4, 8, 3, 3, 1, 0};
  EXPECT_THROW(conv2d_forward_winograd(ok, buf, nullptr, buf, buf, buf), Error);
  EXPECT_THROW(conv2d_backward_winograd(ok, buf, buf, buf, buf, nullptr, buf, buf), Error);
}

// ---- the CPU backend's choice -----------------------------------------------------------------

TEST(Conv2dWinograd, CpuBackendRunsTheCnnSecondLayerWithWinograd) {
  // cnn: conv32k3 (1 -> 32 channels, 28x28) then conv64k3 (32 -> 64, 26x26).
  const Conv2dShape conv1{128, 1, 28, 28, 32, 3, 3, 1, 0}, conv2{128, 32, 26, 26, 64, 3, 3, 1, 0};
  EXPECT_FALSE(conv2d_uses_winograd(conv1));  // one input channel: im2col
  EXPECT_TRUE(conv2d_uses_winograd(conv2));
  EXPECT_FALSE(conv2d_uses_winograd({128, 32, 26, 26, 64, 3, 3, 2, 0}));  // stride 2
  EXPECT_FALSE(conv2d_uses_winograd({128, 32, 26, 26, 64, 5, 5, 1, 2}));  // 5x5
  EXPECT_FALSE(conv2d_uses_winograd({128, 4, 26, 26, 32, 3, 3, 1, 1}));   // C < 8
  EXPECT_TRUE(conv2d_uses_winograd({1, 8, 5, 5, 1, 3, 3, 1, 1}));         // C = 8, any F

  CpuBackend be;
  EXPECT_EQ(be.conv2d_workspace_bytes(conv2), conv2d_winograd_workspace_elems(conv2) * sizeof(float));
  EXPECT_EQ(be.conv2d_workspace_bytes(conv1), conv2d_workspace_elems(conv1) * sizeof(float));

  // The backend's results are bitwise those of the Winograd functions (and not of im2col, whose
  // rounding differs), for forward and every gradient.
  Conv2dShape s = conv2;
  s.n = 2;
  const Problem p(s, 60);
  const FVec y = winograd_forward(p);
  const Grads g = winograd_backward(p);
  FVec ws(be.conv2d_workspace_bytes(conv2) / sizeof(float));  // sized for batch 128, used for 2
  FVec by = nans<float>(y_size(s));
  Grads bg{nans<float>(x_size(s)), nans<float>(w_size(s)), nans<float>(s.f)};
  const Workspace scratch{ws.data(), ws.size() * sizeof(float)};
  be.conv2d_forward(s, p.x.data(), p.w.data(), p.b.data(), by.data(), scratch);
  be.conv2d_backward(s, p.x.data(), p.w.data(), p.dy.data(), bg.dx.data(), bg.dw.data(),
                     bg.db.data(), scratch);
  EXPECT_EQ(by, y);
  EXPECT_EQ(bg.dx, g.dx);
  EXPECT_EQ(bg.dw, g.dw);
  EXPECT_EQ(bg.db, g.db);
  // A workspace smaller than the shape needs is refused before anything is written.
  const Workspace short_by_one{ws.data(), be.conv2d_workspace_bytes(s) - 1};
  EXPECT_TRUE(test::throws_with<ShapeError>(
      [&] { be.conv2d_forward(s, p.x.data(), p.w.data(), p.b.data(), by.data(), short_by_one); },
      {"workspace of " + std::to_string(short_by_one.bytes) + " bytes", "needs"}));
  FVec im2col_y = nans<float>(y_size(s)), im2col_ws(conv2d_workspace_elems(s));
  conv2d_forward_ref<float>(s, p.x.data(), p.w.data(), p.b.data(), im2col_y.data(), im2col_ws.data());
  EXPECT_NE(by, im2col_y);
}

// ---- a whole network ---------------------------------------------------------------------------

TEST(Conv2dWinograd, NetworkGradientsThroughAWinogradLayerMatchFiniteDifferences) {
  // The cnn's structure (conv, conv, pool, dropout, fc, dropout, fc) made smooth so that central
  // differences are meaningful: tanh instead of relu and average instead of max pooling (the real
  // cnn has ~10^5 relu/max-pool kinks, and a step of 1e-3 crosses some of them at almost every
  // parameter, which shows up as 1e-2 errors whatever the convolution does). The second convolution
  // (12 -> 16 channels) takes the Winograd path; the first one's weight gradient flows through the
  // Winograd dx. Dropout masks are fixed by (step, seed).
  CpuBackend be;
  const Shape in{1, 14, 14};
  const int64_t n = 3;
  const char* spec = "conv12k3,tanh,conv16k3p1,tanh,avgpool2,dropout0.25,fc24,tanh,dropout0.5,fc10";
  Network net(be, build_layers(spec, in, 10, 0.5), in, n);
  net.initialize(InitScheme::GlorotUniform, 3);
  ASSERT_TRUE(conv2d_uses_winograd({n, 12, 12, 12, 16, 3, 3, 1, 1}));
  write_floats(be, net.input(), test::to_float(random_vector(n * in.numel(), 21)), "input");
  const std::vector<int32_t> labels{3, 8, 0};
  auto loss = [&](bool grad) {
    net.forward(n, true, 5, 17);
    SoftmaxXentShape s;
    s.n = n;
    s.c = 10;
    const double l = softmax_xent_forward_backward_ref<float>(s, net.output(), labels.data(), nullptr,
                                                              grad ? net.output_grad() : nullptr, nullptr);
    if (grad) net.backward(n, 5, 17);
    return l;
  };
  loss(true);
  const FVec grads = read_floats(be, net.grads(), net.num_params());
  FVec params = read_floats(be, net.params(), net.num_params());
  // Parameters: conv1 weight (12*9) and bias (12), conv2 weight (16*12*9) and bias (16), ...
  const size_t conv2_w = 12 * 9 + 12, conv2_b = conv2_w + 16 * 12 * 9;
  ASSERT_EQ(net.param_info()[2].offset, static_cast<int64_t>(conv2_w));
  std::vector<size_t> where;
  for (size_t i = 0; i < conv2_b + 16; i += 7) where.push_back(i);  // both conv layers, 1 in 7
  std::vector<double> x, analytic;
  for (size_t i : where) {
    x.push_back(params[i]);
    analytic.push_back(grads[i]);
  }
  auto eval = [&]() {
    for (size_t k = 0; k < where.size(); ++k) params[where[k]] = static_cast<float>(x[k]);
    write_floats(be, net.params(), params, "params");
    return loss(false);
  };
  // As in network_test: the float loss (~2) carries ~1e-7 relative rounding (the Winograd layer's
  // ~30x larger output rounding is averaged over its 2304 outputs in the loss), so with h = 1e-3
  // the central differences have ~1e-4 noise and O(h^2) ~ 1e-6 truncation; 2e-3 leaves a margin.
  const double err = test::max_gradient_error(x, eval, analytic, 1e-3);
  EXPECT_LT(err, 2e-3);
  double norm = 0;
  for (double a : analytic) norm += std::abs(a);
  EXPECT_GT(norm, 1e-3) << "gradients are all zero";
}

}  // namespace
}  // namespace gd
