// TPE sampler (tpe_sampler.h).
#include "engine/tune/tpe_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "engine/tune/parzen_estimator.h"
#include "engine/tune/random_sampler.h"
#include "engine/tune/sampler_history.h"

namespace gd::tune {

namespace {

// The values of parameter `p` in `trials` where it is active (trial order kept).
std::vector<const nlohmann::json*> values_of(const ParamSpec& p, const std::vector<const Trial*>& trials) {
  std::vector<const nlohmann::json*> out;
  for (const Trial* t : trials) {
    auto it = t->params.find(p.name);
    if (it != t->params.end()) out.push_back(&*it);
  }
  return out;
}

nlohmann::json sample_numeric(const ParamSpec& p, const std::vector<const nlohmann::json*>& good,
                              const std::vector<const nlohmann::json*>& bad, const TpeOptions& opt, Rng& rng) {
  auto make = [&](const std::vector<const nlohmann::json*>& vals) {
    std::vector<double> u;
    u.reserve(vals.size());
    for (const nlohmann::json* v : vals) u.push_back(p.to_unit(*v));
    return NumericParzen(u, tpe_weights(u.size()), opt.prior_weight);
  };
  const NumericParzen l = make(good), g = make(bad);
  double best_score = -std::numeric_limits<double>::infinity();
  nlohmann::json best;
  for (int i = 0; i < opt.n_ei_candidates; ++i) {
    const double u = l.sample(rng);
    nlohmann::json v = p.from_unit(u);
    double score;
    if (p.discrete()) {
      const auto bin = p.unit_bin(p.level_of(v));
      score = l.log_mass(bin.first, bin.second) - g.log_mass(bin.first, bin.second);
    } else {
      score = l.log_density(u) - g.log_density(u);
    }
    if (best.is_null() || score > best_score) {
      best_score = score;
      best = std::move(v);
    }
  }
  return best;
}

nlohmann::json sample_categorical(const ParamSpec& p, const std::vector<const nlohmann::json*>& good,
                                  const std::vector<const nlohmann::json*>& bad, const TpeOptions& opt, Rng& rng) {
  const int k = static_cast<int>(p.choices.size());
  auto make = [&](const std::vector<const nlohmann::json*>& vals) {
    std::vector<int> idx;
    for (const nlohmann::json* v : vals) idx.push_back(static_cast<int>(p.level_of(*v)));
    return CategoricalParzen(idx, tpe_weights(idx.size()), k, opt.prior_weight);
  };
  const CategoricalParzen l = make(good), g = make(bad);
  int best = -1;
  double best_score = -std::numeric_limits<double>::infinity();
  for (int i = 0; i < opt.n_ei_candidates; ++i) {
    const int c = l.sample(rng);
    const double score = l.log_prob(c) - g.log_prob(c);
    if (best < 0 || score > best_score) {
      best = c;
      best_score = score;
    }
  }
  return p.choices[static_cast<size_t>(best)];
}

// Draws the unconditional parameters `joint` together (multivariate TPE) into params.
void sample_joint(const SearchSpace& space, const std::vector<int>& joint, const std::vector<const Trial*>& good,
                  const std::vector<const Trial*>& bad, const TpeOptions& opt, Rng& rng, nlohmann::json& params) {
  std::vector<const ParamSpec*> specs;
  for (int i : joint) specs.push_back(&space.params()[static_cast<size_t>(i)]);
  auto rows = [&](const std::vector<const Trial*>& trials) {
    std::vector<std::vector<double>> out;
    for (const Trial* t : trials) {
      std::vector<double> u(specs.size());
      for (size_t d = 0; d < specs.size(); ++d) u[d] = specs[d]->to_unit(t->params.at(specs[d]->name));
      out.push_back(std::move(u));
    }
    return out;
  };
  const MultivariateParzen l(specs, rows(good), tpe_weights(good.size()), opt.prior_weight);
  const MultivariateParzen g(specs, rows(bad), tpe_weights(bad.size()), opt.prior_weight);
  std::vector<double> best;
  double best_score = -std::numeric_limits<double>::infinity();
  for (int i = 0; i < opt.n_ei_candidates; ++i) {
    std::vector<double> u = l.sample(rng);
    const double score = l.log_pdf(u) - g.log_pdf(u);
    if (best.empty() || score > best_score) {
      best_score = score;
      best = std::move(u);
    }
  }
  for (size_t d = 0; d < specs.size(); ++d) params[specs[d]->name] = specs[d]->from_unit(best[d]);
}

}  // namespace

TpeSampler::TpeSampler(TpeOptions options) : opt_(options) {
  auto bad = [](const std::string& what) { throw ConfigError("tpe sampler: " + what); };
  if (opt_.n_startup < 0) bad("n_startup must be >= 0, got " + std::to_string(opt_.n_startup));
  if (opt_.n_ei_candidates < 1) bad("n_ei_candidates must be >= 1, got " + std::to_string(opt_.n_ei_candidates));
  if (!(opt_.gamma > 0.0 && opt_.gamma <= 1.0)) bad("gamma must be in (0, 1], got " + std::to_string(opt_.gamma));
  if (opt_.gamma_max < 1) bad("gamma_max must be >= 1, got " + std::to_string(opt_.gamma_max));
  if (!(opt_.prior_weight > 0.0)) bad("prior_weight must be > 0, got " + std::to_string(opt_.prior_weight));
}

nlohmann::json TpeSampler::propose(const SampleRequest& request) {
  const SearchSpace& space = request.space;
  HistoryView view = view_history(space, request.history, request.direction);
  if (static_cast<int>(view.complete.size()) < opt_.n_startup || view.complete.empty()) {
    RandomSampler random;
    return random.propose(request);
  }
  std::vector<ScoredTrial> ranked = view.complete;
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const ScoredTrial& a, const ScoredTrial& b) { return a.score > b.score; });
  const size_t n_good = std::clamp<size_t>(
      static_cast<size_t>(std::ceil(opt_.gamma * static_cast<double>(ranked.size()))), 1,
      static_cast<size_t>(opt_.gamma_max));
  std::vector<const Trial*> good, bad;
  for (size_t i = 0; i < ranked.size(); ++i) (i < n_good ? good : bad).push_back(ranked[i].trial);
  for (const ScoredTrial& s : view.pruned) bad.push_back(s.trial);
  for (const Trial* t : view.running) bad.push_back(t);
  // Weights follow trial order within each group.
  auto by_number = [](const Trial* a, const Trial* b) { return a->number < b->number; };
  std::stable_sort(good.begin(), good.end(), by_number);
  std::stable_sort(bad.begin(), bad.end(), by_number);

  Rng rng = request.rng(RngPurpose::Propose);
  nlohmann::json params = nlohmann::json::object();
  std::vector<int> joint;  // unconditional sampled parameters: present in every valid trial
  if (opt_.multivariate) {
    for (size_t i = 0; i < space.params().size(); ++i) {
      if (space.params()[i].sampled() && space.params()[i].when.empty()) joint.push_back(static_cast<int>(i));
    }
    if (!joint.empty()) sample_joint(space, joint, good, bad, opt_, rng, params);
  }
  for (size_t i = 0; i < space.params().size(); ++i) {
    if (!space.is_active(static_cast<int>(i), params)) continue;
    const ParamSpec& p = space.params()[i];
    if (params.contains(p.name)) continue;  // drawn jointly
    if (!p.sampled()) {
      params[p.name] = p.value;
      continue;
    }
    const auto gv = values_of(p, good), bv = values_of(p, bad);
    params[p.name] = p.type == ParamType::Categorical ? sample_categorical(p, gv, bv, opt_, rng)
                                                      : sample_numeric(p, gv, bv, opt_, rng);
  }
  return params;
}

}  // namespace gd::tune
