// TPE's Parzen estimators (parzen_estimator.h).
#include "engine/tune/parzen_estimator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "engine/tune/normal_math.h"

namespace gd::tune {

namespace {

constexpr double kPriorMu = 0.5, kPriorSigma = 1.0;

double log_sum_exp(const std::vector<double>& v) {
  double m = -std::numeric_limits<double>::infinity();
  for (double x : v) m = std::max(m, x);
  if (!std::isfinite(m)) return m;
  double s = 0.0;
  for (double x : v) s += std::exp(x - m);
  return m + std::log(s);
}

}  // namespace

std::vector<double> tpe_weights(size_t n) {
  constexpr size_t kFlat = 25;
  std::vector<double> w(n, 1.0);
  if (n <= kFlat) return w;
  const size_t ramp = n - kFlat;
  const double lo = 1.0 / static_cast<double>(n);
  for (size_t i = 0; i < ramp; ++i) {
    w[i] = ramp == 1 ? lo : lo + (1.0 - lo) * static_cast<double>(i) / static_cast<double>(ramp - 1);
  }
  return w;
}

NumericParzen::NumericParzen(const std::vector<double>& obs, const std::vector<double>& weights, double prior_weight) {
  const size_t n = obs.size();
  mu_ = obs;
  mu_.push_back(kPriorMu);
  std::vector<size_t> order(mu_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return mu_[a] < mu_[b]; });
  const double min_sigma = 1.0 / std::min(100.0, static_cast<double>(n) + 1.0);
  sigma_.assign(mu_.size(), kPriorSigma);
  for (size_t r = 0; r < order.size(); ++r) {
    const size_t i = order[r];
    if (i == n) continue;  // the prior keeps its own sigma
    const double left = r > 0 ? mu_[order[r - 1]] : 0.0;
    const double right = r + 1 < order.size() ? mu_[order[r + 1]] : 1.0;
    sigma_[i] = std::clamp(std::max(mu_[i] - left, right - mu_[i]), min_sigma, 1.0);
  }
  double total = prior_weight;
  for (double w : weights) total += w;
  log_w_.resize(mu_.size());
  cum_w_.resize(mu_.size());
  double acc = 0.0;
  for (size_t i = 0; i < mu_.size(); ++i) {
    const double w = (i < n ? weights[i] : prior_weight) / total;
    log_w_[i] = std::log(w);
    acc += w;
    cum_w_[i] = acc;
  }
  log_z_.resize(mu_.size());
  for (size_t i = 0; i < mu_.size(); ++i) {
    log_z_[i] = log_normal_interval(-mu_[i] / sigma_[i], (1.0 - mu_[i]) / sigma_[i]);
  }
}

double NumericParzen::sample(Rng& rng) const {
  const double r = rng.uniform() * cum_w_.back();
  const size_t i = static_cast<size_t>(std::upper_bound(cum_w_.begin(), cum_w_.end(), r) - cum_w_.begin());
  const size_t k = std::min(i, mu_.size() - 1);
  // Rejection from the untruncated kernel: every kernel keeps >= 30% of its mass in [0, 1]
  // (its mean lies there and sigma <= 1), so 64 tries fail with probability < 1e-9.
  for (int t = 0; t < 64; ++t) {
    const double x = mu_[k] + sigma_[k] * rng.normal();
    if (x >= 0.0 && x <= 1.0) return x;
  }
  return std::clamp(mu_[k], 0.0, 1.0);
}

double NumericParzen::log_density(double u) const {
  std::vector<double> terms(mu_.size());
  for (size_t i = 0; i < mu_.size(); ++i) {
    terms[i] = log_w_[i] + log_normal_pdf((u - mu_[i]) / sigma_[i]) - std::log(sigma_[i]) - log_z_[i];
  }
  return log_sum_exp(terms);
}

