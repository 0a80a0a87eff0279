#pragma once
// What every step of the workflow works with: the settings and budget, the model family, the
// backend, the data (test split sealed away), the model trainer and the console.
#include <string>

#include "engine/backend/backend.h"
#include "engine/data/dataset.h"
#include "engine/workflow/budget.h"
#include "engine/workflow/model_family.h"
#include "engine/workflow/model_runs.h"
#include "engine/workflow/sealed_test_set.h"
#include "engine/workflow/settings.h"

namespace gd::workflow {

struct WorkflowContext {
  const WorkflowSettings& settings;
  const WorkflowBudget& budget;
  const ModelFamily& family;
  Backend& backend;
  const DatasetSplits& data;  // data.test holds no samples: the test set is in `test`
  SealedTestSet& test;
  ModelTrainer& trainer;
  LineSink say;  // one progress line (printed and flushed)

  // <out>/<step id>: the step's run directories go below it.
  std::string step_dir(const std::string& step) const { return settings.out + "/" + step; }
  // The learning rate of the family's recipe, which every model uses until the tuner changes it.
  double lr() const { return recipe_lr(family.kind()); }
};

}  // namespace gd::workflow
