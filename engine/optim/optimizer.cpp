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
  std::vector<std::pair<std::string, Tensor>> state() override {
    if (!velocity_.defined()) return {};
    return {{"velocity", velocity_}};
  }

 private:
  SgdParams params_at(double lr) const {
    SgdParams p;
    p.lr = lr;
    p.momentum = config_.momentum;
    p.weight_decay = config_.weight_decay;
    p.nesterov = config_.nesterov;
    return p;
  }
  UpdateStepScalars step_scalars(double lr, int64_t) const override { return sgd_step_scalars(params_at(lr)); }
  void update(float* params, const float* grads, double lr, int64_t, const LiveUpdate& live) override {
    SgdParams p = params_at(lr);
    p.live = live;
    be_.sgd_update(p, num_params_, params, grads, velocity_.defined() ? velocity_.data() : nullptr);
  }

  Tensor velocity_;  // (num_params) or undefined when momentum == 0
};

class Adam final : public Optimizer {
 public:
  Adam(const OptimizerConfig& c, Backend& be, int64_t n, bool decoupled)
      : Optimizer(c, be, n), decoupled_(decoupled), m_(be.empty(Shape{n})), v_(be.empty(Shape{n})) {}
  std::vector<std::pair<std::string, Tensor>> state() override {
    return {{"adam_m", m_}, {"adam_v", v_}};
  }

 private:
  AdamParams params_at(double lr, int64_t t) const {
    AdamParams p;
    p.lr = lr;
    p.beta1 = config_.beta1;
    p.beta2 = config_.beta2;
    p.eps = config_.eps;
    p.weight_decay = config_.weight_decay;
    p.decoupled = decoupled_;
    p.step = t;
    return p;
  }
  UpdateStepScalars step_scalars(double lr, int64_t t) const override {
    return adam_step_scalars(params_at(lr, t));
  }
  void update(float* params, const float* grads, double lr, int64_t t, const LiveUpdate& live) override {
    AdamParams p = params_at(lr, t);
    p.live = live;
    be_.adam_update(p, num_params_, params, grads, m_.data(), v_.data());
  }

  bool decoupled_;
  Tensor m_, v_;  // (num_params) each
};

class Rmsprop final : public Optimizer {
 public:
  Rmsprop(const OptimizerConfig& c, Backend& be, int64_t n)
      : Optimizer(c, be, n), square_avg_(be.empty(Shape{n})) {
    if (c.momentum > 0.0) momentum_buf_ = be.empty(Shape{n});
  }
  std::vector<std::pair<std::string, Tensor>> state() override {
    std::vector<std::pair<std::string, Tensor>> s{{"rmsprop_square_avg", square_avg_}};
    if (momentum_buf_.defined()) s.emplace_back("rmsprop_momentum", momentum_buf_);
    return s;
  }

 private:
  RmspropParams params_at(double lr) const {
    RmspropParams p;
    p.lr = lr;
    p.alpha = config_.alpha;
    p.eps = config_.eps;
    p.weight_decay = config_.weight_decay;
    p.momentum = config_.momentum;
    return p;
  }
  UpdateStepScalars step_scalars(double lr, int64_t) const override {
    return rmsprop_step_scalars(params_at(lr));
  }
  void update(float* params, const float* grads, double lr, int64_t, const LiveUpdate& live) override {
    RmspropParams p = params_at(lr);
    p.live = live;
    be_.rmsprop_update(p, num_params_, params, grads, square_avg_.data(),
                       momentum_buf_.defined() ? momentum_buf_.data() : nullptr);
  }

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

void Optimizer::step(float* params, const float* grads, double lr) {
  check_step_args(params, grads, lr);
  update(params, grads, lr, steps_ + 1, LiveUpdate{});
  ++steps_;
}

void Optimizer::step_live(float* params, const float* grads, const LiveStep* live) {
  // lr and t are unused: the update reads them from the live table.
  update(params, grads, 0.0, 1, live_update(params, grads, live));
}

void Optimizer::reserve_live(int64_t max_steps) {
  GD_CHECK(max_steps >= 1, "Optimizer::reserve_live: max_steps must be >= 1, got " << max_steps);
  GD_CHECK(live_table_ == nullptr, "Optimizer::reserve_live: the live table is already allocated (a recorded "
                                   "step holds its address)");
  live_table_ = be_.allocate(static_cast<size_t>(max_steps) * sizeof(UpdateStepScalars));
  live_capacity_ = max_steps;
}

void Optimizer::prepare_live(const std::vector<double>& lrs) {
  GD_CHECK(live_table_ != nullptr, "Optimizer::prepare_live: call reserve_live first");
  GD_CHECK(static_cast<int64_t>(lrs.size()) <= live_capacity_,
           "Optimizer::prepare_live: " << lrs.size() << " steps exceed the reserved " << live_capacity_);
  std::vector<UpdateStepScalars> rows(lrs.size());
  for (size_t b = 0; b < lrs.size(); ++b) {
    const double lr = lrs[b];
    GD_CHECK(std::isfinite(lr) && lr >= 0.0, "Optimizer(" << config_.name << "): lr must be finite and >= 0, got "
                                                          << lr << " at step " << steps_ + static_cast<int64_t>(b));
    rows[b] = step_scalars(lr, steps_ + 1 + static_cast<int64_t>(b));
  }
  be_.copy_from_host(live_table_->data(), rows.data(), rows.size() * sizeof(UpdateStepScalars));
}

LiveUpdate Optimizer::live_update(const float* params, const float* grads, const LiveStep* live) const {
  GD_CHECK(params != nullptr && grads != nullptr && live != nullptr,
           "Optimizer(" << config_.name << ")::step_live: params, grads and live counters must be non-null");
  GD_CHECK(live_table_ != nullptr, "Optimizer(" << config_.name << ")::step_live: call reserve_live first");
  LiveUpdate u;
  u.table = static_cast<const UpdateStepScalars*>(live_table_->data());
  u.live = live;
  return u;
}

void Optimizer::check_step_args(const float* params, const float* grads, double lr) const {
  GD_CHECK(params != nullptr && grads != nullptr,
           "Optimizer(" << config_.name << ")::step: params and grads must be non-null");
  GD_CHECK(std::isfinite(lr) && lr >= 0.0,
           "Optimizer(" << config_.name << ")::step: lr must be finite and >= 0, got " << lr
                        << " at step " << steps_);
}

}  // namespace gd
