// CUDA fused softmax cross-entropy, softmax and confusion matrix against the CPU reference (ctest
// label "cuda"): rows N in {1, 33, 257} x classes C in {10, 7} (plus C = 37 and 1000, more columns
// than a warp has lanes), with and without label smoothing; first-max tie-breaking; accumulation
// into the device scalars; non-finite logits and bad labels. Skips, saying why, without a device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/ops/softmax_xent.h"
#include "tests/support/cuda_test_util.h"
#include "tests/support/test_support.h"

#ifdef GD_HAVE_CUDA
#include "kernels/cuda_ops.h"
#endif

namespace gd {
namespace {

#ifdef GD_HAVE_CUDA

constexpr double kEpsF = std::numeric_limits<float>::epsilon();
constexpr double kEpsD = std::numeric_limits<double>::epsilon();

// Both sides compute every probability and gradient in double (exp, log and a C-term sum: relative
// error ~C eps_f64, the exp/log implementations differing in the last double ulp) and round once to
// float. So a float output may differ by one rounding (eps_f32 relative, 2x for safety) plus the
// double noise, which is absolute at the scale of a probability (<= 1) divided by N for dlogits:
//   |d| <= 2 eps_f32 |ref| + 8 C eps_f64.
double prob_tol(double ref, int64_t c) { return 2 * kEpsF * std::abs(ref) + 8.0 * static_cast<double>(c) * kEpsD; }

struct Batch {
  int64_t n, c;
  std::vector<float> logits;
  std::vector<int32_t> labels;
};

Batch make_batch(int64_t n, int64_t c, uint64_t seed, double scale = 3.0) {
  Batch b{n, c, test::to_float(test::random_vector(static_cast<size_t>(n * c), seed, -scale, scale)), {}};
  const auto u = test::random_vector(static_cast<size_t>(n), seed + 1, 0.0, static_cast<double>(c));
  for (double v : u) b.labels.push_back(std::min<int32_t>(static_cast<int32_t>(v), static_cast<int32_t>(c - 1)));
  return b;
}

struct XentResult {
  double loss_sum = 0.0;
  int64_t correct = 0;
  std::vector<float> dlogits;
};

// Runs the CUDA launcher once on fresh device scalars initialised to (loss0, correct0).
XentResult run_cuda(test::CudaTestContext& tc, const SoftmaxXentShape& s, const Batch& b, bool with_grad,
                    double loss0 = 0.0, int64_t correct0 = 0) {
  test::DeviceVector<float> logits(tc.ctx.stream, b.logits), grad(tc.ctx.stream, test::nans<float>(b.logits.size()));
  test::DeviceVector<int32_t> labels(tc.ctx.stream, b.labels);
  test::DeviceVector<double> loss(tc.ctx.stream, std::vector<double>{loss0});
  test::DeviceVector<int64_t> correct(tc.ctx.stream, std::vector<int64_t>{correct0});
  cuda::softmax_xent(tc.ctx, s, logits.get(), labels.get(), with_grad ? grad.get() : nullptr, loss.get(),
                     correct.get());
  XentResult r;
  r.loss_sum = loss.host()[0];
  r.correct = correct.host()[0];
  if (with_grad) r.dlogits = grad.host();
  return r;
}

// The batch's summed loss: N row losses of size O(log C + |logits|) summed in double in different
// orders (the GPU adds per-block partials atomically), each row carrying ~C eps_f64 relative error:
// |d| <= 16 (N + C) eps_f64 * max(1, |sum|).
double loss_tol(double sum, int64_t n, int64_t c) {
  return 16.0 * static_cast<double>(n + c) * kEpsD * std::max(1.0, std::abs(sum));
}

TEST(CudaSoftmaxXent, MatchesReferenceOnAwkwardShapes) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  for (int64_t n : {1, 33, 257}) {
    for (int64_t c : {10, 7, 37, 1000}) {
      if (c == 1000 && n == 257) continue;  // large enough already at N = 33
      for (double eps : {0.0, 0.1}) {
        SCOPED_TRACE("N=" + std::to_string(n) + " C=" + std::to_string(c) + " eps=" + std::to_string(eps));
        const Batch b = make_batch(n, c, 10 * n + c);
        SoftmaxXentShape s;
        s.n = n;
        s.c = c;
        s.label_smoothing = eps;
        std::vector<float> want_grad(b.logits.size());
        int64_t want_correct = 0;
        const double want_mean = softmax_xent_forward_backward_ref<float>(s, b.logits.data(), b.labels.data(),
                                                                          nullptr, want_grad.data(), &want_correct);
        const double want_sum = want_mean * static_cast<double>(n);
        const XentResult got = run_cuda(tc, s, b, true);
        EXPECT_NEAR(got.loss_sum, want_sum, loss_tol(want_sum, n, c));
        EXPECT_EQ(got.correct, want_correct);
        ASSERT_EQ(got.dlogits.size(), want_grad.size());
        bool any = false;
        for (size_t i = 0; i < want_grad.size(); ++i) {
          ASSERT_LE(std::abs(static_cast<double>(got.dlogits[i]) - want_grad[i]), prob_tol(want_grad[i], c))
              << "dlogits at " << i << ": got " << got.dlogits[i] << ", want " << want_grad[i];
          any |= got.dlogits[i] != 0.0f;
        }
        EXPECT_TRUE(any) << "dlogits all zero";
        EXPECT_GT(got.loss_sum, 0.0);
      }
    }
  }
}

// Logits of magnitude ~1e3: max-subtraction keeps exp in range; results stay finite and match.
TEST(CudaSoftmaxXent, LargeLogitsStayStable) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  const Batch b = make_batch(33, 10, 5, 1000.0);
  SoftmaxXentShape s;
  s.n = 33;
  s.c = 10;
  std::vector<float> want_grad(b.logits.size());
  int64_t want_correct = 0;
  const double want_sum = 33.0 * softmax_xent_forward_backward_ref<float>(s, b.logits.data(), b.labels.data(),
                                                                          nullptr, want_grad.data(), &want_correct);
  const XentResult got = run_cuda(tc, s, b, true);
  ASSERT_TRUE(std::isfinite(got.loss_sum));
  EXPECT_NEAR(got.loss_sum, want_sum, loss_tol(want_sum, 33, 10));
  EXPECT_EQ(got.correct, want_correct);
  for (size_t i = 0; i < want_grad.size(); ++i)
    ASSERT_LE(std::abs(static_cast<double>(got.dlogits[i]) - want_grad[i]), prob_tol(want_grad[i], 10)) << i;
}

