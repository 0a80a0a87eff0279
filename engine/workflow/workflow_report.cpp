// The workflow report: header, summary and one section per step (workflow_report.h).
#include "engine/workflow/workflow_report.h"

#include <cmath>
#include <functional>

#include "engine/core/error.h"
#include "engine/report/chart.h"
#include "engine/report/html_escape.h"
#include "engine/report/html_fragments.h"
#include "engine/report/html_table.h"
#include "engine/workflow/model_family.h"
#include "engine/workflow/workflow_report_parts.h"

namespace gd::workflow {
namespace {

using report::HtmlDocument;

double num(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN;
}

// One row of the summary: a stage, its model and its numbers (NaN = not measured).
struct Stage {
  std::string name, model;
  double val_acc = NAN, val_loss = NAN, test_acc = NAN;
  std::string step;  // step id whose section explains it
};

std::vector<Stage> stages(const WorkflowState& st) {
  std::vector<Stage> out;
  if (const StepResult* b = st.find("baseline")) {
    const nlohmann::json& m = b->details.at("majority");
    out.push_back({"majority class", "always '" + b->details.value("majority_name", std::string("?")) + "'",
                   num(m, "val_accuracy"), NAN, NAN, "baseline"});
    const nlohmann::json& r = b->details.at("model");
    out.push_back({"baseline model", r.value("spec", std::string()), num(r, "val_accuracy"), num(r, "val_loss"), NAN,
                   "baseline"});
  }
  if (const StepResult* o = st.find("overfit")) {
    const nlohmann::json& c = o->details.at("chosen");
    const nlohmann::json& r = c.at("run");
    out.push_back({"overfitting model", c.value("label", std::string()) + " (" + r.value("spec", std::string()) + ")",
                   num(r, "val_accuracy"), num(r, "val_loss"), NAN, "overfit"});
  }
  if (const StepResult* g = st.find("regularise")) {
    const nlohmann::json& c = g->details.at("chosen");
    const nlohmann::json& r = c.at("run");
    out.push_back({"regularised model",
                   g->details.at("capacity").value("label", std::string()) + ", " +
                       Regularisation::from_json(c.at("regularisation")).describe(),
                   num(r, "val_accuracy"), num(r, "val_loss"), NAN, "regularise"});
  }
  if (const StepResult* t = st.find("tune")) {
    const nlohmann::json& b = t->details.at("best");
    const int number = b.at("number").get<int>();
    out.push_back(
        {"tuned model",
         number >= 0 ? "trial " + std::to_string(number) + " of the study" : "the regularised model (no trial beat it)",
         num(b, "value"), num(b, "val_loss"), NAN, "tune"});
  }
  if (const StepResult* f = st.find("final")) {
    const nlohmann::json& m = f->details.at("model");
    out.push_back({"final model on test", m.value("spec", std::string()) + " (train + validation)", NAN, NAN,
                   num(f->details, "test_accuracy"), "final"});
  }
  return out;
}

std::string summary_section(HtmlDocument& doc, const WorkflowState& st, const std::vector<std::string>& section_ids) {
  const std::vector<Stage> rows = stages(st);
  if (rows.empty()) return report::absent("No step with a model has completed yet.");
  report::HtmlTable t({"stage", "model", "validation accuracy", "validation loss", "test accuracy"}, {2, 3, 4});
  for (const Stage& s : rows)
    t.add_row({s.name, s.model, report::percent(s.val_acc), report::fixed(s.val_loss), report::percent(s.test_acc)});
  std::string h = report::note(
                      "Every model was selected on the validation split; the test accuracy is measured once, "
                      "on the final model only.") +
                  t.html("workflow-summary");
  // Validation accuracy by stage (the majority class is left out: at ~1/classes it would flatten the scale).
  report::ChartSpec c;
  c.kind = report::ChartSpec::Kind::Bar;
  std::vector<double> val, test;
  double lowest = 1.0;
  for (const Stage& s : rows) {
    if (s.name == "majority class") continue;
    c.categories.push_back(s.name);
    val.push_back(s.val_acc);
    test.push_back(s.test_acc);
    for (double v : {s.val_acc, s.test_acc})
      if (std::isfinite(v)) lowest = std::min(lowest, v);
  }
  c.series = {report::ChartSeries::bar("validation accuracy", parts::as_percent(val), report::palette::kBlue),
              report::ChartSeries::bar("test accuracy", parts::as_percent(test), report::palette::kOrange)};
  c.y_title = "accuracy (%)";
  c.y_max = 100.0;
  c.y_min = std::max(0.0, std::floor(lowest * 100.0) - 1.0);
  c.tooltip_digits = 2;
  c.height_px = 260;
  c.caption = "Accuracy of each stage's model (the majority class is left out of the chart; the axis starts at " +
              report::fixed(c.y_min, 0) + "%).";
  std::string decisions = "<ol class=\"decisions\">\n";
  for (size_t i = 0; i < st.steps.size(); ++i) {
    const StepResult& s = st.steps[i];
    std::string anchor;
    for (size_t k = 0; k < step_order().size(); ++k)
      if (step_order()[k] == s.id && k < section_ids.size()) anchor = section_ids[k];
    decisions += "<li><a href=\"#" + anchor + "\">" + report::html_escape(s.title) +
                 "</a>: " + report::html_escape(s.decision) + "</li>\n";
  }
  decisions += "</ol>\n";
  return h + report::add_chart(doc, "summary-accuracy", c) + report::subheading("Decisions") + decisions;
}

std::string step_body(HtmlDocument& doc, const WorkflowState& st, const StepResult& s) {
  std::string part;
  if (s.id == "problem")
    part = parts::problem_part(doc, s);
  else if (s.id == "baseline")
    part = parts::baseline_part(doc, s);
  else if (s.id == "overfit")
    part = parts::overfit_part(doc, s);
  else if (s.id == "regularise")
    part = parts::regularise_part(doc, s);
  else if (s.id == "tune")
    part = parts::tune_part(doc, s);
  else if (s.id == "final")
    part = parts::final_part(doc, s);
  std::string h = report::note(s.done);
  if (s.id == "final")
    h += "<p><strong>The test set was used here and nowhere else.</strong> workflow.json records " +
         std::to_string(st.test_evaluations) + " test-set evaluation" + (st.test_evaluations == 1 ? "" : "s") +
         " for this workflow.</p>\n";
  h += parts::number_table(s.numbers, "numbers-" + s.id);
  h += parts::decision_box(s.decision);
  h += part;
  h += report::note("Step time: " + report::fixed(s.seconds, 1) + " s.");
  h += parts::artefact_list(s.artefacts);
  return h;
}

const char* kStepTitles[] = {"1. Problem, metric and protocol", "2. Baseline",
                             "3. Overfitting on purpose",       "4. Regularisation",
                             "5. Hyperparameter tuning",        "6. Final evaluation on the test set"};

}  // namespace

HtmlDocument build_workflow_report(const WorkflowState& st) {
  HtmlDocument doc("Workflow report");
  const nlohmann::json& set = st.settings;
  const nlohmann::json& env = st.environment;
  doc.set_subtitle(set.value("arch_family", std::string("?")) + " family on " + set.value("dataset", std::string("?")) +
                   ", budget " + set.value("budget", std::string("?")) +
                   ": problem -> baseline -> overfit -> regularise -> tune -> test once");
  doc.add_meta("dataset", set.value("dataset", std::string("?")) +
                              (set.value("limit_train", 0) > 0
                                   ? " (limit-train " + std::to_string(set.value("limit_train", 0)) + ")"
                                   : ""));
  if (env.contains("data_source")) doc.add_meta("data source", env.value("data_source", std::string()));
  if (env.contains("device")) doc.add_meta("device", env.value("device", std::string()));
  doc.add_meta("budget",
               set.value("budget", std::string("?")) + ": " + std::to_string(st.budget.value("epochs", 0)) +
                   " epochs per model, " +
                   std::to_string(set.value("trials", 0) > 0 ? set.value("trials", 0) : st.budget.value("trials", 0)) +
                   " tuning trials (" + set.value("sampler", std::string("?")) + ")");
  doc.add_meta("seed", std::to_string(set.value("seed", 0ULL)));
  // The invocation that ran the first step (the command to reproduce the record) and when the
  // steps ran: from its start to the end of the last invocation that ran a step (later ones only
  // rewrote the report).
  const nlohmann::json runs = env.value("invocations", nlohmann::json::array());
  if (runs.is_array() && !runs.empty()) {
    const nlohmann::json& first = runs.front();
    const nlohmann::json* last_work = &first;
    int working = 0;
    for (const nlohmann::json& r : runs)
      if (r.value("steps_run", 1) > 0) last_work = &r, ++working;
    doc.add_meta("command", first.value("command", std::string()));
    doc.add_meta("steps ran", first.value("started_at", std::string()) + " to " +
                                  last_work->value("finished_at", std::string("(unfinished)")) +
                                  (working > 1 ? " (in " + std::to_string(working) + " invocations)" : ""));
  }
  doc.add_meta("steps complete", std::to_string(st.steps.size()) + " of " + std::to_string(step_order().size()));
  doc.add_meta("test-set evaluations", std::to_string(st.test_evaluations));

  std::vector<Stage> headline_stages;
  try {
    headline_stages = stages(st);
  } catch (const nlohmann::json::exception&) {
    // An incomplete record: no headline cards; the summary section says what is wrong.
  }
  for (const Stage& s : headline_stages) {
    if (s.name == "final model on test") {
      doc.add_headline("test accuracy", report::percent(s.test_acc),
                       st.test_evaluations == 1 ? "measured once"
                                                : std::to_string(st.test_evaluations) + " test evaluations recorded");
    } else if (s.name != "overfitting model") {
      doc.add_headline(s.name, report::percent(s.val_acc), "validation accuracy");
    }
  }

  // Section ids are known only once added; the summary links to them, so reserve them first.
  std::vector<std::string> ids;
  for (const char* t : kStepTitles) ids.push_back(report::slugify(std::string("section-") + t));
  // A hand-edited or truncated record must not cost the whole report: a part that cannot be read
  // says so in its place.
  auto guarded = [](const std::string& what, const std::function<std::string()>& build) {
    try {
      return build();
    } catch (const nlohmann::json::exception& e) {
      return report::absent("The " + what + " cannot be shown: its record in workflow.json is incomplete (" + e.what() +
                            ").");
    }
  };
  doc.add_section("Summary", guarded("summary", [&] { return summary_section(doc, st, ids); }));
  for (size_t k = 0; k < step_order().size(); ++k) {
    const StepResult* s = st.find(step_order()[k]);
    const std::string body = s ? guarded("step '" + s->id + "'", [&] { return step_body(doc, st, *s); })
                               : report::absent(
                                     "This step has not run yet: the workflow stopped before it. Run "
                                     "gpu_workflow again with the same --out to continue.");
    const std::string id = doc.add_section(kStepTitles[k], body);
    GD_CHECK(id == ids[k], "workflow report: section id '" << id << "' differs from the reserved '" << ids[k] << "'");
  }

  nlohmann::json steps = nlohmann::json::array();
  for (const StepResult& s : st.steps)
    steps.push_back({{"id", s.id}, {"title", s.title}, {"decision", s.decision}, {"numbers", s.numbers.to_json()}});
  doc.data()["workflow"] = {{"settings", st.settings}, {"test_evaluations", st.test_evaluations}, {"steps", steps}};
  return doc;
}

std::string write_workflow_report(const WorkflowState& state, const std::string& path) {
  build_workflow_report(state).write(path);
  return path;
}

}  // namespace gd::workflow
