// Gaussian-process Bayesian optimisation sampler (gp_sampler.h).
#include "engine/tune/gp_sampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <string>

#include "engine/tune/gp_acquisition.h"
#include "engine/tune/gp_encoding.h"
#include "engine/tune/gp_fit.h"
#include "engine/tune/gp_lbfgs.h"
#include "engine/tune/gp_model.h"
#include "engine/tune/random_sampler.h"
#include "engine/tune/sampler_history.h"
#include "engine/tune/sobol.h"

namespace gd::tune {

namespace {

constexpr size_t kCacheSize = 4;
constexpr int kLocalBases = 5;
constexpr double kLocalScales[] = {0.01, 0.05, 0.2};

uint64_t fnv1a(const void* data, size_t bytes, uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t hash_fit_data(const GpInputs& in, const std::vector<double>& y) {
  uint64_t h = 14695981039346656037ull;
  const int dims[3] = {in.n, in.num_dims, in.cat_dims};
  h = fnv1a(dims, sizeof dims, h);
  h = fnv1a(in.x.data(), in.x.size() * sizeof(double), h);
  h = fnv1a(in.c.data(), in.c.size() * sizeof(int), h);
  return fnv1a(y.data(), y.size() * sizeof(double), h);
}

double median_of(std::vector<double> v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double hi = v[mid];
  if (v.size() % 2) return hi;
  return 0.5 * (hi + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid)));
}

// Larger-is-better scores -> GP targets: bad outliers clipped at median - 5 robust sd, then
// standardised to mean 0, sd 1 (sd 1 when all equal).
std::vector<double> standardise_scores(const std::vector<double>& s) {
  const double med = median_of(s);
  std::vector<double> dev(s.size());
  for (size_t i = 0; i < s.size(); ++i) dev[i] = std::fabs(s[i] - med);
  const double mad = median_of(dev);
  const double floor = mad > 0.0 ? med - 5.0 * 1.4826 * mad : -std::numeric_limits<double>::infinity();
  std::vector<double> y(s.size());
  double mean = 0.0;
  for (size_t i = 0; i < s.size(); ++i) {
    y[i] = std::max(s[i], floor);
    mean += y[i];
  }
  mean /= static_cast<double>(y.size());
  double var = 0.0;
  for (double v : y) var += (v - mean) * (v - mean);
  double sd = std::sqrt(var / static_cast<double>(y.size()));
  if (!(sd > 1e-12 * std::max(1.0, std::fabs(mean)))) sd = 1.0;
  for (double& v : y) v = (v - mean) / sd;
  return y;
}

// A unit vector: the first min(dims, kMaxDims) coordinates from the shifted Sobol point `index`,
// the rest uniform from rng.
std::vector<double> sobol_unit(int dims, uint64_t index, Rng& shift_rng, Rng& rng) {
  std::vector<double> u(static_cast<size_t>(dims));
  const int sd = std::min(dims, SobolSequence::kMaxDims);
  if (sd > 0) {
    const SobolSequence sobol(sd);
    std::vector<uint32_t> shift(static_cast<size_t>(sd));
    for (uint32_t& s : shift) s = shift_rng.next_u32();
    const std::vector<double> p = sobol.point(index & 0xFFFFFFFFull, shift);
    std::copy(p.begin(), p.end(), u.begin());
  }
  for (int d = sd; d < dims; ++d) u[static_cast<size_t>(d)] = rng.uniform();
  return u;
}

struct Candidate {
  std::vector<double> unit;  // decoded configuration's unit vector (NaN = inactive)
  nlohmann::json params;
  std::string key;
  double log_ei = -std::numeric_limits<double>::infinity();
};

// Scores candidates [first, end) with one batched posterior call.
void score(std::vector<Candidate>& cands, size_t first, const GpEncoder& enc, const GpModel& model, double best) {
  const size_t m = cands.size() - first;
  if (m == 0) return;
  const size_t nd = static_cast<size_t>(enc.num_dims()), nc = static_cast<size_t>(enc.cat_dims());
  std::vector<double> x(m * nd), mean(m), var(m);
  std::vector<int> c(m * nc);
  for (size_t j = 0; j < m; ++j) enc.encode(cands[first + j].unit, x.data() + j * nd, c.data() + j * nc);
  model.predict(static_cast<int>(m), x.data(), c.data(), mean.data(), var.data());
  for (size_t j = 0; j < m; ++j) cands[first + j].log_ei = log_expected_improvement(mean[j], var[j], best);
}

Candidate decode(const SearchSpace& space, const std::vector<double>& u) {
  Candidate c;
  c.params = space.from_unit(u);
  c.unit = space.to_unit(c.params);
  c.key = space.canonical_key(c.params);
  return c;
}

}  // namespace

