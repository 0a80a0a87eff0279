// Fused softmax cross-entropy: a hand-computed batch (loss, per-sample loss, gradient, correct
// count), stability at large logits, label smoothing against the direct formula, the gradient of
// the mean loss against finite differences in double, ties, float against double on the
// multithreaded path, softmax_ref, and the error cases (bad label, NaN/inf logit, bad options).
#include "engine/ops/softmax_xent.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

SoftmaxXentShape shape(int64_t n, int64_t c, double smoothing = 0.0) {
  SoftmaxXentShape s;
  s.n = n;
  s.c = c;
  s.label_smoothing = smoothing;
  return s;
}

std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// N = 3, C = 3:
//   row 0: (0, ln 2, ln 5)  exp -> (1, 2, 5), sum 8: p = (1/8, 2/8, 5/8); label 2: loss ln(8/5);
//          argmax 2 == label -> correct
//   row 1: (1, 1, 1)         p = 1/3 each; label 0: loss ln 3; all tie, first max is 0 -> correct
//   row 2: (2, 0, 0)         p = (e^2, 1, 1)/(e^2 + 2); label 1: loss ln(e^2 + 2); argmax 0 != 1
// mean loss = (ln 1.6 + ln 3 + ln(e^2 + 2))/3; dlogits = (p - onehot)/3; correct = 2.
TEST(SoftmaxXent, HandCase) {
  const double l2 = std::log(2.0), l5 = std::log(5.0), e2 = std::exp(2.0);
  const std::vector<double> logits = {0, l2, l5, 1, 1, 1, 2, 0, 0};
  const std::vector<int32_t> labels = {2, 0, 1};
  std::vector<double> loss(3), g(9);
  int64_t correct = -1;
  const double mean = softmax_xent_forward_backward_ref<double>(shape(3, 3), logits.data(), labels.data(),
                                                                loss.data(), g.data(), &correct);
  EXPECT_NEAR(loss[0], std::log(1.6), 1e-15);
  EXPECT_NEAR(loss[1], std::log(3.0), 1e-15);
  EXPECT_NEAR(loss[2], std::log(e2 + 2), 1e-15);
  EXPECT_NEAR(mean, (std::log(1.6) + std::log(3.0) + std::log(e2 + 2)) / 3, 1e-15);
  EXPECT_EQ(correct, 2);
  const std::vector<double> expect = {1.0 / 8 / 3, 2.0 / 8 / 3,        (5.0 / 8 - 1) / 3,
                                      (1.0 / 3 - 1) / 3, 1.0 / 9,       1.0 / 9,
                                      e2 / (e2 + 2) / 3, (1 / (e2 + 2) - 1) / 3, 1 / (e2 + 2) / 3};
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(g[i], expect[i], 1e-15) << "i=" << i;
}

// (1000, 1001): softmax = (1, e)/(1 + e) and loss for label 0 is ln(1 + e); exp(1000) alone would
// overflow. Also in float, where exp(89) already overflows.
TEST(SoftmaxXent, LargeLogitsAreStable) {
  const double e = std::exp(1.0);
  const std::vector<int32_t> labels = {0};
  {
    const std::vector<double> logits = {1000, 1001};
    std::vector<double> g(2);
    const double loss = softmax_xent_forward_backward_ref<double>(shape(1, 2), logits.data(), labels.data(),
                                                                  nullptr, g.data(), nullptr);
    EXPECT_NEAR(loss, std::log(1 + e), 1e-15);
    EXPECT_NEAR(g[0], 1 / (1 + e) - 1, 1e-15);
    EXPECT_NEAR(g[1], e / (1 + e), 1e-15);
  }
  {
    const std::vector<float> logits = {1000.f, 1001.f};
    std::vector<float> g(2), p(2);
    const double loss = softmax_xent_forward_backward_ref<float>(shape(1, 2), logits.data(), labels.data(),
                                                                 nullptr, g.data(), nullptr);
    EXPECT_NEAR(loss, std::log(1 + e), 1e-6);
    EXPECT_NEAR(g[1], e / (1 + e), 1e-6);
    softmax_ref<float>(1, 2, logits.data(), p.data());
    EXPECT_NEAR(p[0], 1 / (1 + e), 1e-6);
    EXPECT_NEAR(p[1], e / (1 + e), 1e-6);
  }
}

