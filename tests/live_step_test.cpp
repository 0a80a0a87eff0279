// The training step's live counters (engine/ops/live_step.h) on the CPU backend: every op that reads
// its per-step numbers from a LiveStep (dropout, augmentation, the three optimisers through their
// per-step table) gives the same bits as the same op given those numbers as host values; the
// backend's select_batch / advance_step / clip_grad_norm do what their contracts say; and the CPU
// backend records nothing (the trainer then runs each step eagerly).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/ops/augment.h"
#include "engine/ops/dropout.h"
#include "engine/optim/optimizer.h"
#include "engine/train/model_io.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

constexpr int64_t kN = 1001;  // odd: nothing lines up with a vector width

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(LiveStep, DropoutReadsTheStepFromTheCounters) {
  const std::vector<float> x = test::to_float(test::random_vector(kN, 1));
  DropoutParams host;
  host.p = 0.3f;
  host.seed = 99;
  host.stream = 2;
  host.step = 7;
  std::vector<float> want(kN), got(kN), other(kN);
  dropout_forward_ref<float>(host, kN, x.data(), want.data());

  LiveStep live{7, 0};
  DropoutParams d = host;
  d.step = 12345;  // ignored: the counters win
  d.live = &live;
  dropout_forward_ref<float>(d, kN, x.data(), got.data());
  EXPECT_TRUE(same_bits(got, want));
  for (int64_t e = 0; e < kN; ++e) ASSERT_EQ(dropout_keep(d, e), dropout_keep(host, e)) << e;

  live.step = 8;  // the same params struct, a later step: a new mask
  dropout_forward_ref<float>(d, kN, x.data(), other.data());
  EXPECT_FALSE(same_bits(other, want));
}

TEST(LiveStep, AugmentationReadsTheStepFromTheCounters) {
  const int64_t n = 3, h = 9, w = 11;
  const std::vector<float> x = test::to_float(test::random_vector(n * h * w, 2, 0.0, 1.0));
  const std::vector<int32_t> ids{5, 0, 17};
  AugmentParams host;
  host.seed = 4;
  host.step = 31;
  std::vector<float> want(x.size()), got(x.size()), other(x.size());
  augment_affine_ref<float>(host, n, 1, h, w, x.data(), want.data(), ids.data());

  LiveStep live{31, 0};
  AugmentParams a = host;
  a.step = 0;
  a.live = &live;
  augment_affine_ref<float>(a, n, 1, h, w, x.data(), got.data(), ids.data());
  EXPECT_TRUE(same_bits(got, want));
  live.step = 32;
  augment_affine_ref<float>(a, n, 1, h, w, x.data(), other.data(), ids.data());
  EXPECT_FALSE(same_bits(other, want));
}

OptimizerConfig config(const std::string& name) {
  OptimizerConfig c;
  c.name = name;
  c.lr = 0.05;
  c.weight_decay = 1e-3;
  if (name == "sgd") c.nesterov = true;
  if (name == "rmsprop") c.momentum = 0.5;
  return c;
}

// Two epochs of `steps` updates each with a changing learning rate: once through step() with host
// values, once through prepare_live + step_live with the counters advanced by the backend. Every
// parameter and every state value must agree bit for bit (Adam's bias correction must continue
// across the epoch boundary, which checks the t of each table row).
void expect_live_matches_host(const std::string& name) {
  SCOPED_TRACE(name);
  const int steps = 5;
  CpuBackend be;
  const OptimizerConfig oc = config(name);
  auto host = Optimizer::create(oc, be, kN);
  auto live_opt = Optimizer::create(oc, be, kN);
  live_opt->reserve_live(steps);
  std::vector<float> p_host = test::to_float(test::random_vector(kN, 3));
  std::vector<float> p_live = p_host;
  auto live_buf = be.allocate(sizeof(LiveStep));
  LiveStep* live = static_cast<LiveStep*>(live_buf->data());

  for (int epoch = 0; epoch < 2; ++epoch) {
    std::vector<double> lrs;
    for (int b = 0; b < steps; ++b) lrs.push_back(0.05 / (1.0 + 0.3 * (epoch * steps + b)));
    live_opt->prepare_live(lrs);
    *live = LiveStep{static_cast<uint64_t>(epoch * steps), 0};
    for (int b = 0; b < steps; ++b) {
      const std::vector<float> g = test::to_float(test::random_vector(kN, 100 + epoch * steps + b));
      host->step(p_host.data(), g.data(), lrs[static_cast<size_t>(b)]);
      live_opt->step_live(p_live.data(), g.data(), live);
      be.advance_step(live);
    }
    EXPECT_EQ(live_opt->steps(), epoch * steps) << "step_live must leave steps() to the caller";
    live_opt->set_steps(host->steps());
  }
  EXPECT_TRUE(same_bits(p_live, p_host)) << "parameters";
  const auto hs = host->state();
  const auto ls = live_opt->state();
  ASSERT_EQ(hs.size(), ls.size());
  for (size_t i = 0; i < hs.size(); ++i) {
    const auto a = read_floats(be, hs[i].second.data(), hs[i].second.numel());
    const auto b = read_floats(be, ls[i].second.data(), ls[i].second.numel());
    EXPECT_TRUE(same_bits(a, b)) << hs[i].first;
  }
  // Guard: the updates moved the parameters (the comparison is not between two untouched copies).
  const std::vector<float> p0 = test::to_float(test::random_vector(kN, 3));
  EXPECT_FALSE(same_bits(p_live, p0));
}

