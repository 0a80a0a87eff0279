#include "engine/optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>

#include "engine/core/error.h"

namespace gd {
namespace {

constexpr double kPi = 3.14159265358979323846;

[[noreturn]] void bad_field(const std::string& field, double value, const std::string& rule) {
  std::ostringstream os;
  os << "schedule: invalid " << field << " = " << value << " (" << rule << ")";
  throw ConfigError(os.str());
}

// PyTorch's _annealing_cos: from a (p = 0) to b (p = 1) along half a cosine.
double cos_anneal(double a, double b, double p) { return b + (a - b) * 0.5 * (1.0 + std::cos(kPi * p)); }

}  // namespace

void validate(const ScheduleConfig& c) {
  const std::string& n = c.name;
  if (n != "constant" && n != "step" && n != "cosine" && n != "onecycle")
    throw ConfigError("schedule: invalid name = '" + n + "' (expected constant, step, cosine or onecycle)");
  if (!(std::isfinite(c.step_size_epochs) && c.step_size_epochs > 0.0))
    bad_field("step_size_epochs", c.step_size_epochs, "must be finite and > 0");
  if (!(c.gamma > 0.0 && c.gamma <= 1.0)) bad_field("gamma", c.gamma, "must be in (0, 1]");
  if (!(c.min_lr_factor >= 0.0 && c.min_lr_factor <= 1.0))
    bad_field("min_lr_factor", c.min_lr_factor, "must be in [0, 1]");
  if (!(std::isfinite(c.warmup_epochs) && c.warmup_epochs >= 0.0))
    bad_field("warmup_epochs", c.warmup_epochs, "must be finite and >= 0");
  if (!(c.warmup_start_factor > 0.0 && c.warmup_start_factor <= 1.0))
    bad_field("warmup_start_factor", c.warmup_start_factor, "must be in (0, 1]");
  if (!(c.pct_start > 0.0 && c.pct_start < 1.0)) bad_field("pct_start", c.pct_start, "must be in (0, 1)");
  if (!(std::isfinite(c.div_factor) && c.div_factor > 0.0))
    bad_field("div_factor", c.div_factor, "must be finite and > 0");
  if (!(std::isfinite(c.final_div_factor) && c.final_div_factor > 0.0))
    bad_field("final_div_factor", c.final_div_factor, "must be finite and > 0");
  if (n == "onecycle" && c.warmup_epochs > 0.0)
    bad_field("warmup_epochs", c.warmup_epochs,
              "must be 0 for onecycle, whose rising phase (pct_start) is its warm-up");
}

LrSchedule::LrSchedule(ScheduleConfig config, double base_lr, int64_t steps_per_epoch,
                       int64_t total_epochs)
    : config_(std::move(config)), base_lr_(base_lr), steps_per_epoch_(steps_per_epoch) {
  validate(config_);
  if (!(std::isfinite(base_lr) && base_lr > 0.0)) bad_field("base_lr", base_lr, "must be finite and > 0");
  if (steps_per_epoch < 1) bad_field("steps_per_epoch", static_cast<double>(steps_per_epoch), "must be >= 1");
  if (total_epochs < 1) bad_field("total_epochs", static_cast<double>(total_epochs), "must be >= 1");
  total_steps_ = steps_per_epoch * total_epochs;
  const double spe = static_cast<double>(steps_per_epoch);
  warmup_steps_ = std::llround(config_.warmup_epochs * spe);
  const std::string& n = config_.name;
  if (n == "step") {
    decay_period_steps_ = std::llround(config_.step_size_epochs * spe);
    if (decay_period_steps_ < 1)
      bad_field("step_size_epochs", config_.step_size_epochs,
                "is shorter than one step at " + std::to_string(steps_per_epoch) + " steps per epoch");
  }
  if (n == "cosine" && warmup_steps_ >= total_steps_)
    bad_field("warmup_epochs", config_.warmup_epochs,
              "cosine needs steps left after the warm-up; training has " +
                  std::to_string(total_epochs) + " epochs");
  if (n == "onecycle") {
    peak_step_ = config_.pct_start * static_cast<double>(total_steps_) - 1.0;
    if (!(peak_step_ > 0.0))
      bad_field("pct_start", config_.pct_start,
                "onecycle's rising phase must span more than one step; total steps = " +
                    std::to_string(total_steps_));
  }
}

double LrSchedule::warmup_factor(int64_t step) const {
  if (step >= warmup_steps_) return 1.0;
  const double f = config_.warmup_start_factor;
  return f + (1.0 - f) * static_cast<double>(step) / static_cast<double>(warmup_steps_);
}

double LrSchedule::lr_at(int64_t step) const {
  GD_CHECK(step >= 0, "LrSchedule::lr_at: step must be >= 0, got " << step);
  const std::string& n = config_.name;
  if (n == "constant") return base_lr_ * warmup_factor(step);
  if (n == "step") {
    const double decays = static_cast<double>(step / decay_period_steps_);
    return base_lr_ * std::pow(config_.gamma, decays) * warmup_factor(step);
  }
  if (n == "cosine") {
    if (step < warmup_steps_) return base_lr_ * warmup_factor(step);
    const double eta_min = base_lr_ * config_.min_lr_factor;
    const int64_t span = total_steps_ - warmup_steps_;
    const int64_t t = std::min(step - warmup_steps_, span);
    return cos_anneal(base_lr_, eta_min, static_cast<double>(t) / static_cast<double>(span));
  }
  // onecycle
  const double initial = base_lr_ / config_.div_factor;
  const double min_lr = initial / config_.final_div_factor;
  const double s = static_cast<double>(std::min(step, total_steps_ - 1));
  if (s <= peak_step_) return cos_anneal(initial, base_lr_, s / peak_step_);
  const double last = static_cast<double>(total_steps_ - 1);
  return cos_anneal(base_lr_, min_lr, (s - peak_step_) / (last - peak_step_));
}

}  // namespace gd
