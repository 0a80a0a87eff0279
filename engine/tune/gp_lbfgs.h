#pragma once
// Box-constrained L-BFGS (projected variant), used to fit the GP hyperparameters and to refine
// acquisition maxima. Each iteration takes the two-loop L-BFGS direction on the free variables
// (those not held at a bound by their gradient), projects the trial points onto the box and
// backtracks until the Armijo condition holds. Stops when the projected gradient is below gtol
// (infinity norm), when an accepted step lowers f by less than ftol * max(1, |f|), when no step
// is accepted, or after max_iters iterations. The objective may return +inf (e.g. a failed
// Cholesky): the line search treats that as "too far" and backtracks.
#include <functional>
#include <vector>

namespace gd::tune {

struct LbfgsOptions {
  int max_iters = 100;
  int memory = 8;
  double gtol = 1e-6;
  double ftol = 1e-10;
};

struct LbfgsResult {
  std::vector<double> x;
  double f = 0.0;
  int iters = 0;
  int evals = 0;
};

// f(x, grad) returns the objective and writes its gradient into *grad (same size as x).
using LbfgsObjective = std::function<double(const std::vector<double>& x, std::vector<double>* grad)>;

// Minimises f over [lo, hi] (element-wise, lo <= hi) from x0 (projected onto the box first).
LbfgsResult minimize_lbfgs_box(const LbfgsObjective& f, std::vector<double> x0, const std::vector<double>& lo,
                               const std::vector<double>& hi, const LbfgsOptions& options = {});

}  // namespace gd::tune
