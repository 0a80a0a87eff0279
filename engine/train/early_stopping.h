#pragma once
// Early stopping on a monitored validation metric, with Keras EarlyStopping semantics:
//   * an epoch improves when its value beats the best so far by MORE than min_delta
//     (mode "max": value - min_delta > best; mode "min": value + min_delta < best);
//     the first finite value always improves;
//   * NaN never counts as an improvement (and counts as an epoch without improvement);
//   * training should stop once `patience` consecutive epochs have passed without improvement;
//   * patience 0 disables stopping (the best epoch is still tracked).
// Restoring the best weights is the caller's job: when update() returns true it snapshots them,
// and best_epoch() says which epoch they came from.
#include <string>

#include <nlohmann/json.hpp>

namespace gd {

class EarlyStopping {
 public:
  // Throws ConfigError when patience < 0, min_delta is negative or NaN, or mode is not "max"/"min".
  explicit EarlyStopping(int patience, double min_delta = 0.0, std::string mode = "max");

  // Records the monitored value for `epoch`. Returns true when it is the new best.
  bool update(int epoch, double value);
  bool should_stop() const;
  int best_epoch() const { return best_epoch_; }      // -1 until a first improvement
  double best_value() const { return best_value_; }   // -inf ("max") / +inf ("min") until then
  int epochs_without_improvement() const { return wait_; }

  int patience() const { return patience_; }
  double min_delta() const { return min_delta_; }
  const std::string& mode() const { return mode_; }

  // Configuration and state: {patience, min_delta, mode, best_value (null when none), best_epoch,
  // epochs_without_improvement}.
  nlohmann::json to_json() const;
  // Restores the state (best value, best epoch, wait counter) saved by to_json, e.g. when resuming
  // from a checkpoint. The configuration given to the constructor is kept, so a resumed run may
  // change patience or min_delta; a different mode makes the saved best meaningless and throws
  // ConfigError. Throws DataError on missing or mistyped fields.
  void restore(const nlohmann::json& j);

 private:
  bool improves(double value) const;

  int patience_;
  double min_delta_;
  std::string mode_;
  double best_value_;
  int best_epoch_ = -1;
  int wait_ = 0;
};

}  // namespace gd
