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
  virtual void step(float* params, const float* grads, double lr) = 0;

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

  OptimizerConfig config_;
  Backend& be_;
  int64_t num_params_;
  int64_t steps_ = 0;
};

}  // namespace gd