// Ties: the argmax is the FIRST maximum, as in the reference, including a row of equal values and
// maxima that fall in different lanes of the warp (C = 70 > 32 lanes).
TEST(CudaSoftmaxXent, CorrectCountUsesFirstMaximum) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  const int64_t n = 6, c = 70;
  Batch b{n, c, std::vector<float>(static_cast<size_t>(n * c), 0.0f), {}};
  auto at = [&](int64_t r, int64_t j) -> float& { return b.logits[static_cast<size_t>(r * c + j)]; };
  // row 0: all equal -> argmax 0.  row 1: max at 5 and 40 -> 5.  row 2: max at 33 and 65 -> 33.
  // row 3: max at 64 and 1 -> 1.  row 4: unique max at 69.  row 5: max at 31 and 32 -> 31.
  at(1, 5) = at(1, 40) = 2.0f;
  at(2, 33) = at(2, 65) = 1.5f;
  at(3, 64) = at(3, 1) = 3.0f;
  at(4, 69) = 0.5f;
  at(5, 31) = at(5, 32) = 4.0f;
  // Labels: the true first maxima for rows 0..4, and the SECOND maximum for row 5 (not correct).
  b.labels = {0, 5, 33, 1, 69, 32};
  SoftmaxXentShape s;
  s.n = n;
  s.c = c;
  int64_t want = 0;
  softmax_xent_forward_backward_ref<float>(s, b.logits.data(), b.labels.data(), nullptr, nullptr, &want);
  ASSERT_EQ(want, 5);  // the reference's reading of the same rows
  EXPECT_EQ(run_cuda(tc, s, b, false).correct, want);
}

