// Workflow settings: validation, the resume key and its comparison (settings.h).
#include "engine/workflow/settings.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "engine/core/error.h"
#include "engine/data/registry.h"
#include "engine/workflow/budget.h"
#include "engine/workflow/model_family.h"

namespace gd::workflow {

void validate(const WorkflowSettings& s) {
  const std::vector<std::string> datasets = dataset_names();
  GD_CHECK_T(std::find(datasets.begin(), datasets.end(), s.dataset) != datasets.end(), ConfigError,
             "--dataset must be one of mnist, mnist-10k, fashion-mnist, kmnist, usps, got '" << s.dataset << "'");
  budget_named(s.budget);
  parse_arch_family(s.arch_family);
  GD_CHECK_T(s.device == "auto" || s.device == "cpu" || s.device == "cuda", ConfigError,
             "--device must be auto, cpu or cuda, got '" << s.device << "'");
  GD_CHECK_T(s.threads >= 0, ConfigError, "--threads must be >= 0, got " << s.threads);
  GD_CHECK_T(s.limit_train >= 0, ConfigError, "--limit-train must be >= 0, got " << s.limit_train);
  GD_CHECK_T(std::isfinite(s.val_split) && s.val_split > 0.0 && s.val_split < 1.0, ConfigError,
             "--val-split must be in (0, 1): the workflow decides on a validation set, got " << s.val_split);
  GD_CHECK_T(s.sampler == "tpe" || s.sampler == "gp" || s.sampler == "random", ConfigError,
             "--sampler must be tpe, gp or random, got '" << s.sampler << "'");
  GD_CHECK_T(s.trials >= 0, ConfigError, "--trials must be >= 0 (0 = the budget's), got " << s.trials);
  GD_CHECK_T(s.trials != 1, ConfigError,
             "--trials 1 would only re-run the regularised model (the first trial of the study); use 2 or more");
  GD_CHECK_T(std::isfinite(s.overfit_margin) && s.overfit_margin > 0.0, ConfigError,
             "--overfit-margin must be a number > 0, got " << s.overfit_margin);
  GD_CHECK_T(!s.out.empty(), ConfigError, "--out must not be empty");
}

nlohmann::json result_settings(const WorkflowSettings& s) {
  return {{"dataset", s.dataset},
          {"device", s.device},
          {"seed", s.seed},
          {"budget", s.budget},
          {"arch_family", s.arch_family},
          {"limit_train", s.limit_train},
          {"val_split", s.val_split},
          {"sampler", s.sampler},
          {"trials", s.trials},
          {"overfit_margin", s.overfit_margin}};
}

std::vector<std::string> settings_differences(const nlohmann::json& stored, const nlohmann::json& now) {
  std::set<std::string> keys;
  for (const nlohmann::json* j : {&stored, &now})
    if (j->is_object())
      for (auto it = j->begin(); it != j->end(); ++it) keys.insert(it.key());
  std::vector<std::string> out;
  auto show = [](const nlohmann::json& j, const std::string& k) {
    return j.is_object() && j.contains(k) ? j.at(k).dump() : std::string("(absent)");
  };
  for (const std::string& k : keys) {
    const std::string a = show(stored, k), b = show(now, k);
    if (a != b) out.push_back(k + ": " + a + " -> " + b);
  }
  return out;
}

std::string report_path(const WorkflowSettings& s) { return s.report.empty() ? s.out + "/report.html" : s.report; }

}  // namespace gd::workflow
