// Matern 5/2 ARD x categorical Hamming kernel (gp_kernel.h).
#include "engine/tune/gp_kernel.h"

#include "engine/core/error.h"

namespace gd::tune {

std::vector<double> GpHyper::to_vector() const {
  std::vector<double> v = log_lengthscale;
  v.insert(v.end(), log_cat_rate.begin(), log_cat_rate.end());
  v.push_back(log_signal_var);
  v.push_back(log_noise_var);
  return v;
}

GpHyper GpHyper::from_vector(const std::vector<double>& v, int num_dims, int cat_dims) {
  GD_CHECK(v.size() == static_cast<size_t>(num_dims + cat_dims + 2),
           "GP hyperparameters: " << v.size() << " values for " << num_dims << " numeric and " << cat_dims
                                  << " categorical dimensions");
  GpHyper h;
  h.log_lengthscale.assign(v.begin(), v.begin() + num_dims);
  h.log_cat_rate.assign(v.begin() + num_dims, v.begin() + num_dims + cat_dims);
  h.log_signal_var = v[static_cast<size_t>(num_dims + cat_dims)];
  h.log_noise_var = v[static_cast<size_t>(num_dims + cat_dims + 1)];
  return h;
}

GpKernel::GpKernel(const GpHyper& h, int num_dims, int cat_dims)
    : num_dims_(num_dims), cat_dims_(cat_dims), s2_(std::exp(h.log_signal_var)), noise_(std::exp(h.log_noise_var)) {
  GD_CHECK(h.log_lengthscale.size() == static_cast<size_t>(num_dims) && h.log_cat_rate.size() == static_cast<size_t>(cat_dims),
           "GP kernel: hyperparameters for " << h.log_lengthscale.size() << "+" << h.log_cat_rate.size()
                                             << " dimensions, inputs have " << num_dims << "+" << cat_dims);
  inv_l2_.resize(static_cast<size_t>(num_dims));
  for (int d = 0; d < num_dims; ++d) inv_l2_[static_cast<size_t>(d)] = std::exp(-2.0 * h.log_lengthscale[static_cast<size_t>(d)]);
  rate_.resize(static_cast<size_t>(cat_dims));
  for (int c = 0; c < cat_dims; ++c) rate_[static_cast<size_t>(c)] = std::exp(h.log_cat_rate[static_cast<size_t>(c)]);
}

double GpKernel::eval(const double* xa, const int* ca, const double* xb, const int* cb) const {
  double r2 = 0.0;
  for (int d = 0; d < num_dims_; ++d) {
    const double t = xa[d] - xb[d];
    r2 += t * t * inv_l2_[static_cast<size_t>(d)];
  }
  double ham = 0.0;
  for (int c = 0; c < cat_dims_; ++c) {
    if (ca[c] != cb[c]) ham += rate_[static_cast<size_t>(c)];
  }
  return s2_ * matern52(std::sqrt(r2)) * std::exp(-ham);
}

double GpKernel::eval_grad(const double* xa, const int* ca, const double* xb, const int* cb, double* grad) const {
  double r2 = 0.0;
  for (int d = 0; d < num_dims_; ++d) {
    const double t = xa[d] - xb[d];
    r2 += t * t * inv_l2_[static_cast<size_t>(d)];
  }
  double ham = 0.0;
  for (int c = 0; c < cat_dims_; ++c) {
    if (ca[c] != cb[c]) ham += rate_[static_cast<size_t>(c)];
  }
  const double r = std::sqrt(r2);
  const double s = 2.2360679774997896964 * r;
  const double e = std::exp(-s);
  const double scale = s2_ * std::exp(-ham);
  // d/dr matern52 = -(5/3) r (1 + sqrt5 r) e^{-sqrt5 r}; dr/da_d = (a_d - b_d) / (l_d^2 r).
  const double g = -scale * (5.0 / 3.0) * (1.0 + s) * e;
  for (int d = 0; d < num_dims_; ++d) grad[d] = g * (xa[d] - xb[d]) * inv_l2_[static_cast<size_t>(d)];
  return scale * (1.0 + s + s * s / 3.0) * e;
}

}  // namespace gd::tune
