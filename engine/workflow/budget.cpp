// The workflow budgets (budget.h).
#include "engine/workflow/budget.h"

#include "engine/core/error.h"

namespace gd::workflow {

std::vector<std::string> budget_names() { return {"quick", "standard", "full"}; }

WorkflowBudget budget_named(const std::string& name) {
  WorkflowBudget b;
  b.name = name;
  if (name == "quick") {
    b.baseline_epochs = 3;
    b.epochs = 10;
    b.mlp_widths = {32, 128, 512};
    b.cnn_channels = {4, 8, 16};
    b.trials = 4;
    b.tune_width_up = 2.0;
  } else if (name == "standard") {
    b.baseline_epochs = 5;
    b.epochs = 15;
    b.mlp_widths = {64, 256, 1024};
    b.cnn_channels = {8, 16, 32};
    b.trials = 6;
    b.tune_width_up = 1.0;
  } else if (name == "full") {
    b.baseline_epochs = 10;
    b.epochs = 30;
    b.mlp_widths = {64, 256, 1024, 2048};
    b.cnn_channels = {8, 16, 32, 64};
    b.trials = 20;
    b.tune_width_up = 2.0;
  } else {
    throw ConfigError("--budget must be quick, standard or full, got '" + name + "'");
  }
  return b;
}

nlohmann::json to_json(const WorkflowBudget& b) {
  return {{"name", b.name},
          {"baseline_epochs", b.baseline_epochs},
          {"epochs", b.epochs},
          {"mlp_widths", b.mlp_widths},
          {"cnn_channels", b.cnn_channels},
          {"trials", b.trials},
          {"tune_width_up", b.tune_width_up}};
}

}  // namespace gd::workflow
