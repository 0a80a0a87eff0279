// Overfitting detection on a training history and the choice of capacity (overfit_detection.h).
#include "engine/workflow/overfit_detection.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/core/error.h"

namespace gd::workflow {

OverfitAnalysis analyse_overfitting(const History& h, double margin) {
  GD_CHECK_T(std::isfinite(margin) && margin > 0.0, ConfigError,
             "overfitting margin must be a finite number > 0, got " << margin);
  std::vector<const EpochRecord*> rec;  // epochs with a validation loss
  for (const EpochRecord& r : h.records())
    if (std::isfinite(r.val_loss)) rec.push_back(&r);
  GD_CHECK_T(
      !rec.empty(), DataError,
      "cannot judge overfitting: none of the " << h.records().size() << " epochs of the history has a validation loss");
  const size_t n = rec.size();
  std::vector<double> smooth(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t lo = i == 0 ? 0 : i - 1, hi = std::min(n - 1, i + 1);
    double sum = 0.0;
    for (size_t k = lo; k <= hi; ++k) sum += rec[k]->val_loss;
    smooth[i] = sum / static_cast<double>(hi - lo + 1);
  }
  OverfitAnalysis a;
  a.margin = margin;
  size_t best = 0, lowest = 0;
  for (size_t i = 1; i < n; ++i) {
    if (smooth[i] < smooth[best]) best = i;
    if (rec[i]->val_loss < rec[lowest]->val_loss) lowest = i;
  }
  a.best_epoch = rec[best]->epoch;
  a.min_val_loss = smooth[best];
  a.last_epoch = rec[n - 1]->epoch;
  a.last_val_loss = smooth[n - 1];
  a.lowest_epoch = rec[lowest]->epoch;
  a.lowest_val_loss = rec[lowest]->val_loss;
  a.last_train_loss = rec[n - 1]->train_loss;
  a.gap = rec[n - 1]->val_loss - rec[n - 1]->train_loss;
  // A minimum of exactly 0 cannot rise relatively; the smallest positive double stands in for it.
  const double denom = std::max(a.min_val_loss, std::numeric_limits<double>::min());
  a.rise = (a.last_val_loss - a.min_val_loss) / denom;
  const double threshold = a.min_val_loss + margin * denom;
  for (size_t i = best + 1; i < n; ++i)
    if (smooth[i] >= threshold) {
      a.confirmed_epoch = rec[i]->epoch;
      break;
    }
  a.overfits = best < n - 1 && a.last_val_loss >= threshold;
  return a;
}

nlohmann::json to_json(const OverfitAnalysis& a) {
  return {{"margin", a.margin},
          {"overfits", a.overfits},
          {"best_epoch", a.best_epoch},
          {"min_val_loss", a.min_val_loss},
          {"last_epoch", a.last_epoch},
          {"last_val_loss", a.last_val_loss},
          {"lowest_epoch", a.lowest_epoch},
          {"lowest_val_loss", a.lowest_val_loss},
          {"last_train_loss", a.last_train_loss},
          {"rise", a.rise},
          {"confirmed_epoch", a.confirmed_epoch},
          {"gap", a.gap}};
}

OverfitAnalysis overfit_analysis_from_json(const nlohmann::json& j) {
  try {
    OverfitAnalysis a;
    a.margin = j.at("margin").get<double>();
    a.overfits = j.at("overfits").get<bool>();
    a.best_epoch = j.at("best_epoch").get<int>();
    a.min_val_loss = j.at("min_val_loss").get<double>();
    a.last_epoch = j.at("last_epoch").get<int>();
    a.last_val_loss = j.at("last_val_loss").get<double>();
    a.lowest_epoch = j.at("lowest_epoch").get<int>();
    a.lowest_val_loss = j.at("lowest_val_loss").get<double>();
    a.last_train_loss = j.at("last_train_loss").get<double>();
    a.rise = j.at("rise").get<double>();
    a.confirmed_epoch = j.at("confirmed_epoch").get<int>();
    a.gap = j.at("gap").get<double>();
    return a;
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("overfitting analysis record is malformed: ") + e.what());
  }
}

CapacityChoice choose_overfit_capacity(const std::vector<CapacityOutcome>& candidates) {
  GD_CHECK_T(!candidates.empty(), ConfigError, "no capacities to choose from");
  CapacityChoice c;
  for (size_t i = 0; i < candidates.size() && c.smallest_overfitting < 0; ++i)
    if (candidates[i].analysis.overfits) c.smallest_overfitting = static_cast<int>(i);
  c.overfitting_found = c.smallest_overfitting >= 0;
  if (!c.overfitting_found) {
    c.index = 0;
    for (size_t i = 1; i < candidates.size(); ++i)
      if (candidates[i].analysis.min_val_loss <= candidates[static_cast<size_t>(c.index)].analysis.min_val_loss)
        c.index = static_cast<int>(i);
    return c;
  }
  c.index = c.smallest_overfitting;
  for (size_t i = static_cast<size_t>(c.smallest_overfitting) + 1; i < candidates.size(); ++i)
    if (candidates[i].analysis.min_val_loss < candidates[static_cast<size_t>(c.index)].analysis.min_val_loss)
      c.index = static_cast<int>(i);
  return c;
}

}  // namespace gd::workflow