double NumericParzen::log_mass(double lo, double hi) const {
  std::vector<double> terms(mu_.size());
  for (size_t i = 0; i < mu_.size(); ++i) {
    terms[i] = log_w_[i] + log_normal_interval((lo - mu_[i]) / sigma_[i], (hi - mu_[i]) / sigma_[i]) - log_z_[i];
  }
  return log_sum_exp(terms);
}

CategoricalParzen::CategoricalParzen(const std::vector<int>& obs, const std::vector<double>& weights, int num_choices,
                                     double prior_weight) {
  p_.assign(static_cast<size_t>(num_choices), prior_weight / num_choices);
  for (size_t i = 0; i < obs.size(); ++i) p_[static_cast<size_t>(obs[i])] += weights[i];
  double total = 0.0;
  for (double p : p_) total += p;
  log_p_.resize(p_.size());
  for (size_t c = 0; c < p_.size(); ++c) {
    p_[c] /= total;
    log_p_[c] = std::log(p_[c]);
  }
}

int CategoricalParzen::sample(Rng& rng) const {
  double r = rng.uniform();
  for (size_t c = 0; c < p_.size(); ++c) {
    r -= p_[c];
    if (r < 0.0) return static_cast<int>(c);
  }
  return static_cast<int>(p_.size()) - 1;
}

MultivariateParzen::MultivariateParzen(std::vector<const ParamSpec*> specs, const std::vector<std::vector<double>>& obs,
                                       const std::vector<double>& weights, double prior_weight)
    : specs_(std::move(specs)) {
  const size_t n = obs.size(), dims = specs_.size();
  n_comp_ = n + 1;
  const double bw = std::clamp(0.2 * std::pow(std::max<double>(1.0, static_cast<double>(n)), -1.0 / (static_cast<double>(dims) + 4.0)),
                               1.0 / std::min(100.0, static_cast<double>(n) + 1.0), 1.0);
  // Each observation's categorical kernel: 1 on its choice plus prior_weight / n_comp on every
  // choice, normalised (Optuna's smoothing). The smoothing shrinks as observations accumulate, so
  // the bad estimator becomes sharp where many bad trials sat, and a choice the bad trials rarely
  // visited keeps a high l/g ratio: it gets explored instead of abandoned.
  const double smoothing = prior_weight / static_cast<double>(n_comp_);
  mu_.assign(n_comp_ * dims, kPriorMu);
  sigma_.assign(n_comp_ * dims, kPriorSigma);
  log_z_.assign(n_comp_ * dims, 0.0);
  cat_p_.assign(n_comp_ * dims, {});
  observed_.assign(n_comp_ * dims, 0);
  for (size_t i = 0; i < n_comp_; ++i) {
    const bool prior = i == n;
    for (size_t d = 0; d < dims; ++d) {
      const ParamSpec& p = *specs_[d];
      const size_t at = i * dims + d;
      if (p.type == ParamType::Categorical) {
        const size_t k = p.choices.size();
        std::vector<double> probs(k, prior ? 1.0 / static_cast<double>(k) : smoothing);
        if (!prior) {
          const size_t c = std::min(k - 1, static_cast<size_t>(obs[i][d] * static_cast<double>(k)));
          probs[c] += 1.0;
          observed_[at] = c;
          for (double& q : probs) q /= 1.0 + smoothing * static_cast<double>(k);
        }
        cat_p_[at] = std::move(probs);
        continue;
      }
      if (!prior) {
        mu_[at] = obs[i][d];
        sigma_[at] = bw;
      }
      log_z_[at] = log_normal_interval(-mu_[at] / sigma_[at], (1.0 - mu_[at]) / sigma_[at]);
    }
  }
  double total = prior_weight;
  for (double w : weights) total += w;
  log_w_.resize(n_comp_);
  cum_w_.resize(n_comp_);
  double acc = 0.0;
  for (size_t i = 0; i < n_comp_; ++i) {
    const double w = (i < n ? weights[i] : prior_weight) / total;
    log_w_[i] = std::log(w);
    acc += w;
    cum_w_[i] = acc;
  }
}

