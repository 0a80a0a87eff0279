// Parameter importance: an additive main-effects model over binned parameter values, fitted by
// least squares, with a small-sample correction; one-way omega^2 as the fallback (see param_importance.h).
#include "engine/report/param_importance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "engine/core/error.h"

namespace gd::report {

int importance_groups(const StudyParam& p, const std::vector<nlohmann::json>& configs, const ImportanceOptions& options,
                      std::vector<int>& group_of) {
  const size_t n = configs.size();
  group_of.assign(n, -1);
  int k = 0;
  if (p.kind == StudyParam::Kind::Categorical) {
    // One group per observed choice (an unknown value counts as its own choice, by JSON text).
    std::vector<int> group_of_level(p.levels.size(), -1);
    std::map<std::string, int> unknown;
    for (size_t i = 0; i < n; ++i) {
      const nlohmann::json& v = param_of(configs[i], p.name);
      if (v.is_null()) continue;
      const int l = level_index(p, v);
      if (l >= 0) {
        if (group_of_level[static_cast<size_t>(l)] < 0) group_of_level[static_cast<size_t>(l)] = k++;
        group_of[i] = group_of_level[static_cast<size_t>(l)];
        continue;
      }
      auto [it, fresh] = unknown.emplace(v.dump(), k);
      if (fresh) ++k;
      group_of[i] = it->second;
    }
  } else {
    // Active trials sorted by value; non-numeric values of a numeric parameter count as inactive.
    std::vector<std::pair<double, size_t>> active;
    for (size_t i = 0; i < n; ++i) {
      const double x = numeric_value(p, param_of(configs[i], p.name));
      if (!std::isnan(x)) active.emplace_back(x, i);
    }
    std::sort(active.begin(), active.end());
    const size_t m = active.size();
    size_t distinct = 0;
    for (size_t j = 0; j < m; ++j) distinct += (j == 0 || active[j].first != active[j - 1].first) ? 1 : 0;
    const size_t per_bin = static_cast<size_t>(std::max(1, options.min_per_bin));
    const size_t bins = std::clamp<size_t>(m / per_bin, 2, static_cast<size_t>(std::max(2, options.max_bins)));
    if (distinct <= bins) {
      for (size_t j = 0; j < m; ++j) {
        if (j == 0 || active[j].first != active[j - 1].first) ++k;
        group_of[active[j].second] = k - 1;
      }
    } else {
      // Bin b ends at rank round((b+1) m / bins), moved forward past ties.
      size_t j = 0;
      for (size_t b = 0; b < bins && j < m; ++b) {
        size_t end = b + 1 == bins ? m : static_cast<size_t>(std::llround(static_cast<double>((b + 1) * m) / bins));
        end = std::max(end, j + 1);
        while (end < m && active[end].first == active[end - 1].first) ++end;
        for (; j < end; ++j) group_of[active[j].second] = k;
        ++k;
      }
    }
  }
  bool any_inactive = false;
  for (size_t i = 0; i < n; ++i)
    if (group_of[i] < 0) {
      group_of[i] = k;
      any_inactive = true;
    }
  return any_inactive ? k + 1 : k;
}

double omega_squared(const std::vector<double>& values, const std::vector<int>& group_of, int k) {
  GD_CHECK_SHAPE(values.size() == group_of.size(),
                 "omega_squared: " << values.size() << " values for " << group_of.size() << " group labels");
  const size_t n = values.size();
  for (size_t i = 0; i < n; ++i)
    GD_CHECK_SHAPE(group_of[i] >= 0 && group_of[i] < k, "omega_squared: group " << group_of[i] << " of trial " << i
                                                                               << " is outside 0.." << k - 1);
  if (k < 2) return 0.0;
  std::vector<double> sum(static_cast<size_t>(k), 0.0);
  std::vector<size_t> count(static_cast<size_t>(k), 0);
  double total = 0.0;
  for (size_t i = 0; i < n; ++i) {
    sum[static_cast<size_t>(group_of[i])] += values[i];
    ++count[static_cast<size_t>(group_of[i])];
    total += values[i];
  }
  const double mean = total / static_cast<double>(n);
  int used = 0;  // non-empty groups
  double ss_total = 0.0, ss_within = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const size_t g = static_cast<size_t>(group_of[i]);
    const double gm = sum[g] / static_cast<double>(count[g]);
    ss_total += (values[i] - mean) * (values[i] - mean);
    ss_within += (values[i] - gm) * (values[i] - gm);
  }
  for (size_t g = 0; g < count.size(); ++g) used += count[g] > 0 ? 1 : 0;
  // Relative to the values' magnitude, a total below this is rounding noise: a constant objective.
  const double scale = std::max(1.0, std::fabs(mean));
  if (used < 2 || n <= static_cast<size_t>(used) || !(ss_total > 1e-24 * scale * scale * static_cast<double>(n)))
    return 0.0;
  const double ss_between = std::max(0.0, ss_total - ss_within);
  const double ms_within = ss_within / static_cast<double>(n - static_cast<size_t>(used));
  const double w = (ss_between - (used - 1) * ms_within) / (ss_total + ms_within);
  return std::clamp(w, 0.0, 1.0);
}

