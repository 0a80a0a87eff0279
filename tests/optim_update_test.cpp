// The fused optimiser update references (engine/ops/optim_update.h) against values worked out by hand
// from the torch.optim formulas, and float against double on large random arrays.
//
// Hand cases use hyper-parameters chosen so the intermediate values are short fractions (beta = 0.5,
// eps = 1, square averages that are perfect squares). The references compute in double and the cases
// run in double, so the only error is the rounding of a few operations on O(1) values: 1e-12 is
// thousands of times the double rounding error and far below any arithmetic mistake.
#include "engine/ops/optim_update.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "engine/core/error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

constexpr double kHandTol = 1e-12;

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, const char* what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], kHandTol) << what << "[" << i << "]";
}

// ---- SGD -----------------------------------------------------------------------------------------

TEST(SgdUpdateRef, PlainWithWeightDecayNoVelocity) {
  // lr = 0.1, wd = 0.5, momentum 0, velocity = nullptr.  p = (1, -2), grad = (0.5, 1) each step.
  // step 1: g = (0.5 + 0.5*1, 1 + 0.5*(-2)) = (1, 0);       p = (1 - 0.1, -2 - 0) = (0.9, -2)
  // step 2: g = (0.5 + 0.45, 1 - 1) = (0.95, 0);            p = (0.9 - 0.095, -2) = (0.805, -2)
  SgdParams sp;
  sp.lr = 0.1;
  sp.weight_decay = 0.5;
  std::vector<double> p{1.0, -2.0};
  const std::vector<double> g{0.5, 1.0};
  sgd_update_ref<double>(sp, 2, p.data(), g.data(), nullptr);
  expect_near_all(p, {0.9, -2.0}, "p1");
  sgd_update_ref<double>(sp, 2, p.data(), g.data(), nullptr);
  expect_near_all(p, {0.805, -2.0}, "p2");
}

TEST(SgdUpdateRef, MomentumThreeSteps) {
  // lr = 0.1, momentum 0.9.  p = (1, -2, 0.5), grad = (0.5, 1, -1) each step.
  // step 1: v = g = (0.5, 1, -1);                         p = (0.95, -2.1, 0.6)
  // step 2: v = 0.9 v + g = (0.95, 1.9, -1.9);             p = (0.855, -2.29, 0.79)
  // step 3: v = (0.855 + 0.5, 1.71 + 1, -1.71 - 1) = (1.355, 2.71, -2.71)
  //                                                        p = (0.7195, -2.561, 1.061)
  SgdParams sp;
  sp.lr = 0.1;
  sp.momentum = 0.9;
  std::vector<double> p{1.0, -2.0, 0.5}, v(3, 0.0);
  const std::vector<double> g{0.5, 1.0, -1.0};
  sgd_update_ref<double>(sp, 3, p.data(), g.data(), v.data());
  expect_near_all(v, {0.5, 1.0, -1.0}, "v1");
  expect_near_all(p, {0.95, -2.1, 0.6}, "p1");
  sgd_update_ref<double>(sp, 3, p.data(), g.data(), v.data());
  expect_near_all(v, {0.95, 1.9, -1.9}, "v2");
  expect_near_all(p, {0.855, -2.29, 0.79}, "p2");
  sgd_update_ref<double>(sp, 3, p.data(), g.data(), v.data());
  expect_near_all(v, {1.355, 2.71, -2.71}, "v3");
  expect_near_all(p, {0.7195, -2.561, 1.061}, "p3");
}

TEST(SgdUpdateRef, MomentumWithWeightDecay) {
  // lr = 0.1, momentum 0.9, wd = 0.1.  p = (1, -2), grad = (0.5, 1) each step.
  // step 1: g = (0.5 + 0.1, 1 - 0.2) = (0.6, 0.8); v = (0.6, 0.8);  p = (0.94, -2.08)
  // step 2: g = (0.5 + 0.094, 1 - 0.208) = (0.594, 0.792);
  //         v = (0.54 + 0.594, 0.72 + 0.792) = (1.134, 1.512);      p = (0.8266, -2.2312)
  SgdParams sp;
  sp.lr = 0.1;
  sp.momentum = 0.9;
  sp.weight_decay = 0.1;
  std::vector<double> p{1.0, -2.0}, v(2, 0.0);
  const std::vector<double> g{0.5, 1.0};
  sgd_update_ref<double>(sp, 2, p.data(), g.data(), v.data());
  expect_near_all(p, {0.94, -2.08}, "p1");
  sgd_update_ref<double>(sp, 2, p.data(), g.data(), v.data());
  expect_near_all(v, {1.134, 1.512}, "v2");
  expect_near_all(p, {0.8266, -2.2312}, "p2");
}

