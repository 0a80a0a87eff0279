// Per-parameter slice plots of a study (see study_slice_plots.h).
#include "engine/report/study_slice_plots.h"

#include <algorithm>
#include <cmath>

#include "engine/report/chart.h"
#include "engine/report/html_escape.h"
#include "engine/report/html_fragments.h"
#include "engine/report/study_chart_style.h"

namespace gd::report {
namespace {

using nlohmann::json;

// One parameter's chart, or a note when no complete trial has it active.
std::string slice_chart(HtmlDocument& doc, const std::vector<tune::TrialRecord>& records, const StudySummary& s,
                        const StudyParam& p, const std::vector<size_t>& by_number) {
  const StudyObjective& obj = s.objective;
  json cfg = base_chart_config("scatter", obj.percent ? 2 : 4);
  json labels = json::array();  // categorical: the levels, then any unknown value seen
  for (const json& l : p.levels) labels.push_back(param_value_text(l));
  auto x_of = [&](const json& v) -> json {
    if (p.numeric()) return chart_number(numeric_value(p, v));
    const std::string text = param_value_text(v);
    if (level_index(p, v) < 0 && std::find(labels.begin(), labels.end(), text) == labels.end()) labels.push_back(text);
    return text;
  };

  json points = json::array(), colors = json::array(), extra = json::array();
  json star = json::array(), star_extra = json::array();
  int inactive = 0, shown = 0;
  const size_t n = by_number.size();
  for (size_t r = 0; r < n; ++r) {
    const tune::Trial& t = records[by_number[r]].trial;
    const json& v = param_of(t.params, p.name);
    const json x = v.is_null() ? json(nullptr) : x_of(v);
    if (x.is_null()) {
      ++inactive;
      continue;
    }
    ++shown;
    const json pt = json::array({x, chart_number(obj.display(*t.value))});
    const std::string text = "(trial " + std::to_string(t.number) + ", " + p.name + " = " + param_value_text(v) + ")";
    if (s.best && by_number[r] == *s.best) {
      star.push_back(pt);
      star_extra.push_back(text);
    }
    points.push_back(pt);
    colors.push_back(ramp_color(n > 1 ? static_cast<double>(r) / static_cast<double>(n - 1) : 1.0));
    extra.push_back(text);
  }
  const std::string what = p.name + " " + p.range_text;
  if (shown == 0) return "<div>" + absent(p.name + ": inactive in every complete trial, nothing to plot.") + "</div>\n";

  json& datasets = cfg["data"]["datasets"];
  if (!star.empty())
    datasets.push_back({{"label", "best trial"},   {"data", star},         {"pointStyle", "star"},
                        {"pointRadius", 9},        {"pointHoverRadius", 11}, {"borderWidth", 2},
                        {"borderColor", palette::kRed}, {"backgroundColor", rgba(palette::kRed, 0.4)}});
  datasets.push_back({{"label", "complete trials"}, {"data", points},       {"pointRadius", 4},
                      {"pointHoverRadius", 6},       {"borderWidth", 1},     {"borderColor", "rgba(30,41,59,0.35)"},
                      {"backgroundColor", colors}});
  json extras = json::array();
  if (!star.empty()) extras.push_back(star_extra);
  extras.push_back(extra);
  cfg["gd"]["tooltipExtra"] = extras;
  cfg["options"]["plugins"]["legend"] = {{"display", false}};
  json x = {{"title", axis_title(p.name + (p.log ? " (log scale)" : ""))}, {"grid", {{"color", "#f3f4f6"}}}};
  if (p.numeric()) {
    x["type"] = p.log && p.low > 0.0 ? "logarithmic" : "linear";
    if (p.high > p.low) {
      x["min"] = chart_number(p.low);
      x["max"] = chart_number(p.high);
    }
    if (p.integer) x["ticks"] = {{"precision", 0}};
  } else {
    x["type"] = "category";
    x["labels"] = labels;
    x["offset"] = true;
  }
  cfg["options"]["scales"]["x"] = x;
  cfg["options"]["scales"]["y"] = {{"title", axis_title(obj.axis_title())}, {"grid", {{"color", "#eef0f3"}}}};
  std::string caption = what + ": " + std::to_string(shown) + " trial(s)";
  if (inactive > 0) caption += "; inactive in " + std::to_string(inactive) + " (not shown)";
  if (!p.condition_text.empty()) caption += "; active when " + p.condition_text;
  return "<div>" + study_figure(doc, "slice-" + p.name, cfg, 260, caption + ".") + "</div>\n";
}

}  // namespace

std::string slice_plots_html(HtmlDocument& doc, const std::vector<tune::TrialRecord>& records, const StudySummary& s,
                             const StudyParams& params) {
  std::string h = note("For each parameter, the " + s.objective.metric_label() + " of every complete trial against the "
                       "parameter's value (log x axis for log-scale parameters, one column per choice for categorical "
                       "ones). Shading: trial number, earlier light, later dark; the red star is the best trial. A "
                       "slice shows the parameter's effect with all others varying, not with them held fixed.");
  if (params.params.empty()) return h + absent("The study has no sampled parameter to plot.");
  if (s.ranking.empty()) return h + absent("Not enough trials: no trial has completed yet.");
  std::vector<size_t> by_number = s.ranking;
  std::sort(by_number.begin(), by_number.end(),
            [&](size_t a, size_t b) { return records[a].trial.number < records[b].trial.number; });
  h += ramp_legend("earlier trials", "later trials");
  h += "<div class=\"grid-2\">\n";
  for (const StudyParam& p : params.params) h += slice_chart(doc, records, s, p, by_number);
  return h + "</div>\n";
}

}  // namespace gd::report
