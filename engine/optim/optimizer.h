#pragma once
// Optimisers over the model's single flat parameter array. Each step is one fused update through the
// Backend's *_update virtuals (one kernel launch on CUDA); semantics are torch.optim's, see
// engine/ops/optim_update.h for the exact formulas.
//
//   name      state tensors (each num_params floats, zero-initialised, in backend memory)
//   sgd       "velocity"                      (only when momentum > 0)
//   adam      "adam_m", "adam_v"              (weight_decay is L2 added to the gradient)
//   adamw     "adam_m", "adam_v"              (weight_decay is decoupled: param *= 1 - lr*wd)
//   rmsprop   "rmsprop_square_avg", "rmsprop_momentum" (the latter only when momentum > 0)
//
// `momentum` is used by sgd and rmsprop and ignored by adam/adamw; `nesterov` applies to sgd only.
// validate() range-checks every numeric field, including those the chosen optimiser ignores.
// Adam's bias correction uses t = steps() + 1, so restoring a checkpoint means copying the state
// tensors back and calling set_steps() with the saved count.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/tensor.h"
#include "engine/ops/optim_update.h"

namespace gd {

class Backend;

struct OptimizerConfig {
  std::string name = "sgd";  // sgd | adam | adamw | rmsprop
  double lr = 0.01;
  double momentum = 0.9;  // sgd, rmsprop
  bool nesterov = false;  // sgd
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adam/adamw (eps also rmsprop)
  double alpha = 0.99;                            // rmsprop smoothing constant
};

// Throws ConfigError naming the offending field and its value: unknown name, lr <= 0 or not finite,
// momentum outside [0, 1), nesterov without momentum or with a non-sgd optimiser, beta1/beta2/alpha
// outside [0, 1), eps <= 0, weight_decay < 0 (non-finite values are rejected everywhere).
void validate(const OptimizerConfig& config);

class Optimizer {
 public:
  // Validates `config` and allocates the state buffers once on `be` (zero-initialised). `be` must
  // outlive the optimiser. num_params >= 1.
  static std::unique_ptr<Optimizer> create(const OptimizerConfig& config, Backend& be,
                                           int64_t num_params);
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of params (num_params, backend memory) from grads (num_params, backend memory, read
  // only) at learning rate lr (finite, >= 0; usually LrSchedule::lr_at(steps())). OVERWRITES params
  // and the state buffers; increments steps().
  void step(float* params, const float* grads, double lr);

  // --- live steps (a training step recorded once and replayed, engine/ops/live_step.h) ----------
  // Allocates, once, the backend table of per-step update scalars for up to max_steps steps (one
  // epoch). Must precede prepare_live and step_live, and any recording that contains step_live.
  void reserve_live(int64_t max_steps);
  // Fills the table for the next lrs.size() steps: row b holds the scalars (learning rate, Adam bias
  // corrections) of step steps() + 1 + b at learning rate lrs[b], computed exactly as step() computes
  // them. Copies to the backend, so call it between epochs, never inside a recording.
  void prepare_live(const std::vector<double>& lrs);
  // One update that reads its scalars when it runs from the table row live->batch (backend memory);
  // otherwise as step(). Does NOT change steps(): a recorded update runs once per replay, so the
  // caller, who knows how many ran, calls set_steps() (before the next prepare_live).
  void step_live(float* params, const float* grads, const LiveStep* live);

  int64_t steps() const { return steps_; }
  void set_steps(int64_t steps);  // >= 0; for checkpoint restore
  int64_t num_params() const { return num_params_; }
  const OptimizerConfig& config() const { return config_; }

  // The named state tensors (views of the optimiser's own buffers, so writing into them restores a
  // checkpoint). Empty for plain SGD without momentum.
  virtual std::vector<std::pair<std::string, Tensor>> state() = 0;

 protected:
  Optimizer(const OptimizerConfig& config, Backend& be, int64_t num_params);
  // Checks the arguments of step() (non-null pointers, lr finite and >= 0).
  void check_step_args(const float* params, const float* grads, double lr) const;
  // The per-step scalars of an update at learning rate lr as the t-th step (1-based).
  virtual UpdateStepScalars step_scalars(double lr, int64_t t) const = 0;
  // Enqueues one fused update: at learning rate lr as the t-th step, or, when live.live is set,
  // with the scalars the live table holds for the current batch (lr and t then unused).
  virtual void update(float* params, const float* grads, double lr, int64_t t, const LiveUpdate& live) = 0;
  // The live table and counters for step_live (throws unless reserve_live was called).
  LiveUpdate live_update(const float* params, const float* grads, const LiveStep* live) const;

  OptimizerConfig config_;
  Backend& be_;
  int64_t num_params_;
  int64_t steps_ = 0;
  std::shared_ptr<Buffer> live_table_;  // (live_capacity_) UpdateStepScalars, backend memory
  int64_t live_capacity_ = 0;
};

}  // namespace gd
