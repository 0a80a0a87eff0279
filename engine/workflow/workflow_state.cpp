// workflow.json reading and writing (workflow_state.h).
#include "engine/workflow/workflow_state.h"

#include <algorithm>

#include "engine/core/error.h"
#include "engine/train/atomic_file.h"

namespace gd::workflow {
namespace {

constexpr const char* kFormat = "gpudigits-workflow";
constexpr int kVersion = 1;

size_t order_of(const std::string& id) {
  const auto& o = step_order();
  const auto it = std::find(o.begin(), o.end(), id);
  GD_CHECK_T(it != o.end(), ConfigError, "unknown workflow step '" << id << "'");
  return static_cast<size_t>(it - o.begin());
}

}  // namespace

const std::vector<std::string>& step_order() {
  static const std::vector<std::string> order = {"problem", "baseline", "overfit", "regularise", "tune", "final"};
  return order;
}

const StepResult* WorkflowState::find(const std::string& id) const {
  for (const StepResult& s : steps)
    if (s.id == id) return &s;
  return nullptr;
}

const StepResult& WorkflowState::get(const std::string& id) const {
  const StepResult* s = find(id);
  GD_CHECK_T(s != nullptr, DataError, "workflow step '" << id << "' has not completed");
  return *s;
}

void WorkflowState::put(StepResult s) {
  const size_t rank = order_of(s.id);
  steps.erase(std::remove_if(steps.begin(), steps.end(), [&](const StepResult& x) { return x.id == s.id; }),
              steps.end());
  auto at = std::find_if(steps.begin(), steps.end(), [&](const StepResult& x) { return order_of(x.id) > rank; });
  steps.insert(at, std::move(s));
}

nlohmann::json WorkflowState::to_json() const {
  nlohmann::json st = nlohmann::json::array();
  for (const StepResult& s : steps) st.push_back(s.to_json());
  return {{"format", kFormat}, {"version", kVersion},        {"settings", settings},
          {"budget", budget},  {"environment", environment}, {"test_evaluations", test_evaluations},
          {"steps", st}};
}

WorkflowState WorkflowState::from_json(const nlohmann::json& j, const std::string& source) {
  GD_CHECK_T(j.is_object() && j.value("format", std::string()) == kFormat, DataError,
             source << " is not a gpu_workflow record (no \"format\": \"" << kFormat << "\")");
  GD_CHECK_T(
      j.value("version", 0) == kVersion, DataError,
      source << " has workflow record version " << j.value("version", 0) << "; this build reads version " << kVersion);
  WorkflowState s;
  try {
    s.settings = j.at("settings");
    s.budget = j.at("budget");
    s.environment = j.value("environment", nlohmann::json::object());
    s.test_evaluations = j.at("test_evaluations").get<int>();
    GD_CHECK_T(s.test_evaluations >= 0, DataError, "test_evaluations is negative");
    for (const auto& step : j.at("steps")) {
      StepResult r = StepResult::from_json(step);
      GD_CHECK_T(s.find(r.id) == nullptr, DataError, "step '" << r.id << "' appears twice");
      order_of(r.id);  // ConfigError for an unknown id
      s.put(std::move(r));
    }
  } catch (const nlohmann::json::exception& e) {
    throw DataError(source + ": malformed workflow record: " + e.what());
  } catch (const Error& e) {
    throw DataError(source + ": malformed workflow record: " + e.what());
  }
  return s;
}

WorkflowState load_workflow_state(const std::string& path) {
  const std::string text = read_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path + " is not valid JSON: " + e.what());
  }
  return WorkflowState::from_json(j, path);
}

void save_workflow_state(const WorkflowState& s, const std::string& path) {
  write_file_atomic(path, s.to_json().dump(1) + "\n");
}

}  // namespace gd::workflow