int gp_fit_size(int n) {
  if (n <= 30) return n;
  int m = 30;
  for (;;) {
    const int next = m + (m + 9) / 10;
    if (next > n) return m;
    m = next;
  }
}

GpSampler::GpSampler(GpOptions options) : opt_(options) {
  auto bad = [](const std::string& what) { throw ConfigError("gp sampler: " + what); };
  if (opt_.n_startup < -1) bad("n_startup must be >= 0 (or -1 for the default), got " + std::to_string(opt_.n_startup));
  if (opt_.n_candidates < 2) bad("n_candidates must be >= 2, got " + std::to_string(opt_.n_candidates));
  if (opt_.n_refine < 0) bad("n_refine must be >= 0, got " + std::to_string(opt_.n_refine));
  if (opt_.max_fit_points < 10) bad("max_fit_points must be >= 10, got " + std::to_string(opt_.max_fit_points));
}

int GpSampler::startup_trials(const SearchSpace& space) const {
  return opt_.n_startup >= 0 ? opt_.n_startup : std::min(10, space.dims() + 2);
}

GpHyper GpSampler::hyperparameters(const GpInputs& inputs, const std::vector<double>& y) {
  const uint64_t key = hash_fit_data(inputs, y);
  for (size_t i = 0; i < cache_.size(); ++i) {
    if (cache_[i].key == key) {
      CacheEntry e = cache_[i];
      cache_.erase(cache_.begin() + static_cast<std::ptrdiff_t>(i));
      cache_.push_back(e);
      return e.hyper;
    }
  }
  ++fits_;
  CacheEntry e{key, fit_gp_hyper(inputs, y).hyper};
  cache_.push_back(e);
  if (cache_.size() > kCacheSize) cache_.erase(cache_.begin());
  return e.hyper;
}