std::vector<double> MultivariateParzen::sample(Rng& rng) const {
  const size_t dims = specs_.size();
  const double r = rng.uniform() * cum_w_.back();
  const size_t i = std::min(n_comp_ - 1, static_cast<size_t>(std::upper_bound(cum_w_.begin(), cum_w_.end(), r) - cum_w_.begin()));
  std::vector<double> u(dims);
  // Categorical coordinates first: a kernel whose categorical draw left its observation's choices
  // knows nothing about the numeric values there, so those come from the prior (see log_pdf).
  bool matches = true;
  for (size_t d = 0; d < dims; ++d) {
    const ParamSpec& p = *specs_[d];
    if (p.type != ParamType::Categorical) continue;
    const size_t at = i * dims + d;
    const std::vector<double>& probs = cat_p_[at];
    double x = rng.uniform();
    size_t c = 0;
    while (c + 1 < probs.size() && (x -= probs[c]) >= 0.0) ++c;
    u[d] = (static_cast<double>(c) + 0.5) / static_cast<double>(probs.size());
    if (i + 1 < n_comp_ && c != observed_[i * dims + d]) matches = false;
  }
  const size_t prior = (n_comp_ - 1) * dims;
  for (size_t d = 0; d < dims; ++d) {
    const ParamSpec& p = *specs_[d];
    if (p.type == ParamType::Categorical) continue;
    const size_t at = matches ? i * dims + d : prior + d;
    double x = std::clamp(mu_[at], 0.0, 1.0);
    for (int t = 0; t < 64; ++t) {  // >= 30% acceptance, see NumericParzen::sample
      const double v = mu_[at] + sigma_[at] * rng.normal();
      if (v >= 0.0 && v <= 1.0) {
        x = v;
        break;
      }
    }
    u[d] = p.discrete() ? p.to_unit(p.from_unit(x)) : x;
  }
  return u;
}

double MultivariateParzen::log_pdf(const std::vector<double>& u) const {
  const size_t dims = specs_.size();
  // Per dimension: the bin of a discrete numeric coordinate, the choice of a categorical one.
  std::vector<double> lo(dims), hi(dims);
  std::vector<size_t> choice(dims, 0);
  for (size_t d = 0; d < dims; ++d) {
    const ParamSpec& p = *specs_[d];
    if (p.type == ParamType::Categorical) {
      choice[d] = std::min(p.choices.size() - 1, static_cast<size_t>(u[d] * static_cast<double>(p.choices.size())));
    } else if (p.discrete()) {
      const auto bin = p.unit_bin(p.level_of(p.from_unit(u[d])));
      lo[d] = bin.first;
      hi[d] = bin.second;
    }
  }
  std::vector<double> terms(n_comp_);
  const size_t prior = (n_comp_ - 1) * dims;
  for (size_t i = 0; i < n_comp_; ++i) {
    double lp = log_w_[i];
    bool matches = true;
    for (size_t d = 0; d < dims; ++d) {
      if (specs_[d]->type != ParamType::Categorical) continue;
      lp += std::log(cat_p_[i * dims + d][choice[d]]);
      if (i + 1 < n_comp_ && choice[d] != observed_[i * dims + d]) matches = false;
    }
    for (size_t d = 0; d < dims; ++d) {
      const ParamSpec& p = *specs_[d];
      const size_t at = matches ? i * dims + d : prior + d;
      if (p.type == ParamType::Categorical) {
        continue;
      } else if (p.discrete()) {
        lp += log_normal_interval((lo[d] - mu_[at]) / sigma_[at], (hi[d] - mu_[at]) / sigma_[at]) - log_z_[at];
      } else {
        lp += log_normal_pdf((u[d] - mu_[at]) / sigma_[at]) - std::log(sigma_[at]) - log_z_[at];
      }
    }
    terms[i] = lp;
  }
  return log_sum_exp(terms);
}

}  // namespace gd::tune
