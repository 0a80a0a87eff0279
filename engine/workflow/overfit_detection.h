#pragma once
// Step 3 of the workflow, "overfit on purpose": deciding from a training history whether a model
// overfits, and which of several capacities to carry forward to regularisation.
//
// Definitions. Validation loss = EpochRecord::val_loss; epochs without one (NaN) are skipped.
// It is SMOOTHED first: each epoch's value becomes the mean over that epoch and its neighbours (a
// centred 3-epoch window; 2 epochs at either end), so one lucky or unlucky epoch neither makes nor
// hides a turn. On the smoothed curve:
//   * best epoch: the epoch with the lowest value (the first on ties): where the curve turns up;
//   * rise: (value at the last epoch - minimum) / minimum, a relative change;
//   * the model OVERFITS when its best epoch is not its last one and rise >= margin, i.e. the
//     validation loss ends at least `margin` (relative) above its minimum: a turn that lasts to the
//     end of training;
//   * confirmed epoch: the first epoch after the best one whose value is at least
//     minimum * (1 + margin): when the turn became visible (0 when never).
// Unsmoothed: the lowest single-epoch validation loss and its epoch, the last training loss, and
// the gap = last validation loss - last training loss (the generalisation gap).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/train/history.h"

namespace gd::workflow {

// 5%: the relative rise of the smoothed validation loss above its minimum that counts as
// overfitting. Measured on full MNIST (docs/workflow.md), 15 epochs of SGD with Nesterov momentum at
// the constant learning rate 0.05, no regularisation: 2x64 ends 23% above its smoothed minimum
// (epoch 5), 2x1024 6.3% (a steady climb from epoch 9 while its training loss is 1e-4), 2x256 1.3%.
// Over the last four epochs the two wider nets' smoothed curves move by about 1% per epoch or less,
// so the margin is several times the epoch-to-epoch noise where the rise is measured.
inline constexpr double kDefaultOverfitMargin = 0.05;

struct OverfitAnalysis {
  double margin = kDefaultOverfitMargin;
  bool overfits = false;
  int best_epoch = 0;            // smoothed: epoch of the lowest validation loss
  double min_val_loss = 0.0;     // smoothed
  int last_epoch = 0;            // last epoch with a validation loss
  double last_val_loss = 0.0;    // smoothed
  double rise = 0.0;             // (last_val_loss - min_val_loss) / min_val_loss
  int confirmed_epoch = 0;       // first epoch after best_epoch at or above min * (1 + margin); 0 = none
  int lowest_epoch = 0;          // unsmoothed: epoch of the lowest single-epoch validation loss
  double lowest_val_loss = 0.0;  // unsmoothed
  double last_train_loss = 0.0;
  double gap = 0.0;  // unsmoothed last validation loss - last training loss
};

// Throws ConfigError when margin is not a finite number > 0, DataError when no epoch of `h` has a
// finite validation loss (nothing to decide on).
OverfitAnalysis analyse_overfitting(const History& h, double margin = kDefaultOverfitMargin);

nlohmann::json to_json(const OverfitAnalysis& a);
OverfitAnalysis overfit_analysis_from_json(const nlohmann::json& j);  // DataError on a bad document

// One trained capacity, in increasing order of size.
struct CapacityOutcome {
  std::string label;  // e.g. "2 x 1024"
  int64_t parameters = 0;
  OverfitAnalysis analysis;
};

struct CapacityChoice {
  int index = -1;  // into the candidates: the capacity to regularise
  bool overfitting_found = false;
  int smallest_overfitting = -1;  // first candidate that overfits (-1 when none does)
};

// The smallest capacity that overfits shows the family has enough capacity; every larger one has at
// least as much (with more epochs it would overfit too, even when its rise stayed under the margin
// within this budget). Of the capacities from that smallest one up, the one whose validation loss
// reached the lowest minimum (ties: the smaller) goes on: regularisation starts from the best point
// any of them reached. When none overfits (training too short, or models too small to see the
// turn; the decision says so), the one with the lowest minimum of all, ties to the larger: the best
// starting point the budget found. ConfigError when empty.
CapacityChoice choose_overfit_capacity(const std::vector<CapacityOutcome>& candidates);

}  // namespace gd::workflow