TEST(LiveStep, SgdFromTheTableMatchesHostStepsBitForBit) { expect_live_matches_host("sgd"); }
TEST(LiveStep, AdamFromTheTableMatchesHostStepsBitForBit) { expect_live_matches_host("adam"); }
TEST(LiveStep, AdamWFromTheTableMatchesHostStepsBitForBit) { expect_live_matches_host("adamw"); }
TEST(LiveStep, RmspropFromTheTableMatchesHostStepsBitForBit) { expect_live_matches_host("rmsprop"); }

TEST(LiveStep, TheTableIsCheckedWhenItIsFilled) {
  CpuBackend be;
  auto opt = Optimizer::create(config("adam"), be, kN);
  auto live_buf = be.allocate(sizeof(LiveStep));
  std::vector<float> p(kN), g(kN);
  EXPECT_TRUE(test::throws_with<Error>([&] { opt->prepare_live({0.1}); }, {"reserve_live"}));
  EXPECT_TRUE(test::throws_with<Error>(
      [&] { opt->step_live(p.data(), g.data(), static_cast<LiveStep*>(live_buf->data())); }, {"reserve_live"}));
  opt->reserve_live(2);
  EXPECT_TRUE(test::throws_with<Error>([&] { opt->reserve_live(2); }, {"already"}));
  EXPECT_TRUE(test::throws_with<Error>([&] { opt->prepare_live({0.1, 0.1, 0.1}); }, {"3 steps", "2"}));
  EXPECT_TRUE(test::throws_with<Error>(
      [&] { opt->prepare_live({0.1, std::numeric_limits<double>::quiet_NaN()}); }, {"lr", "nan"}));
  EXPECT_TRUE(test::throws_with<Error>([&] { opt->step_live(p.data(), g.data(), nullptr); }, {"non-null"}));
}

TEST(LiveStep, SelectBatchCopiesTheCurrentBatchAndAdvanceMovesTheCounters) {
  CpuBackend be;
  std::vector<int32_t> order(10);
  std::iota(order.rbegin(), order.rend(), 0);  // 9, 8, ..., 0
  LiveStep live{40, 1};
  std::vector<int32_t> dst(4, -1);
  be.select_batch(order.data(), 4, &live, 4, dst.data());
  EXPECT_EQ(dst, (std::vector<int32_t>{5, 4, 3, 2}));
  be.advance_step(&live);
  EXPECT_EQ(live.step, 41u);
  EXPECT_EQ(live.batch, 2);
  std::fill(dst.begin(), dst.end(), -1);
  be.select_batch(order.data(), 4, &live, 2, dst.data());  // the short last batch
  EXPECT_EQ(dst, (std::vector<int32_t>{1, 0, -1, -1}));
  EXPECT_TRUE(test::throws_with<Error>([&] { be.select_batch(order.data(), 4, &live, 5, dst.data()); }, {"n = 5"}));
}

TEST(LiveStep, ClipGradNormScalesOnlyAboveTheLimit) {
  CpuBackend be;
  std::vector<float> g{3.0f, 4.0f};  // norm 5
  be.clip_grad_norm(2, 10.0, g.data());
  EXPECT_EQ(g, (std::vector<float>{3.0f, 4.0f}));
  be.clip_grad_norm(2, 1.0, g.data());
  const float f = static_cast<float>(1.0 / 5.0);
  EXPECT_EQ(g, (std::vector<float>{3.0f * f, 4.0f * f}));
  EXPECT_NEAR(std::hypot(g[0], g[1]), 1.0, 1e-6);
  std::vector<float> bad{std::numeric_limits<float>::quiet_NaN(), 1.0f};
  be.clip_grad_norm(2, 1.0, bad.data());
  EXPECT_TRUE(std::isnan(bad[0]));
  EXPECT_EQ(bad[1], 1.0f) << "a non-finite norm leaves the gradient alone";
  EXPECT_TRUE(test::throws_with<Error>([&] { be.clip_grad_norm(2, 0.0, g.data()); }, {"max_norm"}));
}

TEST(LiveStep, TheCpuBackendRecordsNothing) {
  CpuBackend be;
  int runs = 0;
  EXPECT_EQ(be.record([&] { ++runs; }), nullptr);
  EXPECT_EQ(runs, 0) << "record() must not run the work";
}

}  // namespace
}  // namespace gd