nlohmann::json GpSampler::propose(const SampleRequest& req) {
  const SearchSpace& space = req.space;
  const int dims = space.dims();
  const HistoryView view = view_history(space, req.history, req.direction);
  std::vector<ScoredTrial> obs = view.complete;
  obs.insert(obs.end(), view.pruned.begin(), view.pruned.end());
  std::stable_sort(obs.begin(), obs.end(),
                   [](const ScoredTrial& a, const ScoredTrial& b) { return a.trial->number < b.trial->number; });
  double worst = std::numeric_limits<double>::infinity();
  for (const ScoredTrial& o : obs) {
    if (std::isfinite(o.score)) worst = std::min(worst, o.score);
  }

  if (static_cast<int>(obs.size()) < std::max(1, startup_trials(space)) || !std::isfinite(worst)) {
    // Scrambled Sobol start: one shift per seed, point index = trial number.
    Rng shift_rng(req.seed, sampler_stream(0, 0, RngPurpose::Startup));
    Rng rng = req.rng(RngPurpose::Startup);
    if (req.attempt > 0) {
      std::vector<double> u(static_cast<size_t>(dims));
      for (double& x : u) x = rng.uniform();
      return space.from_unit(u);
    }
    return space.from_unit(sobol_unit(dims, static_cast<uint64_t>(req.trial_number), shift_rng, rng));
  }

  // Targets and inputs of the real observations (trial order).
  const int n = static_cast<int>(obs.size());
  std::vector<double> scores(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) scores[static_cast<size_t>(i)] = std::isfinite(obs[static_cast<size_t>(i)].score) ? obs[static_cast<size_t>(i)].score : worst;
  std::vector<double> y = standardise_scores(scores);
  const GpEncoder enc(space);
  GpInputs inputs;
  inputs.num_dims = enc.num_dims();
  inputs.cat_dims = enc.cat_dims();
  std::vector<std::vector<double>> units(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    units[static_cast<size_t>(i)] = space.to_unit(obs[static_cast<size_t>(i)].trial->params);
    enc.append(units[static_cast<size_t>(i)], inputs);
  }

  // Hyperparameters from the first m observations (see the header), cached.
  // A pruned trial without a report takes the worst score of the prefix itself, so the fit data
  // (and the cache key) of the first m observations do not change when later trials arrive.
  const int m = gp_fit_size(n);
  double fit_worst = std::numeric_limits<double>::infinity();
  for (int i = 0; i < m; ++i) {
    if (std::isfinite(obs[static_cast<size_t>(i)].score)) fit_worst = std::min(fit_worst, obs[static_cast<size_t>(i)].score);
  }
  std::vector<double> fit_scores(static_cast<size_t>(m));
  for (int i = 0; i < m; ++i) {
    const double sc = obs[static_cast<size_t>(i)].score;
    fit_scores[static_cast<size_t>(i)] = std::isfinite(sc) ? sc : (std::isfinite(fit_worst) ? fit_worst : 0.0);
  }
  const std::vector<double> fit_y_all = standardise_scores(fit_scores);
  std::vector<int> pick(static_cast<size_t>(m));
  std::iota(pick.begin(), pick.end(), 0);
  if (m > opt_.max_fit_points) {
    std::vector<int> by_score = pick;
    std::stable_sort(by_score.begin(), by_score.end(),
                     [&](int a, int b) { return fit_y_all[static_cast<size_t>(a)] > fit_y_all[static_cast<size_t>(b)]; });
    const int n_best = opt_.max_fit_points / 4;
    std::vector<char> chosen(static_cast<size_t>(m), 0);
    for (int i = 0; i < n_best; ++i) chosen[static_cast<size_t>(by_score[static_cast<size_t>(i)])] = 1;
    std::vector<int> rest;
    for (int i = 0; i < m; ++i) {
      if (!chosen[static_cast<size_t>(i)]) rest.push_back(i);
    }
    const int n_rest = opt_.max_fit_points - n_best;
    for (int i = 0; i < n_rest; ++i) {
      chosen[static_cast<size_t>(rest[static_cast<size_t>(static_cast<int64_t>(i) * static_cast<int64_t>(rest.size()) / n_rest)])] = 1;
    }
    pick.clear();
    for (int i = 0; i < m; ++i) {
      if (chosen[static_cast<size_t>(i)]) pick.push_back(i);
    }
  }
  GpInputs fit_inputs;
  std::vector<double> fit_y;
  for (int i : pick) {
    enc.append(units[static_cast<size_t>(i)], fit_inputs);
    fit_y.push_back(fit_y_all[static_cast<size_t>(i)]);
  }
  fit_inputs.num_dims = enc.num_dims();
  fit_inputs.cat_dims = enc.cat_dims();
  const GpHyper hyper = hyperparameters(fit_inputs, fit_y);

  // Constant liars for the running trials, at the mean observed score (0 after standardising).
  const double best = *std::max_element(y.begin(), y.end());
  for (const Trial* t : view.running) {
    enc.append(space.to_unit(t->params), inputs);
    y.push_back(0.0);
  }
  std::optional<GpModel> model;
  try {
    model.emplace(std::move(inputs), std::move(y), hyper);
  } catch (const NumericError&) {
    RandomSampler random;  // the kernel matrix is degenerate beyond repair: explore instead
    return random.propose(req);
  }

  // Candidates: scrambled Sobol points and perturbations of the best observations.
  Rng rng = req.rng(RngPurpose::Candidates);
  std::vector<Candidate> cands;
  const int n_sobol = opt_.n_candidates / 2, n_local = opt_.n_candidates - n_sobol;
  {
    const int sd = std::min(dims, SobolSequence::kMaxDims);
    std::vector<uint32_t> shift(static_cast<size_t>(sd));
    for (uint32_t& s : shift) s = rng.next_u32();
    std::optional<SobolSequence> sobol;
    if (sd > 0) sobol.emplace(sd);
    std::vector<double> u(static_cast<size_t>(dims));
    for (int i = 0; i < n_sobol; ++i) {
      if (sobol) {
        const std::vector<double> p = sobol->point(static_cast<uint64_t>(i), shift);
        std::copy(p.begin(), p.end(), u.begin());
      }
      for (int d = sd; d < dims; ++d) u[static_cast<size_t>(d)] = rng.uniform();
      cands.push_back(decode(space, u));
    }
  }
  std::vector<int> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return scores[static_cast<size_t>(a)] > scores[static_cast<size_t>(b)]; });
  const int n_bases = std::min(kLocalBases, n);
  std::vector<char> is_cat(static_cast<size_t>(dims), 0);
  for (int j = 0; j < enc.cat_dims(); ++j) is_cat[static_cast<size_t>(enc.categorical_dim(j))] = 1;
  for (int i = 0; i < n_local; ++i) {
    const std::vector<double>& base = units[static_cast<size_t>(order[static_cast<size_t>(i % n_bases)])];
    const double scale = kLocalScales[(i / n_bases) % 3];
    std::vector<double> u(static_cast<size_t>(dims));
    for (int d = 0; d < dims; ++d) {
      const double b = base[static_cast<size_t>(d)];
      if (std::isnan(b)) {
        u[static_cast<size_t>(d)] = rng.uniform();
      } else if (is_cat[static_cast<size_t>(d)]) {
        u[static_cast<size_t>(d)] = rng.uniform() * dims < 1.0 ? rng.uniform() : b;
      } else {
        u[static_cast<size_t>(d)] = std::clamp(b + scale * rng.normal(), 0.0, 1.0);
      }
    }
    cands.push_back(decode(space, u));
  }
  score(cands, 0, enc, *model, best);

  // Refine the best distinct candidates over their active numeric coordinates.
  std::vector<size_t> rank(cands.size());
  std::iota(rank.begin(), rank.end(), size_t{0});
  std::stable_sort(rank.begin(), rank.end(), [&](size_t a, size_t b) { return cands[a].log_ei > cands[b].log_ei; });
  std::vector<std::string> refined_keys;
  const size_t first_refined = cands.size();
  const int nd = enc.num_dims(), nc = enc.cat_dims();
  for (size_t r = 0; r < rank.size() && static_cast<int>(refined_keys.size()) < opt_.n_refine; ++r) {
    const Candidate start = cands[rank[r]];
    if (std::find(refined_keys.begin(), refined_keys.end(), start.key) != refined_keys.end()) continue;
    refined_keys.push_back(start.key);
    std::vector<int> vars;  // numeric columns that are active
    for (int j = 0; j < nd; ++j) {
      if (!std::isnan(start.unit[static_cast<size_t>(enc.numeric_dim(j))])) vars.push_back(j);
    }
    if (vars.empty()) continue;
    std::vector<double> x(static_cast<size_t>(nd));
    std::vector<int> c(static_cast<size_t>(nc));
    enc.encode(start.unit, x.data(), c.data());
    std::vector<double> dmean(static_cast<size_t>(nd)), dvar(static_cast<size_t>(nd)), g(static_cast<size_t>(nd));
    const LbfgsObjective objective = [&](const std::vector<double>& v, std::vector<double>* grad) {
      for (size_t k = 0; k < vars.size(); ++k) x[static_cast<size_t>(vars[k])] = v[k];
      double mean, var;
      model->predict_with_grad(x.data(), c.data(), &mean, &var, dmean.data(), dvar.data());
      const double lei = log_expected_improvement_grad(mean, var, best, dmean.data(), dvar.data(), nd, g.data());
      for (size_t k = 0; k < vars.size(); ++k) (*grad)[k] = -g[static_cast<size_t>(vars[k])];
      return -lei;
    };
    std::vector<double> v0(vars.size());
    for (size_t k = 0; k < vars.size(); ++k) v0[k] = x[static_cast<size_t>(vars[k])];
    LbfgsOptions lopt;
    lopt.max_iters = 25;
    lopt.gtol = 1e-7;
    const LbfgsResult res = minimize_lbfgs_box(objective, v0, std::vector<double>(vars.size(), 0.0),
                                               std::vector<double>(vars.size(), 1.0), lopt);
    std::vector<double> u = start.unit;
    for (size_t k = 0; k < vars.size(); ++k) u[static_cast<size_t>(enc.numeric_dim(vars[k]))] = res.x[k];
    for (double& e : u) {
      if (std::isnan(e)) e = 0.5;  // inactive before; decoding decides whether it is now active
    }
    cands.push_back(decode(space, u));
  }
  score(cands, first_refined, enc, *model, best);

  // The best unused configuration.
  const Candidate* pick_best = nullptr;
  for (const Candidate& cand : cands) {
    if (req.used_keys.count(cand.key)) continue;
    if (!pick_best || cand.log_ei > pick_best->log_ei) pick_best = &cand;
  }
  if (!pick_best) {  // every candidate collides; Sampler::sample retries with fresh randomness
    return cands.front().params;
  }
  return pick_best->params;
}

}  // namespace gd::tune