// Direct formula on small logits (no overflow without max-subtraction):
//   p = exp(x)/sum exp(x), target = (1-eps) onehot + eps/C, loss = -sum target * log p,
//   dlogits = (p - target)/N.
TEST(SoftmaxXent, LabelSmoothingMatchesDirectFormula) {
  const int64_t n = 5, c = 7;
  for (double eps : {0.0, 0.1, 0.5}) {
    const std::vector<double> logits = test::random_vector(n * c, 3, -2.0, 2.0);
    const std::vector<int32_t> labels = {0, 6, 3, 3, 1};
    std::vector<double> loss(n), g(n * c);
    const double mean = softmax_xent_forward_backward_ref<double>(shape(n, c, eps), logits.data(), labels.data(),
                                                                  loss.data(), g.data(), nullptr);
    double total = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      double z = 0.0;
      for (int64_t j = 0; j < c; ++j) z += std::exp(logits[i * c + j]);
      double li = 0.0;
      for (int64_t j = 0; j < c; ++j) {
        const double p = std::exp(logits[i * c + j]) / z;
        const double t = (j == labels[i] ? 1 - eps : 0.0) + eps / c;
        li -= t * std::log(p);
        EXPECT_NEAR(g[i * c + j], (p - t) / n, 1e-15) << "eps " << eps << " (" << i << "," << j << ")";
      }
      EXPECT_NEAR(loss[i], li, 1e-14) << "eps " << eps << " row " << i;
      total += li;
    }
    EXPECT_NEAR(mean, total / n, 1e-14) << "eps " << eps;
  }
}

// f(logits) = mean loss; its gradient is dlogits. Checked at several shapes with and without
// smoothing; the loss is smooth, so truncation ~h^2 and rounding ~1e-16/h are both far below 1e-7.
TEST(SoftmaxXent, GradientMatchesFiniteDifferencesInDouble) {
  const std::pair<int64_t, int64_t> shapes[] = {{1, 2}, {3, 10}, {7, 13}, {17, 5}, {2, 1}};
  for (double eps : {0.0, 0.2}) {
    for (const auto& [n, c] : shapes) {
      const SoftmaxXentShape s = shape(n, c, eps);
      std::vector<double> logits = test::random_vector(n * c, 50 + n * c, -3.0, 3.0);
      std::vector<int32_t> labels(n);
      for (int64_t i = 0; i < n; ++i) labels[i] = static_cast<int32_t>((i * 7 + 3) % c);
      std::vector<double> g(n * c, 1e30);
      softmax_xent_forward_backward_ref<double>(s, logits.data(), labels.data(), nullptr, g.data(), nullptr);
      auto f = [&] {
        return softmax_xent_forward_backward_ref<double>(s, logits.data(), labels.data(), nullptr, nullptr,
                                                         nullptr);
      };
      EXPECT_LT(test::max_gradient_error(logits, f, g), 1e-7) << "N=" << n << " C=" << c << " eps=" << eps;
    }
  }
}

// Ties go to the first maximum: (1, 1, 0) counts as correct for label 0 only.
TEST(SoftmaxXent, CorrectCountUsesFirstMax) {
  const std::vector<float> logits = {1, 1, 0, 1, 1, 0, 0, 2, 2, 0, 2, 2};
  const std::vector<int32_t> labels = {0, 1, 1, 2};
  int64_t correct = -1;
  softmax_xent_forward_backward_ref<float>(shape(4, 3), logits.data(), labels.data(), nullptr, nullptr, &correct);
  EXPECT_EQ(correct, 2);  // rows 0 and 2
}

// A batch above the OpenMP threshold: float against double on the same (float-representable)
// logits. Argmax is then identical, so correct counts match exactly.
TEST(SoftmaxXent, FloatMatchesDoubleOnLargeBatch) {
  const int64_t n = 8192, c = 10;
  const std::vector<float> lf = test::to_float(test::random_vector(n * c, 77, -5.0, 5.0));
  const std::vector<double> ld(lf.begin(), lf.end());
  std::vector<int32_t> labels(n);
  for (int64_t i = 0; i < n; ++i) labels[i] = static_cast<int32_t>((i * 31 + 5) % c);
  std::vector<float> lossf(n), gf(n * c);
  std::vector<double> lossd(n), gd(n * c);
  int64_t cf = -1, cd = -2;
  const double mf = softmax_xent_forward_backward_ref<float>(shape(n, c), lf.data(), labels.data(), lossf.data(),
                                                             gf.data(), &cf);
  const double md = softmax_xent_forward_backward_ref<double>(shape(n, c), ld.data(), labels.data(),
                                                              lossd.data(), gd.data(), &cd);
  EXPECT_EQ(cf, cd);
  EXPECT_GT(cd, 0);  // guard: random logits hit about 1/10 of labels
  // Internals run in double for both; only the final rounding to float differs.
  EXPECT_NEAR(mf, md, 1e-12);
  const double tol = test::float_tolerance(c);
  for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(lossf[i], lossd[i], tol * std::max(1.0, lossd[i]));
  for (int64_t i = 0; i < n * c; ++i) ASSERT_NEAR(gf[i], gd[i], tol / n);
  // The mean loss is thread-count independent: a second call gives the same bits.
  EXPECT_EQ(softmax_xent_forward_backward_ref<float>(shape(n, c), lf.data(), labels.data(), nullptr, nullptr,
                                                     nullptr),
            mf);
}

