// CUDA fused optimiser updates against the CPU references over several steps (ctest label "cuda"):
// SGD (plain, momentum, Nesterov, weight decay), Adam, AdamW, RMSprop (with and without momentum), on
// n in {1, 33, 257, 100003}; plus the argument checks. Skips, saying why, without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/ops/optim_update.h"
#include "tests/support/cuda_test_util.h"
#include "tests/support/test_support.h"

#ifdef GD_HAVE_CUDA
#include "kernels/cuda_ops.h"
#endif

namespace gd {
namespace {

#ifdef GD_HAVE_CUDA

const int64_t kSizes[] = {1, 33, 257, 100003};
constexpr int kSteps = 6;
constexpr double kEpsF = std::numeric_limits<float>::epsilon();

// Both sides update each element in double and round each stored value to float once per step; the
// double results can differ in the last double bit (different FMA contraction, sqrt/division are
// correctly rounded on both), which changes a float rounding only in rare near-ties, by one ulp. Such
// a one-ulp difference then carries into later steps without growth (every update is a contraction or
// a bounded step), so after k steps |d| <= 2 k eps_f32 (|ref| + rms(ref)): the rms term covers values
// that a carried difference meets after cancelling to near zero (e.g. a velocity changing sign).
// A wrong formula (bias correction, decay placement, momentum) changes results by orders more.
void expect_state_close(const std::vector<float>& got, const std::vector<float>& want, int step, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double ss = 0;
  for (float v : want) ss += static_cast<double>(v) * v;
  const double rms = std::sqrt(ss / static_cast<double>(std::max<size_t>(want.size(), 1)));
  const double k = 2.0 * (step + 1) * kEpsF;
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_LE(std::abs(static_cast<double>(got[i]) - want[i]), k * (std::abs(want[i]) + rms))
        << what << " at " << i << " after step " << step + 1 << ": got " << got[i] << ", want " << want[i];
}

std::vector<float> rand_floats(int64_t n, uint64_t seed, double lo, double hi) {
  return test::to_float(test::random_vector(static_cast<size_t>(n), seed, lo, hi));
}

// The state of one optimiser run: parameters and up to two state buffers, on host and device.
struct OptState {
  std::vector<float> param, s1, s2;
};

// Applies `cpu` to the host copy and `gpu` to the device copy for kSteps steps with fresh gradients,
// comparing parameters and both state buffers after every step.
void compare_steps(cudaStream_t stream, int64_t n, const char* what,
                   const std::function<void(int step, OptState& h, const std::vector<float>& g)>& cpu,
                   const std::function<void(int step, float* p, const float* g, float* s1, float* s2)>& gpu) {
  OptState h{rand_floats(n, 1 + n, -1.0, 1.0), std::vector<float>(n, 0.0f), std::vector<float>(n, 0.0f)};
  test::DeviceVector<float> dp(stream, h.param), ds1(stream, h.s1), ds2(stream, h.s2);
  for (int step = 0; step < kSteps; ++step) {
    const auto g = rand_floats(n, 1000 * step + n, -0.5, 0.5);
    test::DeviceVector<float> dg(stream, g);
    cpu(step, h, g);
    gpu(step, dp.get(), dg.get(), ds1.get(), ds2.get());
    expect_state_close(dp.host(), h.param, step, what);
    expect_state_close(ds1.host(), h.s1, step, what);
    expect_state_close(ds2.host(), h.s2, step, what);
  }
  bool moved = false;  // guard: the updates did something
  const auto start = rand_floats(n, 1 + n, -1.0, 1.0);
  for (int64_t i = 0; i < n; ++i) moved |= h.param[i] != start[i];
  EXPECT_TRUE(moved) << what;
}

TEST(CudaOptim, SgdMatchesReference) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  SgdParams variants[4];
  variants[0].lr = 0.1;
  variants[1].lr = 0.05;
  variants[1].momentum = 0.9;
  variants[2].lr = 0.05;
  variants[2].momentum = 0.9;
  variants[2].nesterov = true;
  variants[2].weight_decay = 1e-2;
  variants[3].lr = 0.2;
  variants[3].weight_decay = 5e-2;
  for (const SgdParams& p : variants) {
    for (int64_t n : kSizes) {
      SCOPED_TRACE("sgd momentum=" + std::to_string(p.momentum) + " nesterov=" + std::to_string(p.nesterov) +
                   " wd=" + std::to_string(p.weight_decay) + " n=" + std::to_string(n));
      const bool mom = p.momentum > 0.0;
      compare_steps(tc.ctx.stream,
          n, "sgd",
          [&](int, OptState& h, const std::vector<float>& g) {
            sgd_update_ref<float>(p, n, h.param.data(), g.data(), mom ? h.s1.data() : nullptr);
          },
          [&](int, float* prm, const float* g, float* s1, float*) {
            cuda::sgd_update(tc.ctx, p, n, prm, g, mom ? s1 : nullptr);
          });
    }
  }
}

TEST(CudaOptim, AdamAndAdamWMatchReference) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  for (bool decoupled : {false, true}) {
    for (int64_t n : kSizes) {
      SCOPED_TRACE(std::string(decoupled ? "adamw" : "adam") + " n=" + std::to_string(n));
      AdamParams p;
      p.lr = 1e-2;
      p.weight_decay = 1e-2;
      p.decoupled = decoupled;
      compare_steps(tc.ctx.stream,
          n, decoupled ? "adamw" : "adam",
          [&](int step, OptState& h, const std::vector<float>& g) {
            AdamParams q = p;
            q.step = step + 1;
            adam_update_ref<float>(q, n, h.param.data(), g.data(), h.s1.data(), h.s2.data());
          },
          [&](int step, float* prm, const float* g, float* m, float* v) {
            AdamParams q = p;
            q.step = step + 1;
            cuda::adam_update(tc.ctx, q, n, prm, g, m, v);
          });
    }
  }
}

