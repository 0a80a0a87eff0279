// Optimizer (engine/optim/optimizer.h) on the CPU backend: config validation names the field, state
// buffers are allocated zeroed with the documented names, each step forwards the right
// hyper-parameters and step count to the fused update (compared bit for bit with direct calls to the
// *_update_ref<float> functions, which CpuBackend forwards to), and a restored state continues the
// run exactly.
#include "engine/optim/optimizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/ops/optim_update.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

constexpr int64_t kN = 1001;  // odd, so nothing lines up with a vector width
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

void expect_config_error(const OptimizerConfig& c, const std::string& field) {
  try {
    validate(c);
    ADD_FAILURE() << "no ConfigError for bad " << field;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
  }
}

OptimizerConfig named(const std::string& name) {
  OptimizerConfig c;
  c.name = name;
  return c;
}

TEST(OptimizerConfig, ValidationNamesTheField) {
  for (const char* n : {"sgd", "adam", "adamw", "rmsprop"}) EXPECT_NO_THROW(validate(named(n))) << n;
  OptimizerConfig c = named("adagrad");
  expect_config_error(c, "name");
  for (double lr : {0.0, -0.1, kInf, kNan}) {
    c = named("sgd");
    c.lr = lr;
    expect_config_error(c, "lr");
  }
  for (double m : {-0.1, 1.0, kNan}) {
    c = named("sgd");
    c.momentum = m;
    expect_config_error(c, "momentum");
  }
  c = named("sgd");
  c.momentum = 0.0;
  c.nesterov = true;
  expect_config_error(c, "nesterov");
  c = named("adam");
  c.nesterov = true;
  expect_config_error(c, "nesterov");
  c = named("adam");
  c.beta1 = 1.0;
  expect_config_error(c, "beta1");
  c = named("adamw");
  c.beta2 = -0.5;
  expect_config_error(c, "beta2");
  c = named("adam");
  c.eps = 0.0;
  expect_config_error(c, "eps");
  c = named("rmsprop");
  c.alpha = 1.5;
  expect_config_error(c, "alpha");
  c = named("adamw");
  c.weight_decay = -1e-4;
  expect_config_error(c, "weight_decay");
}

TEST(Optimizer, CreateAllocatesNamedZeroedState) {
  CpuBackend be;
  const std::map<std::string, std::vector<std::string>> expected{
      {"sgd", {"velocity"}},
      {"adam", {"adam_m", "adam_v"}},
      {"adamw", {"adam_m", "adam_v"}},
      {"rmsprop", {"rmsprop_square_avg", "rmsprop_momentum"}}};
  for (const auto& [name, names] : expected) {
    auto opt = Optimizer::create(named(name), be, kN);
    EXPECT_EQ(opt->steps(), 0);
    EXPECT_EQ(opt->num_params(), kN);
    const auto state = opt->state();
    ASSERT_EQ(state.size(), names.size()) << name;
    for (size_t i = 0; i < state.size(); ++i) {
      EXPECT_EQ(state[i].first, names[i]);
      ASSERT_EQ(state[i].second.numel(), kN);
      const float* d = state[i].second.data();
      for (int64_t j = 0; j < kN; ++j) ASSERT_EQ(d[j], 0.0f) << name << " " << names[i] << "[" << j << "]";
    }
  }
  OptimizerConfig plain = named("sgd");
  plain.momentum = 0.0;
  EXPECT_TRUE(Optimizer::create(plain, be, kN)->state().empty());
  OptimizerConfig rms = named("rmsprop");
  rms.momentum = 0.0;
  ASSERT_EQ(Optimizer::create(rms, be, kN)->state().size(), 1u);
  EXPECT_THROW(Optimizer::create(named("sgd"), be, 0), Error);
  OptimizerConfig bad = named("sgd");
  bad.lr = -1;
  EXPECT_THROW(Optimizer::create(bad, be, kN), ConfigError);
}

// Runs `steps` steps through the Optimizer and, alongside, through the reference functions with
// hand-mapped parameters; the two must agree bit for bit (CpuBackend forwards to the references).
void compare_with_reference(const OptimizerConfig& c, int steps) {
  CpuBackend be;
  auto opt = Optimizer::create(c, be, kN);
  std::vector<float> p = test::to_float(test::random_vector(kN, 1));
  std::vector<float> rp = p, ra(kN, 0.0f), rb(kN, 0.0f);
  for (int t = 0; t < steps; ++t) {
    const std::vector<float> g = test::to_float(test::random_vector(kN, 50 + t));
    const double lr = c.lr * (1.0 + 0.25 * t);  // a changing lr, as a schedule would pass
    opt->step(p.data(), g.data(), lr);
    EXPECT_EQ(opt->steps(), t + 1);
    if (c.name == "sgd") {
      SgdParams sp;
      sp.lr = lr;
      sp.momentum = c.momentum;
      sp.nesterov = c.nesterov;
      sp.weight_decay = c.weight_decay;
      sgd_update_ref<float>(sp, kN, rp.data(), g.data(), ra.data());
    } else if (c.name == "adam" || c.name == "adamw") {
      AdamParams ap;
      ap.lr = lr;
      ap.beta1 = c.beta1;
      ap.beta2 = c.beta2;
      ap.eps = c.eps;
      ap.weight_decay = c.weight_decay;
      ap.decoupled = c.name == "adamw";
      ap.step = t + 1;
      adam_update_ref<float>(ap, kN, rp.data(), g.data(), ra.data(), rb.data());
    } else {
      RmspropParams rp_;
      rp_.lr = lr;
      rp_.alpha = c.alpha;
      rp_.eps = c.eps;
      rp_.weight_decay = c.weight_decay;
      rp_.momentum = c.momentum;
      rmsprop_update_ref<float>(rp_, kN, rp.data(), g.data(), ra.data(), rb.data());
    }
  }
  EXPECT_EQ(p, rp) << c.name;
  const auto state = opt->state();
  ASSERT_FALSE(state.empty());
  const float* a = state[0].second.data();
  EXPECT_TRUE(std::equal(ra.begin(), ra.end(), a)) << c.name << " " << state[0].first;
  if (state.size() > 1) {
    const float* b = state[1].second.data();
    EXPECT_TRUE(std::equal(rb.begin(), rb.end(), b)) << c.name << " " << state[1].first;
  }
  // Guard against a vacuous comparison: the parameters moved.
  EXPECT_NE(p, test::to_float(test::random_vector(kN, 1))) << c.name;
}

