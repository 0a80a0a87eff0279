#pragma once
// Step 4 of the workflow, "regularise": which regularisers help the overfitting model, and which
// trained variant becomes the regularised model.
//
// Every variant is the same model trained for the same epochs with one change (or a combination);
// it is scored by its validation accuracy and loss at the LAST epoch (what the trained model
// delivers without early stopping, and what the tuner's objective measures).
//   * gain of a variant = its validation accuracy - the reference's (the unregularised model);
//   * a regulariser HELPS when its gain >= min_gain; min_meaningful_gain(n) is the default
//     threshold: one validation sample (1/n) but at least 0.1 percentage point, so a difference the
//     validation set cannot resolve never counts;
//   * the regularised model is the best of all variants, the reference and the combination
//     included: highest validation accuracy, then lowest validation loss, then the earliest listed.
#include <cstdint>
#include <string>
#include <vector>

namespace gd::workflow {

struct VariantScore {
  std::string name;           // "none", "dropout", "weight decay", ...
  double val_accuracy = 0.0;  // last epoch, fraction
  double val_loss = 0.0;      // last epoch
};

// max(0.001, 1 / n_val). ConfigError when n_val < 1.
double min_meaningful_gain(int64_t n_val);

struct HelpfulRegularisers {
  std::vector<std::string> names;  // the variants that help, largest gain first (ties: input order)
  std::vector<double> gains;       // per input variant, in input order
};

// ConfigError when min_gain is negative or not finite.
HelpfulRegularisers select_helpful(const VariantScore& reference, const std::vector<VariantScore>& variants,
                                   double min_gain);

// Index of the best variant (rule above). ConfigError when empty.
int best_variant(const std::vector<VariantScore>& variants);

}  // namespace gd::workflow