TEST(SgdUpdateRef, Nesterov) {
  // lr = 0.1, momentum 0.9, nesterov.  p = (1, -2), grad = (0.5, 1) each step.
  // step 1: v = g = (0.5, 1);  d = g + 0.9 v = (0.95, 1.9);          p = (0.905, -2.19)
  // step 2: v = 0.9 v + g = (0.95, 1.9);  d = g + 0.9 v = (1.355, 2.71);  p = (0.7695, -2.461)
  SgdParams sp;
  sp.lr = 0.1;
  sp.momentum = 0.9;
  sp.nesterov = true;
  std::vector<double> p{1.0, -2.0}, v(2, 0.0);
  const std::vector<double> g{0.5, 1.0};
  sgd_update_ref<double>(sp, 2, p.data(), g.data(), v.data());
  expect_near_all(v, {0.5, 1.0}, "v1");
  expect_near_all(p, {0.905, -2.19}, "p1");
  sgd_update_ref<double>(sp, 2, p.data(), g.data(), v.data());
  expect_near_all(v, {0.95, 1.9}, "v2");
  expect_near_all(p, {0.7695, -2.461}, "p2");
}

// ---- Adam / AdamW ----------------------------------------------------------------------------------
// beta1 = beta2 = 0.5, eps = 1, lr = 0.1. Gradients (2, -4), (-2, 4), (2, -4) keep |g| fixed, so the
// bias-corrected v_hat is (4, 16) at every step, but only if bias correction 2 is right:
//   v1 = 0.5*(4, 16) = (2, 8), bc2 = 0.5   -> v_hat = (4, 16)
//   v2 = 0.5*v1 + 0.5*(4, 16) = (3, 12), bc2 = 0.75  -> (4, 16)
//   v3 = 0.5*v2 + 0.5*(4, 16) = (3.5, 14), bc2 = 0.875 -> (4, 16)
// so the denominators are sqrt(v_hat) + eps = (3, 5) throughout. First moments:
//   m1 = 0.5*(2, -4) = (1, -2),          bc1 = 0.5   -> m_hat = (2, -4)
//   m2 = 0.5*m1 + 0.5*(-2, 4) = (-0.5, 1), bc1 = 0.75 -> m_hat = (-2/3, 4/3)
//   m3 = 0.5*m2 + 0.5*(2, -4) = (0.75, -1.5), bc1 = 0.875 -> m_hat = (6/7, -12/7)
// Updates lr * m_hat / (3, 5):
//   u1 = (0.2/3, -0.08),  u2 = (-0.2/9, 0.4/15),  u3 = (0.2/7, -0.12/3.5)
const std::vector<std::vector<double>> kAdamGrads{{2.0, -4.0}, {-2.0, 4.0}, {2.0, -4.0}};
const std::vector<std::vector<double>> kAdamUpdates{
    {0.2 / 3, -0.08}, {-0.2 / 9, 0.4 / 15}, {0.2 / 7, -0.12 / 3.5}};

AdamParams hand_adam() {
  AdamParams ap;
  ap.lr = 0.1;
  ap.beta1 = 0.5;
  ap.beta2 = 0.5;
  ap.eps = 1.0;
  return ap;
}

TEST(AdamUpdateRef, ThreeStepsBiasCorrection) {
  AdamParams ap = hand_adam();
  std::vector<double> p{1.0, -1.0}, m(2, 0.0), v(2, 0.0);
  std::vector<double> want = p;
  const std::vector<std::vector<double>> want_m{{1.0, -2.0}, {-0.5, 1.0}, {0.75, -1.5}};
  const std::vector<std::vector<double>> want_v{{2.0, 8.0}, {3.0, 12.0}, {3.5, 14.0}};
  for (int t = 0; t < 3; ++t) {
    ap.step = t + 1;
    adam_update_ref<double>(ap, 2, p.data(), kAdamGrads[t].data(), m.data(), v.data());
    for (int i = 0; i < 2; ++i) want[i] -= kAdamUpdates[t][i];
    expect_near_all(m, want_m[t], "m");
    expect_near_all(v, want_v[t], "v");
    expect_near_all(p, want, "p");
  }
  // p3 = (1 - 0.2/3 + 0.2/9 - 0.2/7, -1 + 0.08 - 0.4/15 + 0.12/3.5), spelled out once more.
  EXPECT_NEAR(p[0], 1.0 - 0.2 / 3 + 0.2 / 9 - 0.2 / 7, kHandTol);
  EXPECT_NEAR(p[1], -1.0 + 0.08 - 0.4 / 15 + 0.12 / 3.5, kHandTol);
}

