#include "engine/optim/optimizer.h"

#include <cmath>
#include <sstream>

#include "engine/backend/backend.h"
#include "engine/core/error.h"

namespace gd {
namespace {

[[noreturn]] void bad_field(const std::string& field, const std::string& value,
                            const std::string& rule) {
  throw ConfigError("optimizer: invalid " + field + " = " + value + " (" + rule + ")");
}

std::string num(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

// Requires lo <= x < hi (finite).
void check_unit_interval(const char* field, double x) {
  if (!(std::isfinite(x) && x >= 0.0 && x < 1.0)) bad_field(field, num(x), "must be in [0, 1)");
}

class Sgd final : public Optimizer {
 public:
  Sgd(const OptimizerConfig& c, Backend& be, int64_t n) : Optimizer(c, be, n) {
    if (c.momentum > 0.0) velocity_ = be.empty(Shape{n});
  }
  void step(float* params, const float* grads, double lr) override {
    check_step_args(params, grads, lr);
    SgdParams p;
    p.lr = lr;
    p.momentum = config_.momentum;
    p.weight_decay = config_.weight_decay;
    p.nesterov = config_.nesterov;
    be_.sgd_update(p, num_params_, params, grads, velocity_.defined() ? velocity_.data() : nullptr);
    ++steps_;
  }
  std::vector<std::pair<std::string, Tensor>> state() override {
    if (!velocity_.defined()) return {};
    return {{"velocity", velocity_}};
  }

 private:
  Tensor velocity_;  // (num_params) or undefined when momentum == 0
};

class Adam final : public Optimizer {
 public:
  Adam(const OptimizerConfig& c, Backend& be, int64_t n, bool decoupled)
      : Optimizer(c, be, n), decoupled_(decoupled), m_(be.empty(Shape{n})), v_(be.empty(Shape{n})) {}
  void step(float* params, const float* grads, double lr) override {
    check_step_args(params, grads, lr);
    AdamParams p;
    p.lr = lr;
    p.beta1 = config_.beta1;
    p.beta2 = config_.beta2;
    p.eps = config_.eps;
    p.weight_decay = config_.weight_decay;
    p.decoupled = decoupled_;
    p.step = steps_ + 1;
    be_.adam_update(p, num_params_, params, grads, m_.data(), v_.data());
    ++steps_;
  }
  std::vector<std::pair<std::string, Tensor>> state() override {
    return {{"adam_m", m_}, {"adam_v", v_}};
  }

 private:
  bool decoupled_;
  Tensor m_, v_;  // (num_params) each
};

class Rmsprop final : public Optimizer {
 public:
  Rmsprop(const OptimizerConfig& c, Backend& be, int64_t n)
      : Optimizer(c, be, n), square_avg_(be.empty(Shape{n})) {
    if (c.momentum > 0.0) momentum_buf_ = be.empty(Shape{n});
  }
  void step(float* params, const float* grads, double lr) override {
    check_step_args(params, grads, lr);
    RmspropParams p;
    p.lr = lr;
    p.alpha = config_.alpha;
    p.eps = config_.eps;
    p.weight_decay = config_.weight_decay;
    p.momentum = config_.momentum;
    be_.rmsprop_update(p, num_params_, params, grads, square_avg_.data(),
                       momentum_buf_.defined() ? momentum_buf_.data() : nullptr);
    ++steps_;
  }
  std::vector<std::pair<std::string, Tensor>> state() override {
    std::vector<std::pair<std::string, Tensor>> s{{"rmsprop_square_avg", square_avg_}};
    if (momentum_buf_.defined()) s.emplace_back("rmsprop_momentum", momentum_buf_);
    return s;
  }

 private:
  Tensor square_avg_;    // (num_params)
  Tensor momentum_buf_;  // (num_params) or undefined when momentum == 0
};

}  // namespace

void validate(const OptimizerConfig& c) {
  const std::string& n = c.name;
  if (n != "sgd" && n != "adam" && n != "adamw" && n != "rmsprop")
    bad_field("name", "'" + n + "'", "expected sgd, adam, adamw or rmsprop");
  if (!(std::isfinite(c.lr) && c.lr > 0.0)) bad_field("lr", num(c.lr), "must be finite and > 0");
  if (!(std::isfinite(c.weight_decay) && c.weight_decay >= 0.0))
    bad_field("weight_decay", num(c.weight_decay), "must be finite and >= 0");
  // Every numeric field is checked whichever optimiser uses it: an out-of-range value is a mistake
  // even where it would be ignored.
  check_unit_interval("momentum", c.momentum);
  if (c.nesterov && n != "sgd") bad_field("nesterov", "true", "applies to sgd only");
  if (c.nesterov && c.momentum <= 0.0)
    bad_field("nesterov", "true", "requires momentum > 0, momentum = " + num(c.momentum));
  check_unit_interval("beta1", c.beta1);
  check_unit_interval("beta2", c.beta2);
  check_unit_interval("alpha", c.alpha);
  if (!(std::isfinite(c.eps) && c.eps > 0.0)) bad_field("eps", num(c.eps), "must be finite and > 0");
}

Optimizer::Optimizer(const OptimizerConfig& config, Backend& be, int64_t num_params)
    : config_(config), be_(be), num_params_(num_params) {}

Optimizer::~Optimizer() = default;

std::unique_ptr<Optimizer> Optimizer::create(const OptimizerConfig& config, Backend& be,
                                             int64_t num_params) {
  validate(config);
  GD_CHECK(num_params >= 1, "Optimizer::create: num_params must be >= 1, got " << num_params);
  if (config.name == "sgd") return std::make_unique<Sgd>(config, be, num_params);
  if (config.name == "adam") return std::make_unique<Adam>(config, be, num_params, false);
  if (config.name == "adamw") return std::make_unique<Adam>(config, be, num_params, true);
  return std::make_unique<Rmsprop>(config, be, num_params);
}

void Optimizer::set_steps(int64_t steps) {
  GD_CHECK(steps >= 0, "Optimizer::set_steps: steps must be >= 0, got " << steps);
  steps_ = steps;
}

void Optimizer::check_step_args(const float* params, const float* grads, double lr) const {
  GD_CHECK(params != nullptr && grads != nullptr,
           "Optimizer(" << config_.name << ")::step: params and grads must be non-null");
  GD_CHECK(std::isfinite(lr) && lr >= 0.0,
           "Optimizer(" << config_.name << ")::step: lr must be finite and >= 0, got " << lr
                        << " at step " << steps_);
}

}  // namespace gd
