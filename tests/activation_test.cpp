// Element-wise activations: hand-computed values, finite-difference gradients in double, the float
// path (including the multithreaded one) against double, in-place use, and name parsing.
#include "engine/ops/activation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

const Activation kAll[] = {Activation::ReLU, Activation::Tanh, Activation::Sigmoid, Activation::ELU,
                           Activation::GELU};

std::vector<double> forward(Activation a, const std::vector<double>& x) {
  std::vector<double> y(x.size());
  activation_forward_ref<double>(a, static_cast<int64_t>(x.size()), x.data(), y.data());
  return y;
}

TEST(Activation, HandComputedForward) {
  const std::vector<double> x = {-2.0, -0.5, 0.0, 0.5, 2.0};
  // ReLU: negative part clipped.
  const std::vector<double> relu = {0.0, 0.0, 0.0, 0.5, 2.0};
  // tanh(0.5) = (e - 1)/(e + 1) = 0.46211715726000974; tanh(2) = (e^4 - 1)/(e^4 + 1) = 0.9640275800758169.
  const std::vector<double> tanh_v = {-0.9640275800758169, -0.46211715726000974, 0.0, 0.46211715726000974,
                                      0.9640275800758169};
  // sigmoid(2) = 1/(1 + e^-2) = 0.8807970779778823; sigmoid(-x) = 1 - sigmoid(x);
  // sigmoid(0.5) = 1/(1 + e^-0.5) = 0.6224593312018546.
  const std::vector<double> sig = {1 - 0.8807970779778823, 1 - 0.6224593312018546, 0.5, 0.6224593312018546,
                                   0.8807970779778823};
  // ELU(x<=0) = e^x - 1: e^-2 - 1 = -0.8646647167633873, e^-0.5 - 1 = -0.3934693402873666.
  const std::vector<double> elu = {-0.8646647167633873, -0.3934693402873666, 0.0, 0.5, 2.0};
  // GELU = x * Phi(x); Phi(0.5) = 0.6914624612740131, Phi(2) = 0.9772498680518208, Phi(-x) = 1 - Phi(x).
  const std::vector<double> gelu = {-2.0 * (1 - 0.9772498680518208), -0.5 * (1 - 0.6914624612740131), 0.0,
                                    0.5 * 0.6914624612740131, 2.0 * 0.9772498680518208};
  const std::vector<std::pair<Activation, std::vector<double>>> cases = {
      {Activation::ReLU, relu}, {Activation::Tanh, tanh_v}, {Activation::Sigmoid, sig},
      {Activation::ELU, elu},   {Activation::GELU, gelu}};
  for (const auto& [a, expect] : cases) {
    const std::vector<double> y = forward(a, x);
    // The hand values are given to 16 significant digits; libm is within an ulp or two.
    for (size_t i = 0; i < x.size(); ++i)
      EXPECT_NEAR(y[i], expect[i], 1e-15) << activation_name(a) << " at x = " << x[i];
  }
}

TEST(Activation, HandComputedBackward) {
  const std::vector<double> x = {-1.0, 0.0, 1.0};
  const std::vector<double> dy = {3.0, 3.0, 3.0};
  std::vector<double> dx(3);
  // ReLU'(0) = 0 by contract, so the middle element gets no gradient.
  std::vector<double> y = forward(Activation::ReLU, x);
  activation_backward_ref<double>(Activation::ReLU, 3, x.data(), y.data(), dy.data(), dx.data());
  EXPECT_EQ(dx, (std::vector<double>{0.0, 0.0, 3.0}));
  // ELU'(x) = e^x for x <= 0, 1 above: 3*e^-1 = 1.1036383235143269, 3*1, 3*1.
  y = forward(Activation::ELU, x);
  activation_backward_ref<double>(Activation::ELU, 3, x.data(), y.data(), dy.data(), dx.data());
  EXPECT_NEAR(dx[0], 1.1036383235143269, 1e-15);
  EXPECT_NEAR(dx[1], 3.0, 1e-15);
  EXPECT_NEAR(dx[2], 3.0, 1e-15);
  // GELU'(0) = Phi(0) = 1/2; GELU'(1) = Phi(1) + phi(1) = 0.8413447460685429 + 0.24197072451914337.
  y = forward(Activation::GELU, x);
  activation_backward_ref<double>(Activation::GELU, 3, x.data(), y.data(), dy.data(), dx.data());
  EXPECT_NEAR(dx[1], 1.5, 1e-15);
  EXPECT_NEAR(dx[2], 3.0 * (0.8413447460685429 + 0.24197072451914337), 1e-14);
  // Sigmoid'(0) = 1/4, tanh'(0) = 1.
  y = forward(Activation::Sigmoid, x);
  activation_backward_ref<double>(Activation::Sigmoid, 3, x.data(), y.data(), dy.data(), dx.data());
  EXPECT_DOUBLE_EQ(dx[1], 0.75);
  y = forward(Activation::Tanh, x);
  activation_backward_ref<double>(Activation::Tanh, 3, x.data(), y.data(), dy.data(), dx.data());
  EXPECT_DOUBLE_EQ(dx[1], 3.0);
}

