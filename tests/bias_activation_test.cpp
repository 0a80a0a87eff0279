// Fused bias + activation reference: a hand-computed case; the forward bit-identical to
// "y += b, then activation_forward_ref" and the backward's dpre bit-identical to
// activation_backward_ref (float and double, every fusable activation, with and without bias,
// awkward shapes on both the serial and the multithreaded paths); db against a double sum; db
// against central differences in double; in-place dpre == dy; gelu and bad extents rejected.
#include "engine/ops/bias_activation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/core/error.h"
#include "tests/support/epilogue_extents.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

using test::Extents;
using test::kFusable;
// Outer 1, 33, 257; inner 1 (dense, lc2d) and 7x5 (conv2d); one past a SIMD width and a column
// block (65 channels). The last two have >= 2^15 elements: the OpenMP paths.
const Extents kShapes[] = {{1, 5, 1},  {33, 65, 1},  {257, 3, 1}, {1, 4, 35},
                           {33, 7, 35}, {257, 130, 1}, {257, 4, 35}};

template <typename T>
std::vector<T> values(int64_t n, uint64_t seed, double lo, double hi) {
  const std::vector<double> v = test::random_vector(static_cast<size_t>(n), seed, lo, hi);
  return std::vector<T>(v.begin(), v.end());
}

template <typename T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

// The unfused composition: y += b[c] (if b), then the activation layer's forward.
template <typename T>
std::vector<T> unfused_forward(Activation a, const Extents& e, const T* b, std::vector<T> y) {
  if (b) {
    for (int64_t o = 0; o < e.outer; ++o)
      for (int64_t c = 0; c < e.channels; ++c)
        for (int64_t i = 0; i < e.inner; ++i) y[(o * e.channels + c) * e.inner + i] += b[c];
  }
  std::vector<T> out(y.size());
  activation_forward_ref<T>(a, e.total(), y.data(), out.data());
  return out;
}

template <typename T>
void check_forward_bits() {
  for (Activation a : kFusable) {
    for (const Extents& e : kShapes) {
      for (bool with_bias : {true, false}) {
        SCOPED_TRACE(std::string(activation_name(a)) + " " + e.str() + (with_bias ? " bias" : " no bias"));
        const auto pre = values<T>(e.total(), 1 + e.total(), -2.0, 2.0);
        const auto b = values<T>(e.channels, 2 + e.channels, -1.0, 1.0);
        const T* bp = with_bias ? b.data() : nullptr;
        const std::vector<T> want = unfused_forward<T>(a, e, bp, pre);
        std::vector<T> got = pre;
        bias_activation_forward_ref<T>(a, e.outer, e.channels, e.inner, bp, got.data());
        EXPECT_TRUE(same_bits(got, want)) << "fused forward differs from add-then-activation";
      }
    }
  }
}

TEST(BiasActivationRef, ForwardIsBitIdenticalToAddThenActivationFloat) { check_forward_bits<float>(); }
TEST(BiasActivationRef, ForwardIsBitIdenticalToAddThenActivationDouble) { check_forward_bits<double>(); }

