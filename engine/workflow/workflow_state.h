#pragma once
// workflow.json: everything the workflow measured and decided, rewritten atomically after every
// step so a killed run can continue where it stopped.
//
//   {"format": "gpudigits-workflow", "version": 1,
//    "settings": {...},          the resume key (settings.h: result_settings)
//    "budget": {...},            budget.h: to_json
//    "environment": {...},       dataset source, device, command line, times (informational)
//    "test_evaluations": N,      how many times the test set was evaluated (1 once step "final" ran)
//    "steps": [StepResult...]}   in workflow order: problem, baseline, overfit, regularise, tune, final
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/workflow/step_result.h"

namespace gd::workflow {

// The step ids in workflow order.
const std::vector<std::string>& step_order();

struct WorkflowState {
  nlohmann::json settings = nlohmann::json::object();
  nlohmann::json budget = nlohmann::json::object();
  nlohmann::json environment = nlohmann::json::object();
  int test_evaluations = 0;
  std::vector<StepResult> steps;  // in step_order()

  // nullptr when the step has not completed.
  const StepResult* find(const std::string& id) const;
  // DataError naming the step when it has not completed.
  const StepResult& get(const std::string& id) const;
  // Stores a completed step, replacing an earlier result with the same id; keeps step_order().
  // ConfigError for an id outside step_order().
  void put(StepResult s);

  nlohmann::json to_json() const;
  // DataError naming `source` for a document that is not a workflow record, of another version,
  // or malformed.
  static WorkflowState from_json(const nlohmann::json& j, const std::string& source);
};

// Reads and parses <path> (DataError naming the path when unreadable or not a workflow record).
WorkflowState load_workflow_state(const std::string& path);
// Atomic write (write_file_atomic).
void save_workflow_state(const WorkflowState& s, const std::string& path);

}  // namespace gd::workflow