TEST(AdamUpdateRef, AdamWDecaysDecoupled) {
  // AdamW with wd = 0.5: m and v see the raw gradient (same as above), and before each update
  // p *= 1 - lr*wd = 0.95. So p_{t} = 0.95 p_{t-1} - u_t.
  AdamParams ap = hand_adam();
  ap.weight_decay = 0.5;
  ap.decoupled = true;
  std::vector<double> p{1.0, -1.0}, m(2, 0.0), v(2, 0.0);
  std::vector<double> want = p;
  for (int t = 0; t < 3; ++t) {
    ap.step = t + 1;
    adam_update_ref<double>(ap, 2, p.data(), kAdamGrads[t].data(), m.data(), v.data());
    for (int i = 0; i < 2; ++i) want[i] = 0.95 * want[i] - kAdamUpdates[t][i];
    expect_near_all(p, want, "p");
  }
  // Step 1 by hand: p1 = (0.95 - 0.2/3, -0.95 + 0.08).
  // (The loop above checked all three; this pins the first against a literal.)
  std::vector<double> q{1.0, -1.0}, m1(2, 0.0), v1(2, 0.0);
  ap.step = 1;
  adam_update_ref<double>(ap, 2, q.data(), kAdamGrads[0].data(), m1.data(), v1.data());
  expect_near_all(q, {0.95 - 0.2 / 3, -0.87}, "p1");
  expect_near_all(m1, {1.0, -2.0}, "m1 (raw gradient, no decay term)");
}

TEST(AdamUpdateRef, AdamL2CoupledDecay) {
  // Adam with wd = 0.5 adds wd*p to the gradient. p = (2, -2), grad = (2, -4):
  //   g = (2 + 1, -4 - 1) = (3, -5);  m = (1.5, -2.5), v = 0.5*(9, 25) = (4.5, 12.5)
  //   m_hat = (3, -5), v_hat = (9, 25), denom = (3 + 1, 5 + 1) = (4, 6)
  //   p = (2 - 0.1*0.75, -2 + 0.1*5/6) = (1.925, -2 + 1/12)
  AdamParams ap = hand_adam();
  ap.weight_decay = 0.5;
  ap.step = 1;
  std::vector<double> p{2.0, -2.0}, m(2, 0.0), v(2, 0.0);
  const std::vector<double> g{2.0, -4.0};
  adam_update_ref<double>(ap, 2, p.data(), g.data(), m.data(), v.data());
  expect_near_all(m, {1.5, -2.5}, "m");
  expect_near_all(v, {4.5, 12.5}, "v");
  expect_near_all(p, {1.925, -2.0 + 1.0 / 12}, "p");
}

// ---- RMSprop ------------------------------------------------------------------------------------
// alpha = 0.75, eps = 1, lr = 0.1, p = (1, -1), grads (2, -4) then (-1, 2):
//   sq1 = 0.25*(4, 16) = (1, 4);                  d1 = (2/(1+1), -4/(2+1)) = (1, -4/3)
//   sq2 = 0.75*(1, 4) + 0.25*(1, 4) = (1, 4);     d2 = (-1/2, 2/3)
RmspropParams hand_rmsprop() {
  RmspropParams rp;
  rp.lr = 0.1;
  rp.alpha = 0.75;
  rp.eps = 1.0;
  return rp;
}
const std::vector<std::vector<double>> kRmsGrads{{2.0, -4.0}, {-1.0, 2.0}};

