// The workflow driver (workflow_runner.h).
#include "engine/workflow/workflow_runner.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>

#include "engine/backend/backend.h"
#include "engine/core/error.h"
#include "engine/data/registry.h"
#include "engine/tune/trial_config.h"
#include "engine/workflow/budget.h"
#include "engine/workflow/model_family.h"
#include "engine/workflow/model_runs.h"
#include "engine/workflow/sealed_test_set.h"
#include "engine/workflow/workflow_context.h"
#include "engine/workflow/workflow_report.h"
#include "engine/workflow/workflow_steps.h"

namespace gd::workflow {
namespace {

std::string local_time() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char b[40];
  std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S %Z", &tm);
  return b;
}

}  // namespace

WorkflowOutcome run_workflow(const WorkflowSettings& settings, std::FILE* out, const std::string& command) {
  validate(settings);
  const WorkflowBudget budget = budget_named(settings.budget);
  const ModelFamily family(parse_arch_family(settings.arch_family));
  auto say = [out](const std::string& line) {
    std::fprintf(out, "%s\n", line.c_str());
    std::fflush(out);
  };

  namespace fs = std::filesystem;
  fs::create_directories(settings.out);
  WorkflowOutcome o;
  o.record_path = settings.out + "/workflow.json";
  o.report_path = report_path(settings);
  WorkflowState& st = o.state;
  const nlohmann::json key = result_settings(settings);
  if (fs::exists(o.record_path)) {
    st = load_workflow_state(o.record_path);
    const std::vector<std::string> diff = settings_differences(st.settings, key);
    if (!diff.empty()) {
      std::string list;
      for (const std::string& d : diff) list += "\n  " + d;
      throw ConfigError(o.record_path + " was written by a workflow with other settings (stored -> requested):" + list +
                        "\nUse another --out, or delete " + settings.out + " to start over.");
    }
    say("continuing the workflow in " + settings.out + ": " + std::to_string(st.steps.size()) + " of " +
        std::to_string(step_order().size()) + " steps already complete");
  } else {
    st.settings = key;
    st.budget = to_json(budget);
  }
  // Every invocation on this record: its command line, when it ran, what it did. A record from
  // before this list existed carries one flat command / started_at / finished_at: it becomes the
  // first entry.
  nlohmann::json& invocations = st.environment["invocations"];
  if (!invocations.is_array()) {
    invocations = nlohmann::json::array();
    if (st.environment.contains("command"))
      invocations.push_back({{"command", st.environment["command"]},
                             {"started_at", st.environment.value("started_at", std::string())},
                             {"finished_at", st.environment.value("finished_at", std::string())}});
  }
  for (const char* legacy : {"command", "started_at", "finished_at"}) st.environment.erase(legacy);
  invocations.push_back({{"command", command}, {"started_at", local_time()}, {"steps_run", 0}});
  auto finished = [&] {
    nlohmann::json& mine = st.environment["invocations"].back();
    mine["finished_at"] = local_time();
    mine["steps_run"] = o.steps_run;
    mine["steps_skipped"] = o.steps_skipped;
  };

  const bool all_done = st.steps.size() == step_order().size();
  std::unique_ptr<Backend> backend;
  DatasetSplits data;
  std::unique_ptr<SealedTestSet> test;
  std::unique_ptr<ModelTrainer> trainer;
  std::unique_ptr<WorkflowContext> ctx;
  if (!all_done) {
    std::string notice;
    backend = make_backend(parse_device_request(settings.device), &notice);
    if (!notice.empty()) say("note: " + notice);
    DataOptions d;
    d.dataset = settings.dataset;
    d.data_dir = settings.data_dir;
    d.cache_dir = settings.cache_dir;
    d.allow_download = settings.allow_download;
    data = load_dataset(d);
    st.environment["data_source"] = data.source;
    st.environment["device"] = backend->description();
    // Counted (and saved) before the evaluation runs, so even a run killed mid-evaluation shows it.
    test = std::make_unique<SealedTestSet>(data, [&st, &o] {
      ++st.test_evaluations;
      save_workflow_state(st, o.record_path);
    });
    tune::ObjectiveConfig base;
    base.data = d;
    base.limit_train = settings.limit_train;
    base.val_split = settings.val_split;
    base.seed = settings.seed;
    base.device = settings.device;
    base.threads = settings.threads;
    trainer = std::make_unique<ModelTrainer>(base, *backend, data, settings.verbose, say);
    ctx = std::make_unique<WorkflowContext>(
        WorkflowContext{settings, budget, family, *backend, data, *test, *trainer, say});
    say("workflow: " + settings.arch_family + " family on " + settings.dataset + ", budget " + budget.name + " (" +
        std::to_string(budget.epochs) + " epochs per model), device " + backend->description() + ", output " +
        settings.out);
  }

  for (const std::string& id : step_order()) {
    if (const StepResult* done = st.find(id)) {
      say("[" + id + "] already complete in " + o.record_path + ": skipped (decision: " + done->decision + ")");
      ++o.steps_skipped;
      continue;
    }
    WorkflowContext& c = *ctx;
    StepResult r;
    try {
      if (id == "problem")
        r = run_problem_step(c);
      else if (id == "baseline")
        r = run_baseline_step(c);
      else if (id == "overfit")
        r = run_overfit_step(c);
      else if (id == "regularise")
        r = run_regularise_step(c, st.get("overfit"));
      else if (id == "tune")
        r = run_tune_step(c, st.get("regularise"));
      else
        r = run_final_step(c, st.get("tune"));
    } catch (const nlohmann::json::exception& e) {
      // The earlier steps' details a step reads come from workflow.json, which may have been edited.
      throw DataError("step '" + id + "' cannot use the earlier steps' results in " + o.record_path + ": " + e.what() +
                      " (delete the file, or the steps from '" + id + "' on, to redo them)");
    }
    st.put(std::move(r));
    ++o.steps_run;
    finished();
    save_workflow_state(st, o.record_path);
  }
  finished();
  save_workflow_state(st, o.record_path);
  const fs::path report_dir = fs::path(o.report_path).parent_path();
  if (!report_dir.empty()) fs::create_directories(report_dir);
  write_workflow_report(st, o.report_path);
  say("report: " + o.report_path);
  return o;
}

}  // namespace gd::workflow