// Backward on y = act(pre): dpre bit-identical to activation_backward_ref; db within the rounding of
// the final conversion plus that of a double sum of L = outer*inner terms:
//   |db - sum| <= eps_T/2 |sum| + L eps_double sum|dpre|   (the first term is 0 for T = double).
template <typename T>
void check_backward() {
  for (Activation a : kFusable) {
    for (const Extents& e : kShapes) {
      SCOPED_TRACE(std::string(activation_name(a)) + " " + e.str());
      const int64_t n = e.total();
      std::vector<T> y(n);
      const auto pre = values<T>(n, 3 + n, -2.0, 2.0);
      activation_forward_ref<T>(a, n, pre.data(), y.data());
      const auto dy = values<T>(n, 4 + n, -1.0, 1.0);
      std::vector<T> want_dpre(n);
      activation_backward_ref<T>(a, n, nullptr, y.data(), dy.data(), want_dpre.data());

      std::vector<T> dpre = test::nans<T>(n), db = test::nans<T>(e.channels);
      bias_activation_backward_ref<T>(a, e.outer, e.channels, e.inner, y.data(), dy.data(), dpre.data(),
                                      db.data());
      EXPECT_TRUE(same_bits(dpre, want_dpre)) << "dpre differs from activation_backward_ref";

      const int64_t len = e.outer * e.inner;
      const double eps_t = std::is_same_v<T, float> ? std::numeric_limits<float>::epsilon() : 0.0;
      const double eps_d = std::numeric_limits<double>::epsilon();
      bool any = false;
      for (int64_t c = 0; c < e.channels; ++c) {
        double sum = 0.0, abs_sum = 0.0;
        for (int64_t o = 0; o < e.outer; ++o)
          for (int64_t i = 0; i < e.inner; ++i) {
            const double d = want_dpre[(o * e.channels + c) * e.inner + i];
            sum += d;
            abs_sum += std::abs(d);
          }
        const double tol = 0.5 * eps_t * std::abs(sum) + double(len) * eps_d * abs_sum;
        ASSERT_NEAR(db[c], sum, tol) << "db at channel " << c << " (reduction length " << len << ")";
        any |= db[c] != T(0);
      }
      EXPECT_TRUE(any) << "db is all zeros";

      // Without db: the same dpre, and nothing else is needed.
      std::vector<T> dpre2 = test::nans<T>(n);
      bias_activation_backward_ref<T>(a, e.outer, e.channels, e.inner, y.data(), dy.data(), dpre2.data(),
                                      nullptr);
      EXPECT_TRUE(same_bits(dpre2, want_dpre)) << "dpre without db";

      // In place: dpre == dy.
      std::vector<T> g = dy, db3(e.channels);
      bias_activation_backward_ref<T>(a, e.outer, e.channels, e.inner, y.data(), g.data(), g.data(),
                                      db3.data());
      EXPECT_TRUE(same_bits(g, want_dpre)) << "in-place dpre";
      EXPECT_TRUE(same_bits(db3, db)) << "in-place db";
    }
  }
}

TEST(BiasActivationRef, BackwardMatchesActivationBackwardAndColumnSumsFloat) { check_backward<float>(); }
TEST(BiasActivationRef, BackwardMatchesActivationBackwardAndColumnSumsDouble) { check_backward<double>(); }

TEST(BiasActivationRef, HandComputed) {
  // (outer 2, channels 2, inner 1), relu: pre = [[1,-3],[-0.5,2]], b = [0.25,1]
  //   y = relu([[1.25,-2],[-0.25,3]]) = [[1.25,0],[0,3]]
  //   dy = [[2,5],[7,-1]] -> dpre = dy where y > 0 = [[2,0],[0,-1]], db = [2,-1]
  std::vector<double> y = {1, -3, -0.5, 2};
  const std::vector<double> b = {0.25, 1}, dy = {2, 5, 7, -1};
  bias_activation_forward_ref<double>(Activation::ReLU, 2, 2, 1, b.data(), y.data());
  EXPECT_EQ(y, (std::vector<double>{1.25, 0, 0, 3}));
  std::vector<double> dpre(4), db(2);
  bias_activation_backward_ref<double>(Activation::ReLU, 2, 2, 1, y.data(), dy.data(), dpre.data(), db.data());
  EXPECT_EQ(dpre, (std::vector<double>{2, 0, 0, -1}));
  EXPECT_EQ(db, (std::vector<double>{2, -1}));

  // (1, 1, 2), tanh, b = [0.5]: pre = [0, -0.5] -> y = [tanh(0.5), 0]; dy = [1, 1]:
  //   dpre = 1 - y^2 = [1 - tanh(0.5)^2, 1], db = 2 - tanh(0.5)^2.
  const double t = std::tanh(0.5);
  std::vector<double> y2 = {0.0, -0.5};
  const std::vector<double> b2 = {0.5}, dy2 = {1, 1};
  bias_activation_forward_ref<double>(Activation::Tanh, 1, 1, 2, b2.data(), y2.data());
  EXPECT_DOUBLE_EQ(y2[0], t);
  EXPECT_EQ(y2[1], 0.0);
  std::vector<double> dpre2(2), db2(1);
  bias_activation_backward_ref<double>(Activation::Tanh, 1, 1, 2, y2.data(), dy2.data(), dpre2.data(), db2.data());
  EXPECT_DOUBLE_EQ(dpre2[0], 1 - t * t);
  EXPECT_DOUBLE_EQ(dpre2[1], 1.0);
  EXPECT_DOUBLE_EQ(db2[0], 2 - t * t);
}