TEST(RmspropUpdateRef, NoMomentum) {
  // p1 = (1 - 0.1, -1 + 0.4/3) = (0.9, -13/15);  p2 = p1 - 0.1 d2 = (0.95, -13/15 - 1/15) = (0.95, -14/15)
  RmspropParams rp = hand_rmsprop();
  std::vector<double> p{1.0, -1.0}, sq(2, 0.0);
  rmsprop_update_ref<double>(rp, 2, p.data(), kRmsGrads[0].data(), sq.data(), nullptr);
  expect_near_all(sq, {1.0, 4.0}, "sq1");
  expect_near_all(p, {0.9, -13.0 / 15}, "p1");
  rmsprop_update_ref<double>(rp, 2, p.data(), kRmsGrads[1].data(), sq.data(), nullptr);
  expect_near_all(sq, {1.0, 4.0}, "sq2");
  expect_near_all(p, {0.95, -14.0 / 15}, "p2");
}

TEST(RmspropUpdateRef, WithMomentum) {
  // momentum 0.9: buf1 = d1 = (1, -4/3);  p1 = (0.9, -13/15)
  //               buf2 = 0.9 buf1 + d2 = (0.9 - 0.5, -1.2 + 2/3) = (0.4, -8/15)
  //               p2 = p1 - 0.1 buf2 = (0.86, -13/15 + 0.8/15) = (0.86, -12.2/15)
  RmspropParams rp = hand_rmsprop();
  rp.momentum = 0.9;
  std::vector<double> p{1.0, -1.0}, sq(2, 0.0), buf(2, 0.0);
  rmsprop_update_ref<double>(rp, 2, p.data(), kRmsGrads[0].data(), sq.data(), buf.data());
  expect_near_all(buf, {1.0, -4.0 / 3}, "buf1");
  expect_near_all(p, {0.9, -13.0 / 15}, "p1");
  rmsprop_update_ref<double>(rp, 2, p.data(), kRmsGrads[1].data(), sq.data(), buf.data());
  expect_near_all(buf, {0.4, -8.0 / 15}, "buf2");
  expect_near_all(p, {0.86, -12.2 / 15}, "p2");
}

TEST(RmspropUpdateRef, WeightDecayAddsToGradient) {
  // wd = 0.5, p = (2, -2), grad = (1, -3): g = (1 + 1, -3 - 1) = (2, -4), the same as the first
  // step above, so d = (1, -4/3) and p = (2 - 0.1, -2 + 0.4/3) = (1.9, -2 + 2/15).
  RmspropParams rp = hand_rmsprop();
  rp.weight_decay = 0.5;
  std::vector<double> p{2.0, -2.0}, sq(2, 0.0);
  const std::vector<double> g{1.0, -3.0};
  rmsprop_update_ref<double>(rp, 2, p.data(), g.data(), sq.data(), nullptr);
  expect_near_all(sq, {1.0, 4.0}, "sq");
  expect_near_all(p, {1.9, -2.0 + 2.0 / 15}, "p");
}

// ---- float vs double -------------------------------------------------------------------------------
// Both instantiations compute in double; the float one additionally rounds each stored value (param
// and state) to float after every step, a relative error of at most 2^-25 ~ 3e-8 per store. Here
// |p| < 2.5 and the state stays below ~10, so one step's param rounding is < 1e-7, and a state
// rounding reaches the param scaled by lr (<= 0.05) and, through momentum, at most 1/(1 - 0.9) = 10
// times: < 2e-7 per step. Accumulated linearly over 8 steps that is < 3e-6 (random signs make the
// real error several times smaller); we allow 1e-5, still far below any formula error (>= 1e-3 here).
// n = 100003 (odd, prime) so the OpenMP split and the simd remainder are both exercised.
constexpr int64_t kN = 100003;
constexpr int kSteps = 8;
constexpr double kFloatTol = 1e-5;

struct Arrays {
  std::vector<double> p, a, b;
  std::vector<std::vector<double>> g;
};

Arrays random_arrays() {
  Arrays r;
  r.p = test::random_vector(kN, 11);  // the same seed is used for `start` below
  r.a.assign(kN, 0.0);
  r.b.assign(kN, 0.0);
  for (int t = 0; t < kSteps; ++t) r.g.push_back(test::random_vector(kN, 100 + t));
  return r;
}

