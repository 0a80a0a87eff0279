#pragma once
// The six steps of the universal workflow ("Deep Learning with Python", ch. 6), one file each.
// Each returns its StepResult (step_result.h): what was done, the numbers, curves, the decision
// derived from the numbers, and details that later steps and the report read.
//
//   problem     step_problem.cpp     dataset, geometry, classes, split sizes, class histogram,
//                                    metric and evaluation protocol
//   baseline    step_baseline.cpp    majority class on validation, softmax regression: the bar
//   overfit     step_overfit.cpp     growing capacities without regularisation until the
//                                    validation loss turns up (overfit_detection.h)
//   regularise  step_regularise.cpp  dropout, weight decay, batch norm, augmentation and the
//                                    combination of those that help (regulariser_selection.h)
//   tune        step_tune.cpp        a study of the real tuner around the regularised model
//   final       step_final.cpp       the best configuration retrained on train+validation and
//                                    evaluated once on the test set
#include "engine/workflow/step_result.h"
#include "engine/workflow/workflow_context.h"

namespace gd::workflow {

StepResult run_problem_step(WorkflowContext& ctx);
StepResult run_baseline_step(WorkflowContext& ctx);
StepResult run_overfit_step(WorkflowContext& ctx);
StepResult run_regularise_step(WorkflowContext& ctx, const StepResult& overfit);
StepResult run_tune_step(WorkflowContext& ctx, const StepResult& regularise);
StepResult run_final_step(WorkflowContext& ctx, const StepResult& tune);

}  // namespace gd::workflow