// db and dpre are the gradients of L = dot(R, act(pre + b)) in b and in pre: central differences in
// double on a conv-like (3, 2, 4) tensor. ReLU and ELU have kinks at 0 (in the function or its
// derivative): points within 100h of one are skipped.
TEST(BiasActivationRef, GradientsMatchFiniteDifferences) {
  const Extents e{3, 2, 4};
  const int64_t n = e.total();
  const auto pre0 = values<double>(n, 21, -2.0, 2.0);
  const auto r = values<double>(n, 22, -1.0, 1.0);
  for (Activation a : kFusable) {
    SCOPED_TRACE(activation_name(a));
    std::vector<double> params = values<double>(e.channels, 23, -0.5, 0.5);  // b
    params.insert(params.end(), pre0.begin(), pre0.end());                   // then pre
    auto loss = [&]() {
      std::vector<double> y(params.begin() + e.channels, params.end());
      bias_activation_forward_ref<double>(a, e.outer, e.channels, e.inner, params.data(), y.data());
      double l = 0;
      for (int64_t i = 0; i < n; ++i) l += r[i] * y[i];
      return l;
    };
    std::vector<double> y(params.begin() + e.channels, params.end());
    bias_activation_forward_ref<double>(a, e.outer, e.channels, e.inner, params.data(), y.data());
    std::vector<double> dpre(n), db(e.channels);
    bias_activation_backward_ref<double>(a, e.outer, e.channels, e.inner, y.data(), r.data(), dpre.data(),
                                         db.data());
    std::vector<double> analytic = db;
    analytic.insert(analytic.end(), dpre.begin(), dpre.end());
    const double h = 1e-6;
    auto near_kink = [&](size_t k) {
      if (a != Activation::ReLU && a != Activation::ELU) return false;
      for (int64_t i = 0; i < n; ++i) {  // a kink of any element the parameter moves
        const int64_t c = (i / e.inner) % e.channels;
        const bool moved = k < size_t(e.channels) ? int64_t(k) == c : int64_t(k) - e.channels == i;
        if (moved && std::abs(params[e.channels + i] + params[c]) < 100 * h) return true;
      }
      return false;
    };
    EXPECT_LT(test::max_gradient_error(params, loss, analytic, h, near_kink), 1e-7);
  }
}

TEST(BiasActivationRef, GeluIsNotFusable) {
  for (Activation a : kFusable) EXPECT_TRUE(activation_fusable(a)) << activation_name(a);
  EXPECT_FALSE(activation_fusable(Activation::GELU));
  std::vector<float> y(4, 0.5f), dy(4, 1.0f), dpre(4), db(2);
  EXPECT_THROW(bias_activation_forward_ref<float>(Activation::GELU, 2, 2, 1, nullptr, y.data()), ConfigError);
  EXPECT_THROW(bias_activation_backward_ref<float>(Activation::GELU, 2, 2, 1, y.data(), dy.data(), dpre.data(),
                                                   db.data()),
               ConfigError);
}

TEST(BiasActivationRef, RejectsEmptyExtentsAndNullBuffers) {
  std::vector<float> y(4), dy(4), dpre(4), db(2);
  EXPECT_THROW(bias_activation_forward_ref<float>(Activation::ReLU, 0, 2, 1, nullptr, y.data()), ShapeError);
  EXPECT_THROW(bias_activation_forward_ref<float>(Activation::ReLU, 2, 0, 1, nullptr, y.data()), ShapeError);
  EXPECT_THROW(bias_activation_forward_ref<float>(Activation::ReLU, 2, 2, 0, nullptr, y.data()), ShapeError);
  EXPECT_THROW(bias_activation_backward_ref<float>(Activation::Tanh, 2, -1, 1, y.data(), dy.data(), dpre.data(),
                                                   db.data()),
               ShapeError);
  EXPECT_THROW(bias_activation_forward_ref<float>(Activation::ReLU, 2, 2, 1, nullptr, nullptr), Error);
  EXPECT_THROW(bias_activation_backward_ref<float>(Activation::ReLU, 2, 2, 1, y.data(), nullptr, dpre.data(),
                                                   db.data()),
               Error);
}

}  // namespace
}  // namespace gd
