#pragma once
// The workflow report: one self-contained HTML page (engine/report's HtmlDocument, so it looks
// like the other reports) built from workflow.json alone. A summary at the top (baseline ->
// overfitting -> regularised -> tuned -> test) and one section per step, in order, each with what
// was done, its numbers, its curves and the decision taken. Steps that have not run yet say so.
// The final section shows the test evaluation (per-class table, confusion matrix, calibration,
// misclassified digits read back from <out>/final/misclassified.json) and links the full
// evaluation report.
#include <string>

#include "engine/report/html_document.h"
#include "engine/workflow/workflow_state.h"

namespace gd::workflow {

report::HtmlDocument build_workflow_report(const WorkflowState& state);

// build_workflow_report(state) written atomically to `path`; returns `path`.
std::string write_workflow_report(const WorkflowState& state, const std::string& path);

}  // namespace gd::workflow