namespace {

// Solves R x = c for the leading c.size() columns of the upper-triangular R stored by column
// (r[b][a] = R(a, b), a <= b).
std::vector<double> back_substitute(const std::vector<std::vector<double>>& r, const std::vector<double>& c) {
  std::vector<double> x(c.size(), 0.0);
  for (size_t b = c.size(); b-- > 0;) {
    double t = c[b];
    for (size_t k = b + 1; k < c.size(); ++k) t -= r[k][b] * x[k];
    x[b] = t / r[b][b];
  }
  return x;
}

}  // namespace

AdditiveFit fit_additive(const std::vector<double>& values, const std::vector<std::vector<int>>& groups,
                         const std::vector<int>& ks) {
  GD_CHECK_SHAPE(groups.size() == ks.size(), "fit_additive: " << groups.size() << " factors, " << ks.size() << " group counts");
  const size_t n = values.size(), p = groups.size();
  AdditiveFit fit;
  fit.effect_variance.assign(p, 0.0);
  fit.effect_df.assign(p, 0);
  for (size_t j = 0; j < p; ++j) {
    GD_CHECK_SHAPE(groups[j].size() == n, "fit_additive: factor " << j << " has " << groups[j].size() << " labels for "
                                                                   << n << " values");
    for (size_t i = 0; i < n; ++i)
      GD_CHECK_SHAPE(groups[j][i] >= 0 && groups[j][i] < ks[j],
                     "fit_additive: group " << groups[j][i] << " of trial " << i << " is outside 0.." << ks[j] - 1);
  }
  if (n == 0) return fit;

  // Columns in order: the intercept, then for each factor one indicator per group except its first
  // non-empty one. Gram-Schmidt (two passes, for orthogonality to rounding) keeps a column only when
  // it is not a combination of the kept columns before it; a dropped (aliased) column remembers that
  // combination (its coordinates in the basis so far).
  struct Column {
    size_t factor;
    int group;
    std::vector<double> coef;  // dropped columns: coordinates on q[0..coef.size())
  };
  std::vector<Column> kept, dropped;   // kept[c] is basis vector q[c + 1]
  std::vector<std::vector<double>> q;  // orthonormal basis: q[0] = intercept direction
  std::vector<std::vector<double>> r;  // r[b][a] = q_a . x_b for a <= b (column b of R)
  q.emplace_back(n, 1.0 / std::sqrt(static_cast<double>(n)));
  r.push_back({std::sqrt(static_cast<double>(n))});
  std::vector<double> v(n);
  for (size_t j = 0; j < p; ++j) {
    std::vector<size_t> count(static_cast<size_t>(ks[j]), 0);
    for (int g : groups[j]) ++count[static_cast<size_t>(g)];
    bool first = true;
    for (int g = 0; g < ks[j]; ++g) {
      if (count[static_cast<size_t>(g)] == 0) continue;
      if (first) {  // the baseline group
        first = false;
        continue;
      }
      for (size_t i = 0; i < n; ++i) v[i] = groups[j][i] == g ? 1.0 : 0.0;
      const double norm0 = std::sqrt(static_cast<double>(count[static_cast<size_t>(g)]));
      std::vector<double> coef(q.size(), 0.0);
      for (int pass = 0; pass < 2; ++pass)
        for (size_t a = 0; a < q.size(); ++a) {
          double d = 0.0;
          for (size_t i = 0; i < n; ++i) d += q[a][i] * v[i];
          for (size_t i = 0; i < n; ++i) v[i] -= d * q[a][i];
          coef[a] += d;
        }
      double norm = 0.0;
      for (double x : v) norm += x * x;
      norm = std::sqrt(norm);
      if (norm <= 1e-9 * norm0) {
        dropped.push_back({j, g, std::move(coef)});
        continue;
      }
      for (double& x : v) x /= norm;
      coef.push_back(norm);
      q.push_back(v);
      r.push_back(std::move(coef));
      kept.push_back({j, g, {}});
      ++fit.effect_df[j];
    }
  }
  // Least squares: R beta = Q^T y.
  const size_t m = q.size();
  std::vector<double> qty(m, 0.0);
  for (size_t a = 0; a < m; ++a)
    for (size_t i = 0; i < n; ++i) qty[a] += q[a][i] * values[i];
  const std::vector<double> beta = back_substitute(r, qty);

  // Each factor's fitted effect (a vector over the trials).
  std::vector<std::vector<double>> effect(p, std::vector<double>(n, 0.0));
  for (size_t c = 0; c < kept.size(); ++c)
    for (size_t i = 0; i < n; ++i)
      if (groups[kept[c].factor][i] == kept[c].group) effect[kept[c].factor][i] += beta[c + 1];

  // The residual (before the hand-over below, which changes the fitted values by a constant at most).
  std::vector<double> fitted(n, beta[0]);
  for (size_t j = 0; j < p; ++j)
    for (size_t i = 0; i < n; ++i) fitted[i] += effect[j][i];
  fit.rss = 0.0;
  for (size_t i = 0; i < n; ++i) fit.rss += (values[i] - fitted[i]) * (values[i] - fitted[i]);

  // An aliased column of factor j is a direction the fit cannot tell apart from earlier factors
  // (e.g. a conditional parameter's "inactive" group = the parent's choices that switch it off).
  // Along it, j's effect depends only on which of its groups was the baseline; so that direction
  // is taken out of j's effect and handed to the earlier factors that span it (the latest factors
  // first, so a factor passes on what it received). The fitted values do not change.
  for (size_t j = p; j-- > 0;) {
    std::vector<const Column*> mine;
    for (const Column& d : dropped)
      if (d.factor == j) mine.push_back(&d);
    if (mine.empty()) continue;
    // Centred indicators of j's dropped groups, orthonormalised; the part of j's effect along them.
    std::vector<std::vector<double>> basis;
    std::vector<double> lambda_basis;
    for (const Column* d : mine) {
      double mean = 0.0;
      for (size_t i = 0; i < n; ++i) v[i] = groups[j][i] == d->group ? 1.0 : 0.0;
      for (double x : v) mean += x;
      mean /= static_cast<double>(n);
      for (double& x : v) x -= mean;
      for (const auto& b : basis) {
        double dot = 0.0;
        for (size_t i = 0; i < n; ++i) dot += b[i] * v[i];
        for (size_t i = 0; i < n; ++i) v[i] -= dot * b[i];
      }
      double norm = 0.0;
      for (double x : v) norm += x * x;
      norm = std::sqrt(norm);
      if (norm <= 1e-12) continue;
      for (double& x : v) x /= norm;
      basis.push_back(v);
    }
    // `part`: the projection of j's effect on the centred indicators, = sum_d lambda_d (x_d - mean x_d).
    std::vector<double> part(n, 0.0);
    for (const auto& b : basis) {
      double dot = 0.0;
      for (size_t i = 0; i < n; ++i) dot += b[i] * effect[j][i];
      for (size_t i = 0; i < n; ++i) part[i] += dot * b[i];
    }
    // part = sum_d lambda_d (x_d - mean x_d): recover lambda_d from the group values of part.
    for (size_t i = 0; i < n; ++i) effect[j][i] -= part[i];
    std::vector<double> lambda(mine.size(), 0.0);
    {
      // On a trial of the baseline group (in none of the dropped groups), part = -sum lambda_d mean_d;
      // on a trial of dropped group d, part = lambda_d - sum lambda mean. Differences give lambda_d.
      double base = std::numeric_limits<double>::quiet_NaN();
      for (size_t i = 0; i < n && std::isnan(base); ++i) {
        bool in_dropped = false;
        for (const Column* d : mine) in_dropped = in_dropped || groups[j][i] == d->group;
        if (!in_dropped) base = part[i];
      }
      if (std::isnan(base)) base = 0.0;
      for (size_t k = 0; k < mine.size(); ++k)
        for (size_t i = 0; i < n; ++i)
          if (groups[j][i] == mine[k]->group) {
            lambda[k] = part[i] - base;
            break;
          }
    }
    // Hand lambda_d x_d to the factors whose kept columns span x_d (their coordinates from R).
    for (size_t k = 0; k < mine.size(); ++k) {
      if (lambda[k] == 0.0) continue;
      const std::vector<double> gamma = back_substitute(r, mine[k]->coef);
      for (size_t b = 1; b < gamma.size(); ++b) {  // b = 0 is the intercept: a constant, not an effect
        const Column& c = kept[b - 1];
        for (size_t i = 0; i < n; ++i)
          if (groups[c.factor][i] == c.group) effect[c.factor][i] += lambda[k] * gamma[b];
      }
    }
  }

  for (size_t j = 0; j < p; ++j) {
    double mean = 0.0;
    for (double e : effect[j]) mean += e;
    mean /= static_cast<double>(n);
    double var = 0.0;
    for (double e : effect[j]) var += (e - mean) * (e - mean);
    fit.effect_variance[j] = var / static_cast<double>(n);
  }
  fit.df_residual = static_cast<int>(n) - static_cast<int>(m);
  fit.residual_variance = fit.df_residual > 0 ? fit.rss / fit.df_residual : 0.0;
  return fit;
}

