// gpu_workflow as a user runs it, on the embedded mnist-10k with the quick budget and a small
// --limit-train: every step lands in workflow.json with its numbers and decision, the test set is
// evaluated exactly once, the report is well formed and renders in headless Chromium without
// script errors, a rerun skips every step, a run whose last steps are missing redoes only those
// (reusing the trained models), and other settings on the same --out are refused.
// Chromium is installed by ./setup.sh; without it the render check FAILS (it must not pass
// silently on a machine that cannot check the report).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "engine/workflow/budget.h"
#include "engine/workflow/settings.h"
#include "engine/workflow/workflow_state.h"
#include "tests/support/headless_chromium.h"
#include "tests/support/html_check.h"
#include "tests/support/run_binary.h"
#include "tests/support/test_support.h"

namespace {

using Output = gd::test::BinaryOutput;

Output run_workflow(const std::string& args) { return gd::test::run_binary("gpu_workflow", args); }

using gd::test::slurp;

size_t occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

using gd::test::attribute;

// One quick workflow run (the expensive part): ctest runs every TEST in its own process, so all
// checks that need it live in one TEST below.
struct Workflow {
  gd::test::TempDir dir{"e2e-workflow"};
  std::string out, args;
  Output first;
  nlohmann::json record;

  Workflow() {
    out = dir.file("wf");
    args = "--budget quick --dataset mnist-10k --no-download --limit-train 300 --seed 3 --out " + out;
    first = run_workflow(args);
    try {
      record = nlohmann::json::parse(slurp(out + "/workflow.json"));
    } catch (const std::exception&) {
    }
  }
};

const nlohmann::json& step(const nlohmann::json& record, const std::string& id) {
  for (const nlohmann::json& s : record.at("steps"))
    if (s.at("id") == id) return s;
  static const nlohmann::json none;
  ADD_FAILURE() << "step " << id << " missing";
  return none;
}

void every_step_is_recorded_with_numbers_and_a_decision(const Workflow& w) {
  ASSERT_EQ(w.first.code, 0) << w.first.text;
  ASSERT_TRUE(w.record.is_object()) << "workflow.json missing or unreadable\n" << w.first.text;
  const std::vector<std::string> ids = {"problem", "baseline", "overfit", "regularise", "tune", "final"};
  ASSERT_EQ(w.record.at("steps").size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const nlohmann::json& s = w.record["steps"][i];
    EXPECT_EQ(s.at("id"), ids[i]);
    EXPECT_GT(s.at("decision").get<std::string>().size(), 40u) << ids[i];
    EXPECT_GE(s.at("numbers").at("rows").size(), 1u) << ids[i];
    EXPECT_FALSE(s.at("done").get<std::string>().empty()) << ids[i];
  }
  // One progress line per trained model: baseline 1, overfit 3, regularise 4 (+ combination),
  // tune 4 trials, final 1.
  EXPECT_EQ(occurrences(w.first.text, "[overfit] 2 x "), 3u) << w.first.text;
  EXPECT_EQ(occurrences(w.first.text, "[tune] trial "), 4u) << w.first.text;

  // Problem: the split sizes the trainer uses (mnist-10k: 7,996 training images, 10% held out).
  const nlohmann::json& p = step(w.record, "problem").at("details");
  EXPECT_EQ(p.at("train_samples"), 300);
  EXPECT_NEAR(p.at("val_samples").get<double>(), 800, 5);
  EXPECT_EQ(p.at("test_samples"), 2004);
  // Baseline: the majority accuracy is a count ratio, and the softmax regression beats it.
  const nlohmann::json& b = step(w.record, "baseline").at("details");
  const nlohmann::json& maj = b.at("majority");
  EXPECT_DOUBLE_EQ(maj.at("val_accuracy").get<double>(),
                   maj.at("val_correct").get<double>() / maj.at("val_total").get<double>());
  EXPECT_GT(maj.at("val_accuracy").get<double>(), 0.05);
  EXPECT_LT(maj.at("val_accuracy").get<double>(), 0.2);
  EXPECT_GT(b.at("model").at("val_accuracy").get<double>(), maj.at("val_accuracy").get<double>());
  // Overfit: three capacities with their analyses; the chosen one is one of them.
  const nlohmann::json& o = step(w.record, "overfit").at("details");
  ASSERT_EQ(o.at("capacities").size(), 3u);
  EXPECT_EQ(o.at("chosen"), o.at("capacities")[o.at("chosen_index").get<size_t>()]);
  // Regularise: the reference and four single regularisers at least.
  const nlohmann::json& r = step(w.record, "regularise").at("details");
  EXPECT_GE(r.at("variants").size(), 5u);
  // Tune: 4 trials, trial 0 is the regularised model; the best is the highest complete value.
  const nlohmann::json& t = step(w.record, "tune").at("details");
  ASSERT_EQ(t.at("trials").size(), 4u);
  double best = -1;
  for (const nlohmann::json& tr : t.at("trials"))
    if (tr.at("state") == "complete") best = std::max(best, tr.at("value").get<double>());
  EXPECT_DOUBLE_EQ(t.at("best").at("value").get<double>(), best);
  // Final: a test accuracy far above chance.
  const nlohmann::json& f = step(w.record, "final").at("details");
  EXPECT_GT(f.at("test_accuracy").get<double>(), 0.5);
  EXPECT_LE(f.at("test_accuracy").get<double>(), 1.0);
  EXPECT_EQ(f.at("test_samples"), 2004);
}

void the_test_set_is_evaluated_exactly_once(const Workflow& w) {
  ASSERT_TRUE(w.record.is_object()) << w.first.text;
  EXPECT_EQ(w.record.at("test_evaluations"), 1);
  EXPECT_EQ(occurrences(w.first.text, "test set opened once"), 1u) << w.first.text;
  // No other step's models looked at the test set: their metrics.json holds validation numbers only.
  const nlohmann::json& o = step(w.record, "overfit").at("details");
  const nlohmann::json metrics =
      nlohmann::json::parse(slurp(o.at("capacities")[0].at("run").at("run_dir").get<std::string>() + "/metrics.json"));
  EXPECT_FALSE(metrics.contains("test_accuracy"));
  EXPECT_TRUE(metrics.contains("val_accuracy"));
}

void report_is_well_formed_and_renders_without_script_errors(const Workflow& w) {
  const std::string html = slurp(w.out + "/report.html");
  const gd::test::HtmlCheck check = gd::test::check_html(html);
  ASSERT_EQ(check.error, "");
  EXPECT_EQ(occurrences(html, "has not run yet"), 0u);
  EXPECT_EQ(occurrences(html, "<strong>Decision.</strong>"), 6u);
  EXPECT_NE(html.find("6. Final evaluation on the test set"), std::string::npos);
  EXPECT_NE(html.find("id=\"final-confusion\""), std::string::npos);
  EXPECT_GE(gd::test::count_tags(check, "img"), 1u) << "no misclassified digits shown";

  ASSERT_EQ(gd::test::missing_chromium(), "");
  const gd::test::Rendered page =
      gd::test::render_in_chromium(w.out + "/report.html", w.dir, "workflow", 1280, 2000, /*timeout_s=*/120);
  ASSERT_EQ(page.status, 0) << page.log;
  const std::string& dom = page.dom;
  EXPECT_EQ(attribute(dom, "data-gd-ready"), "1") << "the boot script did not finish";
  EXPECT_EQ(attribute(dom, "data-gd-errors"), "0") << dom.substr(0, 2000);
  // Every canvas of the page got its chart.
  const size_t canvases = occurrences(html, "<canvas ");
  EXPECT_GE(canvases, 10u);
  EXPECT_EQ(attribute(dom, "data-gd-charts"), std::to_string(canvases));
  std::istringstream log(page.log);
  for (std::string line; std::getline(log, line);) EXPECT_EQ(line.find("Uncaught"), std::string::npos) << line;
}

void rerun_skips_completed_steps_and_partial_records_resume_without_retraining(const Workflow& w) {
  const std::string record_path = w.out + "/workflow.json";

  const Output again = run_workflow(w.args);
  ASSERT_EQ(again.code, 0) << again.text;
  EXPECT_EQ(occurrences(again.text, "] already complete in"), 6u) << again.text;
  EXPECT_NE(again.text.find("0 steps run, 6 skipped"), std::string::npos) << again.text;
  const nlohmann::json after = nlohmann::json::parse(slurp(record_path));
  EXPECT_EQ(after.at("test_evaluations"), 1);
  EXPECT_EQ(after.at("steps"), w.record.at("steps"));

  // A workflow killed after step 3: the record holds problem, baseline and overfit only.
  nlohmann::json partial = w.record;
  partial["steps"] = nlohmann::json::array({w.record["steps"][0], w.record["steps"][1], w.record["steps"][2]});
  partial["test_evaluations"] = 0;
  std::ofstream(record_path) << partial.dump();
  const Output resumed = run_workflow(w.args);
  ASSERT_EQ(resumed.code, 0) << resumed.text;
  EXPECT_NE(resumed.text.find("3 steps run, 3 skipped"), std::string::npos) << resumed.text;
  EXPECT_EQ(occurrences(resumed.text, "] already complete in"), 3u) << resumed.text;
  // The regularisation models and the final model were trained before: reused, not retrained.
  EXPECT_GE(occurrences(resumed.text, "[regularise] "), 4u);
  // Reused: every model line of the regularisation step (all its lines but the decision) and the final model.
  EXPECT_EQ(occurrences(resumed.text, "(reused from "), occurrences(w.first.text, "[regularise] ") - 1 + 1)
      << resumed.text;
  const nlohmann::json redone = nlohmann::json::parse(slurp(record_path));
  EXPECT_EQ(redone.at("test_evaluations"), 1);
  for (const std::string id : {"regularise", "tune", "final"})
    EXPECT_EQ(step(redone, id).at("decision"), step(w.record, id).at("decision")) << id;
}

TEST(WorkflowE2E, QuickRunOnMnist10k) {
  const Workflow w;
  ASSERT_EQ(w.first.code, 0) << w.first.text;
  {
    SCOPED_TRACE("record");
    every_step_is_recorded_with_numbers_and_a_decision(w);
  }
  {
    SCOPED_TRACE("test set once");
    the_test_set_is_evaluated_exactly_once(w);
  }
  {
    SCOPED_TRACE("report");
    report_is_well_formed_and_renders_without_script_errors(w);
  }
  {
    SCOPED_TRACE("rerun and resume");
    rerun_skips_completed_steps_and_partial_records_resume_without_retraining(w);
  }
}

TEST(WorkflowE2E, OtherSettingsOnTheSameOutAreRefused) {
  // A record written by the same command with --seed 3; rerunning with --seed 4 must not mix them.
  gd::test::TempDir dir("e2e-workflow-settings");
  gd::workflow::WorkflowSettings s;
  s.budget = "quick";
  s.dataset = "mnist-10k";
  s.limit_train = 300;
  s.seed = 3;
  gd::workflow::WorkflowState st;
  st.settings = gd::workflow::result_settings(s);
  st.budget = gd::workflow::to_json(gd::workflow::budget_named("quick"));
  gd::workflow::save_workflow_state(st, dir.file("workflow.json"));
  const Output o =
      run_workflow("--budget quick --dataset mnist-10k --no-download --limit-train 300 --seed 4 --out " + dir.path());
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("seed: 3 -> 4"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("another --out"), std::string::npos) << o.text;
}

TEST(WorkflowE2E, BadFlagsFailWithAClearMessage) {
  gd::test::TempDir dir("e2e-workflow-flags");
  for (const auto& [args, needle] :
       std::vector<std::pair<std::string, std::string>>{{"--budget huge", "--budget"},
                                                        {"--arch-family rnn", "--arch-family"},
                                                        {"--sampler grid", "--sampler"},
                                                        {"--dataset cifar10", "cifar10"},
                                                        {"--trials 1", "--trials 1"},
                                                        {"--no-such-flag", "--no-such-flag"}}) {
    const Output o = run_workflow(args + " --out " + dir.file("bad"));
    EXPECT_NE(o.code, 0) << args;
    EXPECT_NE(o.text.find(needle), std::string::npos) << args << "\n" << o.text;
  }
  const Output help = run_workflow("--help");
  EXPECT_EQ(help.code, 0);
  for (const char* flag :
       {"--dataset", "--budget", "--arch-family", "--limit-train", "--out", "--report", "--device", "--threads",
        "--seed", "--data-dir", "--cache-dir", "--no-download", "--sampler", "--trials"})
    EXPECT_NE(help.text.find(flag), std::string::npos) << flag;
}

}  // namespace
