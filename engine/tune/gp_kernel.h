#pragma once
// The covariance function of the GP sampler and the layout of its inputs.
//
// Inputs: each point has num_dims numeric coordinates in [0, 1] (float and int parameters in the
// unit encoding of param_spec.h, i.e. log-scaled where the space says log; ints as their bin's
// representative) and cat_dims categorical levels (the choice index; an inactive categorical
// parameter gets its own extra level, num_choices).
//
// Kernel: Matern 5/2 with one length scale per numeric dimension (ARD), times an exponentiated
// Hamming factor with one rate per categorical dimension, so categoricals need no one-hot columns:
//   k(a, b) = s2 * (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r) * exp(-sum_c theta_c [a_c != b_c]),
//   r^2 = sum_d ((a_d - b_d) / l_d)^2.
// The observation noise variance is added on the diagonal of the training covariance only.
#include <cmath>
#include <vector>

namespace gd::tune {

struct GpInputs {
  int n = 0, num_dims = 0, cat_dims = 0;
  std::vector<double> x;  // n x num_dims, row-major
  std::vector<int> c;     // n x cat_dims, row-major

  const double* x_row(int i) const { return x.data() + static_cast<size_t>(i) * static_cast<size_t>(num_dims); }
  const int* c_row(int i) const { return c.data() + static_cast<size_t>(i) * static_cast<size_t>(cat_dims); }
};

// Hyperparameters, all in log space (the parametrisation the fit optimises).
struct GpHyper {
  std::vector<double> log_lengthscale;  // num_dims: log l_d
  std::vector<double> log_cat_rate;     // cat_dims: log theta_c
  double log_signal_var = 0.0;          // log s2
  double log_noise_var = -6.9;          // log of the noise variance

  int size() const { return static_cast<int>(log_lengthscale.size() + log_cat_rate.size()) + 2; }
  // [log_lengthscale..., log_cat_rate..., log_signal_var, log_noise_var]
  std::vector<double> to_vector() const;
  static GpHyper from_vector(const std::vector<double>& v, int num_dims, int cat_dims);
};

// (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r), r >= 0.
inline double matern52(double r) {
  const double s = 2.2360679774997896964 * r;
  return (1.0 + s + s * s / 3.0) * std::exp(-s);
}

class GpKernel {
 public:
  GpKernel(const GpHyper& h, int num_dims, int cat_dims);

  double signal_var() const { return s2_; }
  double noise_var() const { return noise_; }
  // k(a, b) without noise.
  double eval(const double* xa, const int* ca, const double* xb, const int* cb) const;
  // k(a, b) and d k / d a_d for the numeric coordinates (grad has num_dims entries).
  double eval_grad(const double* xa, const int* ca, const double* xb, const int* cb, double* grad) const;

 private:
  int num_dims_, cat_dims_;
  std::vector<double> inv_l2_;  // 1 / l_d^2
  std::vector<double> rate_;    // theta_c
  double s2_, noise_;
};

}  // namespace gd::tune
