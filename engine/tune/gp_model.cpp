// GP posterior for fixed hyperparameters (gp_model.h).
#include "engine/tune/gp_model.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/core/error.h"
#include "engine/tune/gp_linalg.h"

namespace gd::tune {

GpModel::GpModel(GpInputs inputs, std::vector<double> y, const GpHyper& hyper)
    : in_(std::move(inputs)), y_(std::move(y)), kern_(hyper, in_.num_dims, in_.cat_dims) {
  const int n = in_.n;
  GD_CHECK(static_cast<int>(y_.size()) == n, "GP: " << y_.size() << " targets for " << n << " inputs");
  const size_t sn = static_cast<size_t>(n);
  std::vector<double> k(sn * sn);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < i; ++j) k[static_cast<size_t>(i) * sn + static_cast<size_t>(j)] = kern_.eval(in_.x_row(i), in_.c_row(i), in_.x_row(j), in_.c_row(j));
    k[static_cast<size_t>(i) * sn + static_cast<size_t>(i)] = kern_.signal_var() + kern_.noise_var();
  }
  jitter_ = cholesky_with_jitter(k, n, l_);
  if (jitter_ < 0.0) {
    throw NumericError("GP: the kernel matrix of " + std::to_string(n) +
                       " points is not positive definite even with 1e-4 relative jitter");
  }
  alpha_ = y_;
  solve_lower(l_.data(), n, alpha_.data());
  double quad = 0.0, logdet = 0.0;
  for (int i = 0; i < n; ++i) {
    quad += alpha_[static_cast<size_t>(i)] * alpha_[static_cast<size_t>(i)];
    logdet += 2.0 * std::log(l_[static_cast<size_t>(i) * sn + static_cast<size_t>(i)]);
  }
  solve_lower_transposed(l_.data(), n, alpha_.data());
  constexpr double kLog2Pi = 1.8378770664093454836;
  lml_ = -0.5 * quad - 0.5 * logdet - 0.5 * n * kLog2Pi;
}

void GpModel::predict(int m, const double* x, const int* c, double* mean, double* var) const {
  const int n = in_.n;
  const size_t sn = static_cast<size_t>(n);
  const double s2 = kern_.signal_var();
  std::vector<double> ks(static_cast<size_t>(m) * sn);
  for (int j = 0; j < m; ++j) {
    const double* xj = x + static_cast<size_t>(j) * static_cast<size_t>(in_.num_dims);
    const int* cj = c + static_cast<size_t>(j) * static_cast<size_t>(in_.cat_dims);
    double* row = ks.data() + static_cast<size_t>(j) * sn;
    for (int i = 0; i < n; ++i) row[i] = kern_.eval(xj, cj, in_.x_row(i), in_.c_row(i));
    mean[j] = dot(row, alpha_.data(), n);
  }
  solve_lower_rows(l_.data(), n, ks.data(), m);
  for (int j = 0; j < m; ++j) {
    const double* v = ks.data() + static_cast<size_t>(j) * sn;
    var[j] = std::max(s2 - dot(v, v, n), 1e-12 * s2);
  }
}

void GpModel::predict_with_grad(const double* x, const int* c, double* mean, double* var, double* dmean,
                                double* dvar) const {
  const int n = in_.n, nd = in_.num_dims;
  const size_t sn = static_cast<size_t>(n);
  const double s2 = kern_.signal_var();
  std::vector<double> k(sn), dk(sn * static_cast<size_t>(nd));
  for (int i = 0; i < n; ++i) {
    k[static_cast<size_t>(i)] = kern_.eval_grad(x, c, in_.x_row(i), in_.c_row(i), dk.data() + static_cast<size_t>(i) * static_cast<size_t>(nd));
  }
  *mean = dot(k.data(), alpha_.data(), n);
  std::vector<double> w = k;
  solve_lower(l_.data(), n, w.data());
  const double v = s2 - dot(w.data(), w.data(), n);
  const bool floored = v < 1e-12 * s2;
  *var = floored ? 1e-12 * s2 : v;
  solve_lower_transposed(l_.data(), n, w.data());  // w = K^{-1} k
  for (int d = 0; d < nd; ++d) {
    double dm = 0.0, dv = 0.0;
    for (int i = 0; i < n; ++i) {
      const double g = dk[static_cast<size_t>(i) * static_cast<size_t>(nd) + static_cast<size_t>(d)];
      dm += g * alpha_[static_cast<size_t>(i)];
      dv += g * w[static_cast<size_t>(i)];
    }
    dmean[d] = dm;
    dvar[d] = floored ? 0.0 : -2.0 * dv;
  }
}

}  // namespace gd::tune
