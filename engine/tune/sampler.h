#pragma once
// The sampler interface of the tuner: given a search space and every trial of a study so far,
// propose the parameters of the next trial.
//
// Contract of Sampler::sample (all samplers):
//   * `history` holds ALL trials of the study, whoever proposed them: Complete (value set), Pruned
//     (value = last reported intermediate value, when any), Failed, and Running ones (proposed to
//     other workers, no value yet). How each sampler uses them is stated in its header.
//   * The proposal never equals (canonical key, SearchSpace::canonical_key) the params of any trial
//     in history, whatever its state. A sampler proposal that collides is retried with fresh
//     randomness (attempt 1, 2, ...); after kModelAttempts collisions, an unused configuration is
//     drawn uniformly at random (a finite space is enumerated, so the last free configuration is
//     still found). When a finite space has no unused configuration left, SpaceExhaustedError.
//   * Deterministic: the result is a pure function of (space, history, direction, seed,
//     trial_number). Randomness comes from Rng(seed, sampler_stream(trial_number, attempt, ...)),
//     so different trial numbers get independent streams and workers need no shared state.
//   * The result passes space.validate_params.
// Not thread-safe: a sampler object may cache work between calls (the GP its fitted
// hyperparameters); use one object per thread. Two workers that sample at the same moment must
// see each other's proposals in `history`: the study storage's next_job runs the proposal inside
// its write transaction for that reason.
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"
#include "engine/tune/sampler_rng.h"
#include "engine/tune/search_space.h"
#include "engine/tune/trial.h"

namespace gd::tune {

// Every configuration of a finite space (or every point of a grid) has been proposed already.
class SpaceExhaustedError : public Error {
 public:
  using Error::Error;
};

// What a sampler sees for one proposal.
struct SampleRequest {
  const SearchSpace& space;
  const std::vector<Trial>& history;
  Direction direction;
  uint64_t seed;
  int trial_number;
  int attempt;  // 0, then 1, 2, ... after a proposal collided with an existing configuration
  const std::unordered_set<std::string>& used_keys;  // canonical keys of every trial in history

  Rng rng(RngPurpose purpose) const { return Rng(seed, sampler_stream(trial_number, attempt, purpose)); }
  bool used(const nlohmann::json& params) const { return used_keys.count(space.canonical_key(params)) > 0; }
};

class Sampler {
 public:
  static constexpr int kModelAttempts = 8;  // sampler proposals tried before the random fallback

  virtual ~Sampler() = default;
  // "auto", "random", "grid", "tpe", "gp", "coarse-fine".
  virtual std::string name() const = 0;

  // Proposes the params of trial `trial_number` (see the contract above). ConfigError when the
  // space is empty; SpaceExhaustedError when nothing is left to propose.
  nlohmann::json sample(const SearchSpace& space, const std::vector<Trial>& history, Direction direction,
                        uint64_t seed, int trial_number);

  // The sampler behind the last proposal of sample(): name(), except that composite samplers
  // name their active part ("coarse-fine" -> "random" or "gp") and the duplicate fallback is
  // "random". This is what Trial::sampler should record.
  const std::string& last_proposer() const { return last_proposer_; }

  // One raw proposal, without the duplicate check of sample() (used by sample() and by composite
  // samplers). Must return params that pass space.check_params.
  virtual nlohmann::json propose(const SampleRequest& request) = 0;

 protected:
  // Composite samplers call this from propose() to name the part that proposed.
  void set_proposer(const std::string& name) { last_proposer_ = name; }

 private:
  std::string last_proposer_;
};

// A sampler by name with its options (a JSON object; {} = defaults). Names and options:
//   random       (none)
//   grid         resolution (int >= 2, default 5), shuffle (bool, default false)
//   tpe          n_startup (10), n_ei_candidates (24), gamma (0.1), gamma_max (25), prior_weight (1.0),
//                multivariate (true)
//   gp           n_startup (-1 = min(10, dims + 2)), n_candidates (512), n_refine (4),
//                max_fit_points (120)
//   coarse-fine  n_random (-1 = max(10, 2 * dims)), and the gp options
//   auto         the gp options and the tpe options (n_startup goes to both; auto_sampler.h)
// Unknown names and options, or values of the wrong type or range, are ConfigErrors.
std::unique_ptr<Sampler> make_sampler(const std::string& name,
                                      const nlohmann::json& options = nlohmann::json::object());
std::vector<std::string> sampler_names();

}  // namespace gd::tune