template <typename F>
void compare_float_double(const char* name, F update) {
  Arrays d = random_arrays();
  std::vector<float> fp = test::to_float(d.p), fa(kN, 0.0f), fb(kN, 0.0f);
  // Start both from the same float-representable values so only the per-step rounding differs.
  d.p.assign(fp.begin(), fp.end());
  for (int t = 0; t < kSteps; ++t) {
    const std::vector<float> fg = test::to_float(d.g[t]);
    d.g[t].assign(fg.begin(), fg.end());
    update(t, d.p.data(), d.g[t].data(), d.a.data(), d.b.data());
    update(t, fp.data(), fg.data(), fa.data(), fb.data());
  }
  double worst = 0.0, moved = 0.0;
  const std::vector<double> start = test::random_vector(kN, 11);
  for (int64_t i = 0; i < kN; ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(fp[i]) - d.p[i]));
    moved = std::max(moved, std::abs(d.p[i] - static_cast<double>(static_cast<float>(start[i]))));
  }
  EXPECT_LT(worst, kFloatTol) << name;
  EXPECT_GT(moved, 1e-3) << name << ": parameters did not move; the comparison would be vacuous";
}

TEST(OptimUpdateRef, FloatMatchesDoubleSgdNesterovDecay) {
  SgdParams sp;
  sp.lr = 0.05;
  sp.momentum = 0.9;
  sp.nesterov = true;
  sp.weight_decay = 1e-2;
  compare_float_double("sgd", [&](int, auto* p, const auto* g, auto* a, auto*) {
    using T = std::remove_pointer_t<decltype(p)>;
    sgd_update_ref<T>(sp, kN, p, g, a);
  });
}

TEST(OptimUpdateRef, FloatMatchesDoubleAdamW) {
  AdamParams ap;
  ap.lr = 0.01;
  ap.weight_decay = 0.1;
  ap.decoupled = true;
  compare_float_double("adamw", [&](int t, auto* p, const auto* g, auto* a, auto* b) {
    using T = std::remove_pointer_t<decltype(p)>;
    AdamParams q = ap;
    q.step = t + 1;
    adam_update_ref<T>(q, kN, p, g, a, b);
  });
}

TEST(OptimUpdateRef, FloatMatchesDoubleAdamL2) {
  AdamParams ap;
  ap.lr = 0.01;
  ap.weight_decay = 1e-3;
  compare_float_double("adam", [&](int t, auto* p, const auto* g, auto* a, auto* b) {
    using T = std::remove_pointer_t<decltype(p)>;
    AdamParams q = ap;
    q.step = t + 1;
    adam_update_ref<T>(q, kN, p, g, a, b);
  });
}

TEST(OptimUpdateRef, FloatMatchesDoubleRmspropMomentum) {
  RmspropParams rp;
  rp.lr = 1e-3;
  rp.momentum = 0.9;
  rp.weight_decay = 1e-3;
  compare_float_double("rmsprop", [&](int, auto* p, const auto* g, auto* a, auto* b) {
    using T = std::remove_pointer_t<decltype(p)>;
    rmsprop_update_ref<T>(rp, kN, p, g, a, b);
  });
}

// ---- argument checks ----------------------------------------------------------------------------

TEST(OptimUpdateRef, RejectsMissingStateAndBadStep) {
  std::vector<float> p(4, 1.0f), g(4, 1.0f), s(4, 0.0f);
  SgdParams sp;
  sp.momentum = 0.9;
  EXPECT_THROW(sgd_update_ref<float>(sp, 4, p.data(), g.data(), nullptr), Error);
  sp.momentum = 0.0;
  sp.nesterov = true;
  EXPECT_THROW(sgd_update_ref<float>(sp, 4, p.data(), g.data(), nullptr), Error);
  AdamParams ap;
  ap.step = 0;
  EXPECT_THROW(adam_update_ref<float>(ap, 4, p.data(), g.data(), s.data(), s.data()), Error);
  RmspropParams rp;
  rp.momentum = 0.5;
  EXPECT_THROW(rmsprop_update_ref<float>(rp, 4, p.data(), g.data(), s.data(), nullptr), Error);
  SgdParams bad_lr;
  bad_lr.lr = std::nan("");
  EXPECT_THROW(sgd_update_ref<float>(bad_lr, 4, p.data(), g.data(), nullptr), Error);
  // Nothing was modified by the rejected calls.
  for (float x : p) EXPECT_EQ(x, 1.0f);
}

}  // namespace
}  // namespace gd
