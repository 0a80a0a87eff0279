// Tables of the study report (see study_tables.h).
#include "engine/report/study_tables.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "engine/report/html_escape.h"
#include "engine/report/html_fragments.h"
#include "engine/report/html_table.h"

namespace gd::report {
namespace {

std::string seconds_text(double s) {
  if (!(s > 0.0)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

std::string epochs_text(const tune::Trial& t) {
  const int e = trial_epochs(t);
  return e > 0 ? std::to_string(e) : "";
}

std::string value_text(const tune::Trial& t, const StudyObjective& obj) {
  return t.value ? obj.format(*t.value) : "";
}

std::vector<HtmlTable::Column> param_columns(const StudyParams& params) {
  std::vector<HtmlTable::Column> cols;
  for (const StudyParam& p : params.params) cols.push_back({p.name, p.numeric() ? HtmlTable::Align::Right : HtmlTable::Align::Left});
  return cols;
}

void append_param_cells(std::vector<std::string>& cells, const tune::Trial& t, const StudyParams& params) {
  for (const StudyParam& p : params.params) cells.push_back(param_value_text(param_of(t.params, p.name)));
}

}  // namespace

std::string params_inline(const nlohmann::json& trial_params) {
  if (!trial_params.is_object()) return trial_params.dump();
  std::string s;
  for (auto it = trial_params.begin(); it != trial_params.end(); ++it)
    s += (s.empty() ? "" : " ") + it.key() + "=" + param_value_text(it.value());
  return s;
}

std::string best_trials_html(const std::vector<tune::TrialRecord>& records, const StudySummary& s,
                             const StudyParams& params) {
  const StudyObjective& obj = s.objective;
  std::string h = note("The " + std::to_string(kBestTrialsShown) + " best complete trials by " + obj.metric_label() +
                       " (ties: earlier trial first). A blank parameter was inactive in that trial.");
  if (s.ranking.empty()) return h + absent("Not enough trials: no trial has completed yet.");
  std::vector<HtmlTable::Column> cols = {{"rank", HtmlTable::Align::Right},
                                         {"trial", HtmlTable::Align::Right},
                                         {obj.metric_label(), HtmlTable::Align::Right}};
  for (const auto& c : param_columns(params)) cols.push_back(c);
  cols.push_back({"epochs", HtmlTable::Align::Right});
  cols.push_back({"seconds", HtmlTable::Align::Right});
  cols.push_back({"sampler", HtmlTable::Align::Left});
  HtmlTable table(cols);
  for (size_t r = 0; r < s.ranking.size() && r < kBestTrialsShown; ++r) {
    const tune::Trial& t = records[s.ranking[r]].trial;
    std::vector<std::string> cells = {std::to_string(r + 1), std::to_string(t.number), value_text(t, obj)};
    append_param_cells(cells, t, params);
    cells.push_back(epochs_text(t));
    cells.push_back(seconds_text(trial_seconds(t)));
    cells.push_back(sampler_label(t));
    table.add_row(cells);
  }
  return h + table.html("best-trials");
}

std::string failed_trials_html(const std::vector<tune::TrialRecord>& records, const StudySummary& s) {
  std::string h = note("Trials that ended without a usable result, with the reason recorded (a diverged loss, an "
                       "invalid configuration, a worker that stopped without finishing...). An interrupted trial is "
                       "retried with the same parameters as a new trial.");
  if (s.failed == 0) return h + note("No trial failed.");
  std::map<int64_t, int> number_of_id, retried_as;  // trial id -> number; interrupted id -> retry's number
  for (const tune::TrialRecord& r : records) number_of_id[r.trial.id] = r.trial.number;
  for (const tune::TrialRecord& r : records)
    if (r.retry_of) retried_as[*r.retry_of] = r.trial.number;
  HtmlTable table({{"trial", HtmlTable::Align::Right},
                   {"sampler", HtmlTable::Align::Left},
                   {"epochs", HtmlTable::Align::Right},
                   {"parameters", HtmlTable::Align::Left, true},
                   {"reason", HtmlTable::Align::Left},
                   {"retried as", HtmlTable::Align::Right}});
  std::vector<const tune::TrialRecord*> failed;
  for (const tune::TrialRecord& r : records)
    if (r.trial.state == tune::TrialState::Failed) failed.push_back(&r);
  std::stable_sort(failed.begin(), failed.end(),
                   [](const auto* a, const auto* b) { return a->trial.number < b->trial.number; });
  for (size_t i = 0; i < failed.size() && i < kFailedTrialsShown; ++i) {
    const tune::Trial& t = failed[i]->trial;
    auto retry = retried_as.find(t.id);
    table.add_row({std::to_string(t.number), sampler_label(t), epochs_text(t), params_inline(t.params),
                   t.fail_reason.empty() ? "(no reason recorded)" : t.fail_reason,
                   retry == retried_as.end() ? "" : "trial " + std::to_string(retry->second)});
  }
  if (failed.size() > kFailedTrialsShown)
    h += note("Showing the first " + std::to_string(kFailedTrialsShown) + " of " + std::to_string(failed.size()) +
              " failed trials.");
  return h + table.html("failed-trials");
}

std::string all_trials_html(const std::vector<tune::TrialRecord>& records, const StudySummary& s,
                            const StudyParams& params) {
  const StudyObjective& obj = s.objective;
  if (records.empty()) return note("The study has no trials yet.");
  std::vector<HtmlTable::Column> cols = {{"trial", HtmlTable::Align::Right},
                                         {"state", HtmlTable::Align::Left},
                                         {obj.metric_label(), HtmlTable::Align::Right}};
  for (const auto& c : param_columns(params)) cols.push_back(c);
  for (const char* c : {"epochs", "seconds"}) cols.push_back({c, HtmlTable::Align::Right});
  for (const char* c : {"sampler", "device", "worker"}) cols.push_back({c, HtmlTable::Align::Left});
  HtmlTable table(cols);
  std::vector<const tune::TrialRecord*> sorted;
  for (const tune::TrialRecord& r : records) sorted.push_back(&r);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->trial.number < b->trial.number; });
  for (const tune::TrialRecord* r : sorted) {
    const tune::Trial& t = r->trial;
    std::vector<std::string> cells = {std::to_string(t.number), to_string(trial_status(t)), value_text(t, obj)};
    append_param_cells(cells, t, params);
    cells.push_back(epochs_text(t));
    cells.push_back(seconds_text(trial_seconds(t)));
    cells.push_back(sampler_label(t));
    cells.push_back(t.device);
    cells.push_back(r->worker);
    table.add_row(cells);
  }
  return "<details><summary>All " + std::to_string(records.size()) +
         " trials (state, value, parameters; a pruned or paused trial's value is the last it reported)</summary>\n" +
         table.html("all-trials") + "</details>\n";
}

std::string search_space_html(const StudyParams& params) {
  std::string h = note("The parameters the samplers chose from, in the space's order.");
  if (!params.space_description.empty()) h += note("Description: " + params.space_description);
  if (!params.source_note.empty()) h += absent("Note: " + params.source_note + ".");
  if (params.params.empty() && params.fixed.empty()) return h + absent("The search space has no parameters.");
  bool described = false;
  for (const StudyParam& p : params.params) described = described || !p.description.empty();
  std::vector<HtmlTable::Column> cols = {{"parameter", HtmlTable::Align::Left, true},
                                         {"values", HtmlTable::Align::Left},
                                         {"active when", HtmlTable::Align::Left}};
  if (described) cols.push_back({"description", HtmlTable::Align::Left});
  HtmlTable table(cols);
  for (const StudyParam& p : params.params) {
    std::vector<std::string> row = {p.name, p.range_text, p.condition_text.empty() ? "always" : p.condition_text};
    if (described) row.push_back(p.description);
    table.add_row(row);
  }
  for (const FixedParam& f : params.fixed) {
    std::vector<std::string> row = {f.name, "fixed: " + f.value_text, f.condition_text.empty() ? "always" : f.condition_text};
    if (described) row.push_back("");
    table.add_row(row);
  }
  return h + table.html("search-space");
}

}  // namespace gd::report
