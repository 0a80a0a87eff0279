// Assembles the study report: header, final evaluation, and the sections of the study_* files
// (see study_report.h).
#include "engine/report/study_report.h"

#include <ctime>
#include <filesystem>
#include <system_error>

#include "engine/core/error.h"
#include "engine/report/html_escape.h"
#include "engine/report/html_fragments.h"
#include "engine/report/html_table.h"
#include "engine/report/study_history_charts.h"
#include "engine/report/study_importance_section.h"
#include "engine/report/study_parallel_coords.h"
#include "engine/report/study_params.h"
#include "engine/report/study_slice_plots.h"
#include "engine/report/study_summary.h"
#include "engine/report/study_tables.h"

namespace gd::report {
namespace {

std::string date_text(double unix_seconds) {
  if (!(unix_seconds > 0.0)) return "";
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  char buf[64] = "";
  if (localtime_r(&t, &tm)) std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", &tm);
  return buf;
}

std::string state_counts(const StudySummary& s) {
  std::string t = std::to_string(s.complete) + " complete, " + std::to_string(s.pruned) + " pruned";
  if (s.paused > 0) t += ", " + std::to_string(s.paused) + " paused (ASHA)";
  return t + ", " + std::to_string(s.failed) + " failed, " + std::to_string(s.running) + " running";
}

std::string samplers_text(const StudySummary& s) {
  std::string t;
  for (const auto& [name, count] : s.samplers) t += (t.empty() ? "" : ", ") + name + " (" + std::to_string(count) + ")";
  return t.empty() ? "none yet" : t;
}

void add_header(HtmlDocument& doc, const tune::Study& study, const std::vector<tune::TrialRecord>& records,
                const StudySummary& s, const StudyParams& params, const std::string& storage_path) {
  const StudyObjective& o = s.objective;
  std::string sub = std::string(o.maximize ? "maximise " : "minimise ") + o.metric_label() + " \xC2\xB7 " + o.arch +
                    " on " + o.dataset;
  const std::optional<int> space_epochs = fixed_epochs(params);
  if (space_epochs) sub += " \xC2\xB7 " + std::to_string(*space_epochs) + " epochs per trial (fixed in the search space)";
  else if (o.max_epochs > 0) sub += " \xC2\xB7 up to " + std::to_string(o.max_epochs) + " epochs per trial";
  doc.set_subtitle(sub);
  if (!storage_path.empty()) doc.add_meta("storage", storage_path);
  doc.add_meta("created", date_text(study.created_at));
  std::string objective = o.metric + " (" + (o.maximize ? "maximize" : "minimize") + ")";
  doc.add_meta("objective", objective);
  doc.add_meta("architecture", o.arch);
  std::string data = o.dataset;
  if (o.limit_train > 0) data += ", first " + std::to_string(o.limit_train) + " training samples";
  if (o.val_split > 0.0) data += ", validation split " + percent(o.val_split, 0) + " of the training set";
  doc.add_meta("dataset", data);
  std::string cap = o.max_epochs > 0 ? std::to_string(o.max_epochs) : "unknown";
  if (space_epochs) cap += " (the objective's max_epochs; the search space fixes epochs = " + std::to_string(*space_epochs) + ")";
  doc.add_meta("epoch cap", cap);
  doc.add_meta("trials", std::to_string(s.total) + ": " + state_counts(s));
  doc.add_meta("samplers", samplers_text(s));
  if (s.first_started > 0.0)
    doc.add_meta("ran", date_text(s.first_started) + (s.last_finished > 0.0 ? " to " + date_text(s.last_finished) : ""));
  if (!params.space_description.empty()) doc.add_meta("search space", params.space_description);

  const std::string dot = " \xC2\xB7 ";
  std::string detail = std::to_string(s.complete) + " complete";
  if (s.pruned > 0 || s.paused == 0) detail += dot + std::to_string(s.pruned) + " pruned";
  if (s.paused > 0) detail += dot + std::to_string(s.paused) + " paused";
  detail += dot + std::to_string(s.failed) + " failed" + dot + std::to_string(s.running) + " running";
  doc.add_headline("trials", std::to_string(s.total), detail);
  if (s.best) {
    const tune::Trial& b = records[*s.best].trial;
    doc.add_headline("best " + o.metric_label(), o.format(*b.value), "trial " + std::to_string(b.number) + " (" + sampler_label(b) + ")");
  } else {
    doc.add_headline("best " + o.metric_label(), "\xE2\x80\x94", "no complete trial yet");
  }
  const FinalEvaluation& f = s.final_model;
  if (f.present)
    doc.add_headline("final test accuracy", percent(f.test_accuracy, 2),
                     "trial " + std::to_string(f.trial_number) + " retrained on train+validation" + (f.stale ? " (not the current best)" : ""));
  else
    doc.add_headline("final test accuracy", "\xE2\x80\x94", "no final evaluation yet");
  doc.add_headline("compute time", format_duration(s.compute_seconds), "sum of the trials' wall times");
}

std::string final_model_html(const tune::Study& study, const std::vector<tune::TrialRecord>& records,
                             const StudySummary& s) {
  const FinalEvaluation& f = s.final_model;
  std::string h = note("Model selection used the validation set only. At the end of a study the best configuration is "
                       "retrained on train+validation and evaluated once on the test set: that is the one unbiased "
                       "number of the study.");
  if (!f.present) {
    if (!f.problem.empty()) return h + absent("No usable final evaluation: " + f.problem + ".");
    return h + absent("No final evaluation yet: the best configuration has not been retrained and tested. gpu_tune "
                      "does it at the end of a run unless --no-final is given; until then the numbers in this report "
                      "are validation numbers.");
  }
  std::string box = "<div class=\"final-box\" style=\"border:1px solid #bbf7d0;background:#f0fdf4;border-radius:8px;"
                    "padding:10px 14px;margin:6px 0 10px\"><strong>" +
                    html_escape("Trial " + std::to_string(f.trial_number) + " retrained on train+validation, test accuracy " +
                                percent(f.test_accuracy, 2) + " (test set used once, after selection).") +
                    "</strong></div>\n";
  HtmlTable t(std::vector<std::string>{"what", "value"});
  t.add_row({"selected by", s.objective.metric_label() + " " + s.objective.format(f.validation_value) + " (trial " +
                                std::to_string(f.trial_number) + ")"});
  t.add_row({"test accuracy", percent(f.test_accuracy, 2)});
  t.add_row({"test loss", fixed(f.test_loss, 4)});
  t.add_row({"epochs", f.epochs > 0 ? std::to_string(f.epochs) : "unknown"});
  t.add_row({"parameters", params_inline(f.params)});
  if (!f.run_dir.empty()) t.add_row({"run directory", f.run_dir});
  h += box + t.html("final-model");
  if (f.stale && s.best) {
    const tune::Trial& b = records[*s.best].trial;
    h += absent("The study went on after this evaluation: the best trial is now trial " + std::to_string(b.number) + " (" +
                s.objective.format(*b.value) + "), which has not been retrained and tested. Running gpu_tune --study " +
                study.name + " again retrains it.");
  }
  return h;
}

nlohmann::json report_data(const tune::Study& study, const std::vector<tune::TrialRecord>& records,
                           const StudySummary& s, const ImportanceResult& imp) {
  nlohmann::json j = {{"name", study.name},
                      {"direction", tune::to_string(study.direction)},
                      {"metric", s.objective.metric},
                      {"trials", {{"total", s.total}, {"complete", s.complete}, {"pruned", s.pruned},
                                  {"paused", s.paused}, {"failed", s.failed}, {"running", s.running}}},
                      {"compute_seconds", s.compute_seconds}};
  if (s.best) j["best"] = {{"trial", records[*s.best].trial.number}, {"value", *records[*s.best].trial.value}};
  if (imp.computed) {
    nlohmann::json list = nlohmann::json::array();
    for (const ParamImportance& p : imp.params)
      list.push_back({{"param", p.name}, {"importance", p.importance}, {"variance_share", p.variance_share},
                      {"marginal_share", p.marginal_share}});
    j["importance"] = {{"method", imp.method == ImportanceResult::Method::Additive
                                      ? "additive main effects over binned values (least squares), noise-corrected"
                                      : "one-way omega^2 per parameter"},
                       {"trials", imp.trials}, {"explained", imp.explained}, {"params", list}};
  }
  if (s.final_model.present)
    j["final"] = {{"trial", s.final_model.trial_number}, {"test_accuracy", s.final_model.test_accuracy},
                  {"stale", s.final_model.stale}};
  return j;
}

}  // namespace

HtmlDocument build_study_report(const tune::Study& study, const std::vector<tune::TrialRecord>& records,
                                const std::optional<nlohmann::json>& final_attr, const std::string& storage_path) {
  std::vector<tune::Trial> trials;
  trials.reserve(records.size());
  for (const tune::TrialRecord& r : records) trials.push_back(r.trial);
  const StudySummary s = summarize_study(study, records, final_attr);
  const StudyParams params = study_params(study.space, trials);
  const ImportanceResult imp = study_importance(records, s, params);

  HtmlDocument doc("Study " + study.name);
  add_header(doc, study, records, s, params, storage_path);
  doc.add_section("Final evaluation", final_model_html(study, records, s));
  doc.add_section("Best trials", best_trials_html(records, s, params));
  doc.add_section("Optimisation history", optimization_history_html(doc, records, s));
  doc.add_section("Intermediate values", intermediate_values_html(doc, records, s));
  doc.add_section("Parallel coordinates", parallel_coordinates_html(doc, records, s, params));
  doc.add_section("Parameter importance", importance_html(doc, imp));
  doc.add_section("Slice plots", slice_plots_html(doc, records, s, params));
  doc.add_section("Failed trials", failed_trials_html(records, s));
  doc.add_section("Search space", search_space_html(params));
  doc.add_section("All trials", all_trials_html(records, s, params));
  doc.data()["study"] = report_data(study, records, s, imp);
  return doc;
}

std::string write_study_report(tune::StudyStorage& storage, const tune::Study& study, const std::string& path) {
  GD_CHECK_T(!path.empty(), ConfigError, "study report: the output path is empty");
  const std::vector<tune::TrialRecord> records = storage.trial_records(study);
  const std::optional<nlohmann::json> final_attr = storage.study_attr(study, "final");
  const HtmlDocument doc = build_study_report(study, records, final_attr, storage.path());
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    GD_CHECK(!ec, "study report: cannot create the directory " << dir.string() << " for " << path << ": " << ec.message());
  }
  doc.write(path);
  return path;
}

}  // namespace gd::report
