// Regulariser selection (regulariser_selection.h).
#include "engine/workflow/regulariser_selection.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/core/error.h"

namespace gd::workflow {

double min_meaningful_gain(int64_t n_val) {
  GD_CHECK_T(n_val >= 1, ConfigError, "the validation set must hold at least one sample, got " << n_val);
  return std::max(0.001, 1.0 / static_cast<double>(n_val));
}

HelpfulRegularisers select_helpful(const VariantScore& reference, const std::vector<VariantScore>& variants,
                                   double min_gain) {
  GD_CHECK_T(std::isfinite(min_gain) && min_gain >= 0.0, ConfigError,
             "the minimum accuracy gain must be a finite number >= 0, got " << min_gain);
  HelpfulRegularisers out;
  std::vector<size_t> helping;
  for (size_t i = 0; i < variants.size(); ++i) {
    const double gain = variants[i].val_accuracy - reference.val_accuracy;
    out.gains.push_back(gain);
    // A NaN accuracy (a diverged variant) compares false and never helps.
    if (gain >= min_gain) helping.push_back(i);
  }
  std::stable_sort(helping.begin(), helping.end(), [&](size_t a, size_t b) { return out.gains[a] > out.gains[b]; });
  for (size_t i : helping) out.names.push_back(variants[i].name);
  return out;
}

int best_variant(const std::vector<VariantScore>& variants) {
  GD_CHECK_T(!variants.empty(), ConfigError, "no variants to choose from");
  int best = -1;
  for (size_t i = 0; i < variants.size(); ++i) {
    const VariantScore& v = variants[i];
    if (!std::isfinite(v.val_accuracy)) continue;
    if (best < 0) {
      best = static_cast<int>(i);
      continue;
    }
    const VariantScore& b = variants[static_cast<size_t>(best)];
    const bool better_loss = std::isfinite(v.val_loss) && (!std::isfinite(b.val_loss) || v.val_loss < b.val_loss);
    if (v.val_accuracy > b.val_accuracy || (v.val_accuracy == b.val_accuracy && better_loss))
      best = static_cast<int>(i);
  }
  GD_CHECK_T(best >= 0, NumericError,
             "every one of the " << variants.size() << " variants has a non-finite validation accuracy");
  return best;
}

}  // namespace gd::workflow
