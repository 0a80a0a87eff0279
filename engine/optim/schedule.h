#pragma once
// Learning-rate schedules, evaluated per optimiser step (step = 0-based index of the update about to
// be made). Let S = steps_per_epoch, total = S * total_epochs, base = base_lr,
// W = round(warmup_epochs * S) (warm-up steps).
//
//   warm-up (constant, step, cosine; W > 0): a linear factor multiplies the schedule for step < W,
//       warm(step) = f + (1 - f) * step / W,   f = warmup_start_factor,
//     so lr(0) = f * base(0) and the factor reaches 1 at step W (as PyTorch's LinearLR chained with
//     the main scheduler). warm = 1 for step >= W.
//   constant: lr = base * warm.
//   step:     lr = base * gamma^floor(step / K) * warm, K = round(step_size_epochs * S) steps, i.e. the
//             decay happens exactly at epochs step_size_epochs, 2*step_size_epochs, ... counted from
//             the start of training (the warm-up does not shift them).
//   cosine:   lr = base * warm for step < W; afterwards, with t = step - W, T = total - W,
//             lr = eta_min + (base - eta_min) * (1 + cos(pi * t / T)) / 2,  eta_min = base * min_lr_factor
//             (PyTorch CosineAnnealingLR with T_max = T). lr reaches eta_min at step == total, one past
//             the last step; later steps stay at eta_min.
//   onecycle: PyTorch OneCycleLR(max_lr = base, total_steps = total, anneal_strategy='cos',
//             three_phase=False). initial = base / div_factor, min = initial / final_div_factor,
//             e = pct_start * total - 1 (the peak step, a real number):
//               step <= e: lr = cos_anneal(initial, base, step / e)
//               step >  e: lr = cos_anneal(base, min, (step - e) / (total - 1 - e))
//             cos_anneal(a, b, p) = b + (a - b) * (1 + cos(pi * p)) / 2. So lr(0) = initial and
//             lr(total - 1) = min. Steps past total - 1 stay at min (PyTorch raises instead).
//             warmup_epochs must be 0: onecycle has its own warm-up (pct_start).
#include <cstdint>
#include <string>

namespace gd {

struct ScheduleConfig {
  std::string name = "constant";  // constant | step | cosine | onecycle
  double step_size_epochs = 10;   // step: decay period in epochs (> 0)
  double gamma = 0.1;             // step: decay factor in (0, 1]
  double min_lr_factor = 0.0;     // cosine: eta_min = base * factor, factor in [0, 1]
  double warmup_epochs = 0;       // constant/step/cosine: linear warm-up length in epochs (>= 0)
  double warmup_start_factor = 0.1;  // warm-up starts at base * factor, factor in (0, 1]
  double pct_start = 0.3;            // onecycle: fraction of steps spent rising, in (0, 1)
  double div_factor = 25;            // onecycle: initial = base / div_factor (> 0)
  double final_div_factor = 1e4;     // onecycle: min = initial / final_div_factor (> 0)
};

// Throws ConfigError naming the offending field and value.
void validate(const ScheduleConfig& config);

class LrSchedule {
 public:
  // Validates the config and the step counts (base_lr finite and > 0, steps_per_epoch >= 1,
  // total_epochs >= 1, the step decay period at least one step, cosine's warm-up shorter than
  // training, onecycle's rising phase longer than one step); throws ConfigError otherwise.
  LrSchedule(ScheduleConfig config, double base_lr, int64_t steps_per_epoch, int64_t total_epochs);

  double lr_at(int64_t step) const;  // step >= 0

  int64_t total_steps() const { return total_steps_; }
  int64_t warmup_steps() const { return warmup_steps_; }
  const ScheduleConfig& config() const { return config_; }

 private:
  double warmup_factor(int64_t step) const;

  ScheduleConfig config_;
  double base_lr_;
  int64_t steps_per_epoch_;
  int64_t total_steps_;
  int64_t warmup_steps_ = 0;
  int64_t decay_period_steps_ = 1;  // step schedule
  double peak_step_ = 0;            // onecycle: pct_start * total - 1
};

}  // namespace gd