TEST(SoftmaxXent, SoftmaxRowsSumToOneAndMatchFormula) {
  const int64_t n = 9, c = 11;
  const std::vector<double> logits = test::random_vector(n * c, 12, -4.0, 4.0);
  std::vector<double> p(n * c);
  softmax_ref<double>(n, c, logits.data(), p.data());
  for (int64_t i = 0; i < n; ++i) {
    double z = 0.0, sum = 0.0;
    for (int64_t j = 0; j < c; ++j) z += std::exp(logits[i * c + j]);
    for (int64_t j = 0; j < c; ++j) {
      EXPECT_NEAR(p[i * c + j], std::exp(logits[i * c + j]) / z, 1e-15);
      sum += p[i * c + j];
    }
    EXPECT_NEAR(sum, 1.0, 1e-14);
  }
}

TEST(SoftmaxXent, LabelOutOfRangeThrowsNamingRowAndLabel) {
  const std::vector<float> logits(4 * 3, 0.f);
  std::vector<int32_t> labels = {0, 1, 7, 2};
  const std::string w = what_of([&] {
    softmax_xent_forward_backward_ref<float>(shape(4, 3), logits.data(), labels.data(), nullptr, nullptr,
                                             nullptr);
  });
  EXPECT_NE(w.find("row 2"), std::string::npos) << w;
  EXPECT_NE(w.find("label 7"), std::string::npos) << w;
  EXPECT_THROW(softmax_xent_forward_backward_ref<float>(shape(4, 3), logits.data(), labels.data(), nullptr,
                                                        nullptr, nullptr),
               DataError);
  labels[2] = -1;
  EXPECT_THROW(softmax_xent_forward_backward_ref<float>(shape(4, 3), logits.data(), labels.data(), nullptr,
                                                        nullptr, nullptr),
               DataError);
  labels[2] = 3;  // == C
  EXPECT_THROW(softmax_xent_forward_backward_ref<float>(shape(4, 3), logits.data(), labels.data(), nullptr,
                                                        nullptr, nullptr),
               DataError);
}

// Non-finite logits: NumericError naming the first bad row, on both the serial and parallel paths.
TEST(SoftmaxXent, NonFiniteLogitThrowsNamingRow) {
  for (int64_t n : {int64_t{10}, int64_t{5000}}) {
    const int64_t c = 4;
    std::vector<float> logits(n * c, 0.5f);
    const std::vector<int32_t> labels(n, 1);
    logits[7 * c + 2] = std::numeric_limits<float>::infinity();
    logits[5 * c + 3] = std::numeric_limits<float>::quiet_NaN();
    auto call = [&] {
      softmax_xent_forward_backward_ref<float>(shape(n, c), logits.data(), labels.data(), nullptr, nullptr,
                                               nullptr);
    };
    EXPECT_THROW(call(), NumericError);
    const std::string w = what_of(call);
    EXPECT_NE(w.find("row 5 "), std::string::npos) << w;
    logits[5 * c + 3] = 0.5f;  // now only the inf in row 7 remains
    const std::string w2 = what_of(call);
    EXPECT_NE(w2.find("row 7 "), std::string::npos) << w2;
  }
}

TEST(SoftmaxXent, ValidateRejectsBadShapesAndSmoothing) {
  EXPECT_NO_THROW(shape(1, 1).validate());
  EXPECT_THROW(shape(0, 10).validate(), ShapeError);
  EXPECT_THROW(shape(4, 0).validate(), ShapeError);
  EXPECT_THROW(shape(4, 10, 1.0).validate(), ConfigError);
  EXPECT_THROW(shape(4, 10, -0.1).validate(), ConfigError);
  EXPECT_THROW(shape(4, 10, std::nan("")).validate(), ConfigError);
}

}  // namespace
}  // namespace gd