TEST(Optimizer, SgdNesterovWithDecayMatchesReference) {
  OptimizerConfig c = named("sgd");
  c.lr = 0.05;
  c.momentum = 0.8;
  c.nesterov = true;
  c.weight_decay = 1e-3;
  compare_with_reference(c, 4);
}

TEST(Optimizer, AdamMatchesReferenceWithBiasCorrectionStep) {
  OptimizerConfig c = named("adam");
  c.lr = 1e-3;
  c.beta1 = 0.8;
  c.beta2 = 0.95;
  c.eps = 1e-6;
  c.weight_decay = 1e-2;
  compare_with_reference(c, 4);
}

TEST(Optimizer, AdamWMatchesReference) {
  OptimizerConfig c = named("adamw");
  c.lr = 2e-3;
  c.weight_decay = 0.05;
  compare_with_reference(c, 4);
}

TEST(Optimizer, RmspropMatchesReference) {
  OptimizerConfig c = named("rmsprop");
  c.lr = 1e-3;
  c.alpha = 0.9;
  c.momentum = 0.5;
  c.eps = 1e-5;
  c.weight_decay = 1e-4;
  compare_with_reference(c, 4);
}

TEST(Optimizer, RestoredStateContinuesBitForBit) {
  // Run A for 5 steps. Run B for 3, save its state and step count, load them into a fresh C, and run
  // both B and C 2 more steps: C must match B (and both must match A) exactly. Adam is used because
  // its update depends on the step count through the bias correction.
  CpuBackend be;
  OptimizerConfig c = named("adam");
  c.lr = 1e-2;
  const std::vector<float> p0 = test::to_float(test::random_vector(kN, 3));
  std::vector<std::vector<float>> grads;
  for (int t = 0; t < 5; ++t) grads.push_back(test::to_float(test::random_vector(kN, 70 + t)));

  auto a = Optimizer::create(c, be, kN);
  std::vector<float> pa = p0;
  for (int t = 0; t < 5; ++t) a->step(pa.data(), grads[t].data(), c.lr);

  auto b = Optimizer::create(c, be, kN);
  std::vector<float> pb = p0;
  for (int t = 0; t < 3; ++t) b->step(pb.data(), grads[t].data(), c.lr);
  std::vector<std::vector<float>> saved;
  for (auto& [name, tensor] : b->state()) {
    saved.emplace_back(static_cast<size_t>(tensor.numel()));
    be.copy_to_host(saved.back().data(), tensor.data(), saved.back().size() * sizeof(float));
  }

  auto fresh = Optimizer::create(c, be, kN);
  auto st = fresh->state();
  ASSERT_EQ(st.size(), saved.size());
  for (size_t i = 0; i < st.size(); ++i)
    be.copy_from_host(st[i].second.data(), saved[i].data(), saved[i].size() * sizeof(float));
  fresh->set_steps(b->steps());
  const std::vector<float> p3 = pb;
  std::vector<float> pc = pb;
  for (int t = 3; t < 5; ++t) {
    b->step(pb.data(), grads[t].data(), c.lr);
    fresh->step(pc.data(), grads[t].data(), c.lr);
  }
  EXPECT_EQ(fresh->steps(), 5);
  EXPECT_EQ(pc, pb);
  EXPECT_EQ(pb, pa);

  // Without set_steps the bias correction restarts at t = 1 and the run diverges: the step count
  // really is part of the state.
  auto wrong = Optimizer::create(c, be, kN);
  auto ws = wrong->state();
  for (size_t i = 0; i < ws.size(); ++i)
    be.copy_from_host(ws[i].second.data(), saved[i].data(), saved[i].size() * sizeof(float));
  std::vector<float> pw = p3;
  for (int t = 3; t < 5; ++t) wrong->step(pw.data(), grads[t].data(), c.lr);
  EXPECT_NE(pw, pa);
}

TEST(Optimizer, StepRejectsBadArguments) {
  CpuBackend be;
  auto opt = Optimizer::create(named("sgd"), be, 4);
  std::vector<float> p(4, 1.0f), g(4, 1.0f);
  EXPECT_THROW(opt->step(p.data(), g.data(), kNan), Error);
  EXPECT_THROW(opt->step(p.data(), g.data(), -1.0), Error);
  EXPECT_THROW(opt->step(nullptr, g.data(), 0.1), Error);
  EXPECT_EQ(opt->steps(), 0);  // rejected steps are not counted
  EXPECT_THROW(opt->set_steps(-1), Error);
  opt->step(p.data(), g.data(), 0.0);  // lr = 0 is allowed (e.g. the end of a cosine schedule)
  EXPECT_EQ(opt->steps(), 1);
  EXPECT_EQ(p, std::vector<float>(4, 1.0f));
}

}  // namespace
}  // namespace gd