ImportanceResult param_importance(const std::vector<StudyParam>& params, const std::vector<nlohmann::json>& configs,
                                  const std::vector<double>& values, const ImportanceOptions& options) {
  GD_CHECK_SHAPE(configs.size() == values.size(),
                 "param_importance: " << configs.size() << " trial configurations for " << values.size() << " values");
  for (size_t i = 0; i < values.size(); ++i)
    GD_CHECK_T(std::isfinite(values[i]), NumericError,
               "param_importance: objective value " << values[i] << " of trial #" << i << " is not finite");
  ImportanceResult r;
  r.trials = static_cast<int>(values.size());
  if (params.empty()) {
    r.why_not = "The study has no sampled parameter";
    return r;
  }
  if (r.trials < options.min_trials) {
    r.why_not = "Not enough trials: importance needs at least " + std::to_string(options.min_trials) +
                " complete trials, the study has " + std::to_string(r.trials);
    return r;
  }
  r.computed = true;
  const size_t n = values.size(), p = params.size();
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(n);
  double var = 0.0;
  for (double y : values) var += (y - mean) * (y - mean);
  var /= static_cast<double>(n);

  // One-way shares with the requested bins (also the fallback).
  std::vector<std::vector<int>> groups(p);
  std::vector<int> ks(p);
  for (size_t j = 0; j < p; ++j) {
    ParamImportance pi;
    pi.name = params[j].name;
    ks[j] = importance_groups(params[j], configs, options, groups[j]);
    pi.groups = ks[j];
    for (const nlohmann::json& c : configs) {
      const nlohmann::json& v = param_of(c, params[j].name);
      pi.active += (params[j].numeric() ? !std::isnan(numeric_value(params[j], v)) : !v.is_null()) ? 1 : 0;
    }
    pi.marginal_share = omega_squared(values, groups[j], ks[j]);
    r.params.push_back(pi);
  }

  // The additive model, with fewer bins while it leaves too few residual degrees of freedom.
  const int min_df = std::max(2, static_cast<int>(n) / 5);
  auto df_of = [&]() {
    int used = 0;
    for (size_t j = 0; j < p; ++j) used += ks[j] - 1;
    return static_cast<int>(n) - 1 - used;
  };
  ImportanceOptions o = options;
  while (df_of() < min_df && o.max_bins > 2) {
    o.max_bins = std::max(2, o.max_bins - 1);
    for (size_t j = 0; j < p; ++j)
      if (params[j].numeric()) ks[j] = importance_groups(params[j], configs, o, groups[j]);
  }
  const bool constant = !(var > 1e-24 * std::max(1.0, mean * mean));
  if (constant) {
    for (ParamImportance& pi : r.params) pi.marginal_share = 0.0;
  } else if (df_of() >= min_df) {
    r.method = ImportanceResult::Method::Additive;
    const AdditiveFit fit = fit_additive(values, groups, ks);
    double budget = fit.rss / static_cast<double>(n);  // Var(y) without the covariances of the fitted effects
    for (size_t j = 0; j < p; ++j) budget += fit.effect_variance[j];
    for (size_t j = 0; j < p; ++j) {
      r.params[j].groups = ks[j];
      const double noise = fit.effect_df[j] * fit.residual_variance / static_cast<double>(n);
      r.params[j].variance_share = budget > 0.0 ? std::clamp((fit.effect_variance[j] - noise) / budget, 0.0, 1.0) : 0.0;
    }
  } else {
    r.method = ImportanceResult::Method::Marginal;
    for (ParamImportance& pi : r.params) pi.variance_share = pi.marginal_share;
  }
  for (const ParamImportance& pi : r.params) r.explained += pi.variance_share;
  r.no_signal = !(r.explained > 0.0);
  if (!r.no_signal)
    for (ParamImportance& pi : r.params) pi.importance = pi.variance_share / r.explained;
  std::stable_sort(r.params.begin(), r.params.end(),
                   [](const ParamImportance& a, const ParamImportance& b) { return a.importance > b.importance; });
  return r;
}

}  // namespace gd::report