// loss_sum and correct ACCUMULATE; without dlogits the loss is still computed.
TEST(CudaSoftmaxXent, AccumulatesIntoDeviceScalars) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  const Batch b = make_batch(257, 10, 77);
  SoftmaxXentShape s;
  s.n = 257;
  s.c = 10;
  int64_t want_correct = 0;
  const double want_sum =
      257.0 * softmax_xent_forward_backward_ref<float>(s, b.logits.data(), b.labels.data(), nullptr, nullptr, &want_correct);
  const XentResult got = run_cuda(tc, s, b, false, 1.25, 40);
  EXPECT_NEAR(got.loss_sum, 1.25 + want_sum, loss_tol(want_sum, 257, 10));
  EXPECT_EQ(got.correct, 40 + want_correct);
}

TEST(CudaSoftmaxXent, NonFiniteLogitOrBadLabelMakesTheLossNonFinite) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  SoftmaxXentShape s;
  s.n = 33;
  s.c = 10;
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    Batch b = make_batch(33, 10, 3);
    b.logits[17 * 10 + 4] = bad;
    b.labels[17] = 4;  // the bad logit is the label's (for -inf: log p[label] = -inf)
    EXPECT_FALSE(std::isfinite(run_cuda(tc, s, b, true).loss_sum)) << "logit " << bad;
  }
  Batch b = make_batch(33, 10, 4);
  b.labels[20] = 10;  // outside [0, C): the device cannot throw, it poisons the loss instead
  EXPECT_TRUE(std::isnan(run_cuda(tc, s, b, true).loss_sum));
  s.label_smoothing = 1.0;  // host-side validation still throws
  EXPECT_THROW(run_cuda(tc, s, make_batch(33, 10, 4), true), ConfigError);
}

TEST(CudaSoftmax, MatchesReference) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  for (int64_t n : {1, 33, 257}) {
    for (int64_t c : {10, 7, 37}) {
      SCOPED_TRACE("N=" + std::to_string(n) + " C=" + std::to_string(c));
      const Batch b = make_batch(n, c, 1000 + 10 * n + c);
      std::vector<float> want(b.logits.size());
      softmax_ref<float>(n, c, b.logits.data(), want.data());
      test::DeviceVector<float> logits(tc.ctx.stream, b.logits), probs(tc.ctx.stream, test::nans<float>(b.logits.size()));
      cuda::softmax(tc.ctx, n, c, logits.get(), probs.get());
      const auto got = probs.host();
      for (size_t i = 0; i < want.size(); ++i)
        ASSERT_LE(std::abs(static_cast<double>(got[i]) - want[i]), prob_tol(want[i], c)) << i;
      double row0 = 0;
      for (int64_t j = 0; j < c; ++j) row0 += got[j];
      EXPECT_NEAR(row0, 1.0, 4 * c * kEpsF);  // guard: real probabilities, not zeros
    }
  }
}

TEST(CudaConfusion, MatchesCpuBackendAndAccumulates) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  CpuBackend cpu;
  for (int64_t n : {1, 33, 257}) {
    for (int64_t c : {10, 7}) {
      SCOPED_TRACE("N=" + std::to_string(n) + " C=" + std::to_string(c));
      const Batch b = make_batch(n, c, 2000 + 10 * n + c);
      std::vector<int64_t> want(static_cast<size_t>(c * c), 0);
      cpu.confusion_accumulate(n, c, b.logits.data(), b.labels.data(), want.data());
      cpu.confusion_accumulate(n, c, b.logits.data(), b.labels.data(), want.data());
      test::DeviceVector<float> logits(tc.ctx.stream, b.logits);
      test::DeviceVector<int32_t> labels(tc.ctx.stream, b.labels);
      test::DeviceVector<int64_t> conf(tc.ctx.stream, static_cast<size_t>(c * c), int64_t{0});
      cuda::confusion_accumulate(tc.ctx, n, c, logits.get(), labels.get(), conf.get());
      cuda::confusion_accumulate(tc.ctx, n, c, logits.get(), labels.get(), conf.get());
      const auto got = conf.host();
      EXPECT_EQ(got, want);
      int64_t total = 0;
      for (int64_t v : got) total += v;
      EXPECT_EQ(total, 2 * n);
    }
  }
}

#else

TEST(CudaSoftmaxXent, BuiltWithoutCuda) { GTEST_SKIP() << "built without CUDA"; }

#endif

}  // namespace
}  // namespace gd
