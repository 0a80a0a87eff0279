#pragma once
// Runs the guided workflow end to end (or continues it): loads or creates <out>/workflow.json,
// skips every step already recorded there (saying so), runs the others in order, saves the record
// after each step, and writes the HTML report. The test set is opened at most once, by the final
// step; workflow.json counts the evaluations ("test_evaluations").
#include <cstdio>
#include <string>

#include "engine/workflow/settings.h"
#include "engine/workflow/workflow_state.h"

namespace gd::workflow {

struct WorkflowOutcome {
  WorkflowState state;
  std::string record_path;  // <out>/workflow.json
  std::string report_path;
  int steps_run = 0;
  int steps_skipped = 0;
};

// Progress goes to `out`, one line per trained model and per step (flushed). `command` (the
// invocation, for the record) may be empty. Throws ConfigError for bad settings or when
// <out>/workflow.json was written with other settings (listing the differences), DataError for a
// damaged workflow.json, and what loading data or training throws.
WorkflowOutcome run_workflow(const WorkflowSettings& settings, std::FILE* out, const std::string& command = "");

}  // namespace gd::workflow