TEST(CudaOptim, RmspropMatchesReference) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  for (double momentum : {0.0, 0.8}) {
    for (int64_t n : kSizes) {
      SCOPED_TRACE("rmsprop momentum=" + std::to_string(momentum) + " n=" + std::to_string(n));
      RmspropParams p;
      p.lr = 1e-2;
      p.momentum = momentum;
      p.weight_decay = 1e-3;
      const bool mom = momentum > 0.0;
      compare_steps(tc.ctx.stream,
          n, "rmsprop",
          [&](int, OptState& h, const std::vector<float>& g) {
            rmsprop_update_ref<float>(p, n, h.param.data(), g.data(), h.s1.data(), mom ? h.s2.data() : nullptr);
          },
          [&](int, float* prm, const float* g, float* sq, float* buf) {
            cuda::rmsprop_update(tc.ctx, p, n, prm, g, sq, mom ? buf : nullptr);
          });
    }
  }
}

// The same argument checks as the reference, before anything is launched.
TEST(CudaOptim, RejectsBadArguments) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  test::DeviceVector<float> a(tc.ctx.stream, 8), b(tc.ctx.stream, 8);
  SgdParams sgd;
  sgd.momentum = 0.9;
  EXPECT_THROW(cuda::sgd_update(tc.ctx, sgd, 8, a.get(), b.get(), nullptr), Error);  // needs velocity
  sgd.lr = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(cuda::sgd_update(tc.ctx, sgd, 8, a.get(), b.get(), a.get()), Error);
  AdamParams adam;
  adam.step = 0;
  EXPECT_THROW(cuda::adam_update(tc.ctx, adam, 8, a.get(), b.get(), a.get(), b.get()), Error);
  RmspropParams rms;
  rms.alpha = 1.0;
  EXPECT_THROW(cuda::rmsprop_update(tc.ctx, rms, 8, a.get(), b.get(), a.get(), nullptr), Error);
}

#else

TEST(CudaOptim, BuiltWithoutCuda) { GTEST_SKIP() << "built without CUDA"; }

#endif

}  // namespace
}  // namespace gd
