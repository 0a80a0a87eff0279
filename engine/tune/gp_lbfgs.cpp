// Projected box-constrained L-BFGS (gp_lbfgs.h).
#include "engine/tune/gp_lbfgs.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include "engine/core/error.h"

namespace gd::tune {

namespace {

double dotv(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

LbfgsResult minimize_lbfgs_box(const LbfgsObjective& f, std::vector<double> x0, const std::vector<double>& lo,
                               const std::vector<double>& hi, const LbfgsOptions& opt) {
  const size_t n = x0.size();
  GD_CHECK(lo.size() == n && hi.size() == n, "L-BFGS: bounds of size " << lo.size() << "/" << hi.size() << " for " << n << " variables");
  auto project = [&](std::vector<double>& x) {
    for (size_t i = 0; i < n; ++i) x[i] = std::clamp(x[i], lo[i], hi[i]);
  };
  LbfgsResult res;
  res.x = std::move(x0);
  project(res.x);
  std::vector<double> g(n), gn(n), xn(n), d(n), s(n), y(n), q(n);
  res.f = f(res.x, &g);
  res.evals = 1;
  if (!std::isfinite(res.f)) return res;

  std::deque<std::vector<double>> S, Y;
  std::deque<double> rho;
  std::vector<bool> free_var(n);
  for (res.iters = 0; res.iters < opt.max_iters; ++res.iters) {
    double pg = 0.0;
    for (size_t i = 0; i < n; ++i) {
      const double step = std::clamp(res.x[i] - g[i], lo[i], hi[i]) - res.x[i];
      pg = std::max(pg, std::fabs(step));
      free_var[i] = !((res.x[i] <= lo[i] && g[i] > 0.0) || (res.x[i] >= hi[i] && g[i] < 0.0));
    }
    if (pg < opt.gtol) break;

    // Two-loop recursion on the free variables.
    for (size_t i = 0; i < n; ++i) q[i] = free_var[i] ? g[i] : 0.0;
    std::vector<double> a(S.size());
    for (size_t k = S.size(); k-- > 0;) {
      a[k] = rho[k] * dotv(S[k], q);
      for (size_t i = 0; i < n; ++i) q[i] -= a[k] * Y[k][i];
    }
    const double gamma = S.empty() ? 1.0 / std::max(1.0, std::sqrt(dotv(q, q))) : dotv(S.back(), Y.back()) / dotv(Y.back(), Y.back());
    for (size_t i = 0; i < n; ++i) q[i] *= gamma;
    for (size_t k = 0; k < S.size(); ++k) {
      const double b = rho[k] * dotv(Y[k], q);
      for (size_t i = 0; i < n; ++i) q[i] += S[k][i] * (a[k] - b);
    }
    double gd_dot = 0.0;
    for (size_t i = 0; i < n; ++i) {
      d[i] = free_var[i] ? -q[i] : 0.0;
      gd_dot += g[i] * d[i];
    }
    if (!(gd_dot < 0.0)) {  // not a descent direction: steepest descent, forget the memory
      S.clear();
      Y.clear();
      rho.clear();
      const double gnorm = std::sqrt(dotv(g, g));
      for (size_t i = 0; i < n; ++i) d[i] = free_var[i] ? -g[i] / std::max(1.0, gnorm) : 0.0;
    }

    // Backtracking line search on the projected path.
    double t = 1.0, fn = 0.0;
    bool accepted = false;
    for (int ls = 0; ls < 40; ++ls) {
      for (size_t i = 0; i < n; ++i) xn[i] = res.x[i] + t * d[i];
      project(xn);
      double decrease = 0.0, moved = 0.0;
      for (size_t i = 0; i < n; ++i) {
        s[i] = xn[i] - res.x[i];
        decrease += g[i] * s[i];
        moved = std::max(moved, std::fabs(s[i]));
      }
      if (moved == 0.0) break;
      fn = f(xn, &gn);
      ++res.evals;
      if (std::isfinite(fn) && fn <= res.f + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) break;
    for (size_t i = 0; i < n; ++i) y[i] = gn[i] - g[i];
    const double sy = dotv(s, y);
    if (sy > 1e-12 * std::sqrt(dotv(s, s) * dotv(y, y))) {
      S.push_back(s);
      Y.push_back(y);
      rho.push_back(1.0 / sy);
      if (static_cast<int>(S.size()) > opt.memory) {
        S.pop_front();
        Y.pop_front();
        rho.pop_front();
      }
    }
    const double change = res.f - fn;
    res.x = xn;
    res.f = fn;
    g = gn;
    if (change <= opt.ftol * std::max(1.0, std::fabs(res.f))) {
      ++res.iters;
      break;
    }
  }
  return res;
}

}  // namespace gd::tune