// f(x) = dot(R, act(x)); its gradient is backward(dy = R).
TEST(Activation, GradientMatchesFiniteDifferencesInDouble) {
  const double h = 1e-6;
  for (Activation a : kAll) {
    for (size_t n : {size_t{1}, size_t{7}, size_t{33}, size_t{257}}) {
      std::vector<double> x = test::random_vector(n, 11 + n, -3.0, 3.0);
      const std::vector<double> r = test::random_vector(n, 97 + n);
      const std::vector<double> y = forward(a, x);
      std::vector<double> analytic(n, std::nan(""));
      activation_backward_ref<double>(a, static_cast<int64_t>(n), x.data(), y.data(), r.data(),
                                      analytic.data());
      auto f = [&] {
        const std::vector<double> yy = forward(a, x);
        double s = 0.0;
        for (size_t i = 0; i < n; ++i) s += r[i] * yy[i];
        return s;
      };
      // ReLU has a kink and ELU a kink in its second derivative at 0: skip points within 100h.
      auto skip = [&](size_t i) { return std::abs(x[i]) < 100 * h; };
      // Central differences: truncation ~h^2 * |f'''| ~ 1e-12, rounding ~ 1e-16 * |f| / h ~ 1e-9.
      EXPECT_LT(test::max_gradient_error(x, f, analytic, h, skip), 1e-6)
          << activation_name(a) << " n=" << n;
    }
  }
}

// The float path (serial for small n, OpenMP above its threshold) against the double reference.
TEST(Activation, FloatMatchesDoubleIncludingParallelPath) {
  for (Activation a : kAll) {
    for (size_t n : {size_t{5}, size_t{100003}}) {
      const std::vector<double> xd = test::random_vector(n, 5, -4.0, 4.0);
      const std::vector<double> rd = test::random_vector(n, 6);
      const std::vector<float> xf = test::to_float(xd), rf = test::to_float(rd);
      const std::vector<double> xfd(xf.begin(), xf.end()), rfd(rf.begin(), rf.end());
      std::vector<double> yd(n), dxd(n);
      std::vector<float> yf(n), dxf(n);
      activation_forward_ref<double>(a, n, xfd.data(), yd.data());
      activation_backward_ref<double>(a, n, xfd.data(), yd.data(), rfd.data(), dxd.data());
      activation_forward_ref<float>(a, n, xf.data(), yf.data());
      activation_backward_ref<float>(a, n, xf.data(), yf.data(), rf.data(), dxf.data());
      // Each output is a few libm float operations on O(1) values: a handful of float ulps.
      const double tol = test::float_tolerance(1);
      double worst_y = 0.0, worst_dx = 0.0;
      for (size_t i = 0; i < n; ++i) {
        worst_y = std::max(worst_y, std::abs(yf[i] - yd[i]));
        worst_dx = std::max(worst_dx, std::abs(dxf[i] - dxd[i]));
      }
      EXPECT_LT(worst_y, tol) << activation_name(a) << " n=" << n;
      EXPECT_LT(worst_dx, tol) << activation_name(a) << " n=" << n;
    }
  }
}

// In-place forward; backward of relu/tanh/sigmoid/elu from y alone (x = nullptr).
TEST(Activation, InPlaceForwardAndBackwardFromOutputOnly) {
  const size_t n = 65;
  const std::vector<double> x = test::random_vector(n, 8, -2.0, 2.0);
  const std::vector<double> dy = test::random_vector(n, 9);
  for (Activation a : kAll) {
    const std::vector<double> y = forward(a, x);
    std::vector<double> in_place = x;
    activation_forward_ref<double>(a, n, in_place.data(), in_place.data());
    EXPECT_EQ(in_place, y) << activation_name(a);
    std::vector<double> dx_ref(n), dx(n);
    activation_backward_ref<double>(a, n, x.data(), y.data(), dy.data(), dx_ref.data());
    if (a == Activation::GELU) continue;
    activation_backward_ref<double>(a, n, nullptr, in_place.data(), dy.data(), dx.data());
    EXPECT_EQ(dx, dx_ref) << activation_name(a);
  }
}

TEST(Activation, SaturatesWithoutNaN) {
  const std::vector<float> x = {-1000.0f, -90.0f, 90.0f, 1000.0f};
  for (Activation a : kAll) {
    std::vector<float> y(x.size()), dx(x.size());
    const std::vector<float> dy(x.size(), 1.0f);
    activation_forward_ref<float>(a, 4, x.data(), y.data());
    activation_backward_ref<float>(a, 4, x.data(), y.data(), dy.data(), dx.data());
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_TRUE(std::isfinite(y[i])) << activation_name(a) << " x=" << x[i];
      EXPECT_TRUE(std::isfinite(dx[i])) << activation_name(a) << " x=" << x[i];
    }
  }
}

TEST(Activation, ParseAndNameRoundTrip) {
  for (Activation a : kAll) EXPECT_EQ(parse_activation(activation_name(a)), a);
  EXPECT_EQ(parse_activation("ReLU"), Activation::ReLU);
  EXPECT_THROW(parse_activation("swish"), ConfigError);
  try {
    parse_activation("swish");
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'swish'"), std::string::npos) << e.what();
  }
}

TEST(Activation, NegativeCountThrows) {
  float v = 0.0f;
  EXPECT_THROW(activation_forward_ref<float>(Activation::ReLU, -1, &v, &v), ShapeError);
}

}  // namespace
}  // namespace gd
