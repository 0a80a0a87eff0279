// The parameter-importance section of the study report (see study_importance_section.h).
#include "engine/report/study_importance_section.h"

#include "engine/report/chart.h"
#include "engine/report/html_fragments.h"
#include "engine/report/html_table.h"
#include "engine/report/study_chart_style.h"

namespace gd::report {

ImportanceResult study_importance(const std::vector<tune::TrialRecord>& records, const StudySummary& s,
                                  const StudyParams& params) {
  std::vector<nlohmann::json> configs;
  std::vector<double> values;
  for (size_t i : s.ranking) {
    configs.push_back(records[i].trial.params);
    values.push_back(*records[i].trial.value);
  }
  return param_importance(params.params, configs, values);
}

std::string importance_html(HtmlDocument& doc, const ImportanceResult& r) {
  const ImportanceOptions defaults;
  std::string h = note(
      "How much of the variation of the objective across complete trials each parameter explains through its main "
      "effect. Method: every parameter splits the trials into groups by its value (categorical: one group per choice; "
      "numeric: up to " + std::to_string(defaults.max_bins) + " quantile bins of at least about " +
      std::to_string(defaults.min_per_bin) + " trials; \"inactive\" is a group of its own). An additive model, the "
      "objective = mean + one step function per parameter over its groups, is fitted by least squares, so each effect is "
      "estimated with the others accounted for. A parameter's share of variance is the variance "
      "of its fitted effect, minus what fitting that many group values to the residual noise gives on average, over the "
      "objective's variance (without the covariances of the fitted effects, so shares and the rest add up to 100%); "
      "importance is that share normalised to sum to 100% over the parameters. \"Alone\" is the "
      "one-way ANOVA omega squared of the parameter by itself, for comparison. Interactions are not attributed, and "
      "parameters that always changed together cannot be told apart (the earlier one in the space gets the effect).");
  if (!r.computed) return h + absent(r.why_not + ".");

  HtmlTable table({{"parameter", HtmlTable::Align::Left, true},
                   {"importance", HtmlTable::Align::Right},
                   {"share of variance", HtmlTable::Align::Right},
                   {"alone (omega\xC2\xB2)", HtmlTable::Align::Right},
                   {"groups", HtmlTable::Align::Right},
                   {"active in", HtmlTable::Align::Right}});
  for (const ParamImportance& p : r.params)
    table.add_row({p.name, r.no_signal ? "n/a" : percent(p.importance, 1), percent(p.variance_share, 1),
                   percent(p.marginal_share, 1), std::to_string(p.groups),
                   std::to_string(p.active) + " of " + std::to_string(r.trials)});
  if (r.method == ImportanceResult::Method::Marginal)
    h += note("Too few trials for the additive model with these parameters (it would leave fewer than " +
              std::to_string(std::max(2, r.trials / 5)) + " residual degrees of freedom): each parameter is analysed "
              "alone instead, so effects of parameters that varied together overlap.");
  if (r.no_signal)
    return h + absent("Over " + std::to_string(r.trials) + " complete trials, no parameter explains more of the "
                      "objective's variance than noise would (every share is 0), so there is no ranking to show.") +
           table.html("importance-table");

  nlohmann::json cfg = base_chart_config("bar", 1);
  nlohmann::json labels = nlohmann::json::array(), values = nlohmann::json::array(), extra = nlohmann::json::array();
  for (const ParamImportance& p : r.params) {
    labels.push_back(p.name);
    values.push_back(chart_number(100.0 * p.importance));
    extra.push_back("(main effect: " + percent(p.variance_share, 1) + " of the variance)");
  }
  cfg["data"]["labels"] = labels;
  cfg["data"]["datasets"].push_back({{"label", "importance (%)"},
                                     {"data", values},
                                     {"backgroundColor", rgba(palette::kBlue, 0.75)},
                                     {"borderColor", palette::kBlue},
                                     {"borderWidth", 1}});
  cfg["gd"]["tooltipExtra"] = nlohmann::json::array({extra});
  cfg["options"]["indexAxis"] = "y";
  cfg["options"]["interaction"] = {{"mode", "nearest"}, {"axis", "y"}, {"intersect", false}};
  cfg["options"]["plugins"]["legend"] = {{"display", false}};
  cfg["options"]["scales"]["x"] = {{"title", axis_title("importance (% of the explained variance)")},
                                   {"beginAtZero", true},
                                   {"suggestedMax", 100},
                                   {"grid", {{"color", "#eef0f3"}}}};
  cfg["options"]["scales"]["y"] = {{"grid", {{"display", false}}}, {"ticks", {{"autoSkip", false}}}};
  const int height = 60 + 30 * static_cast<int>(r.params.size());
  std::string caption = "Over " + std::to_string(r.trials) + " complete trials. Together the parameters' main "
                        "effects account for " + percent(r.explained, 1) + " of the objective's variance";
  caption += r.explained > 1.0 ? " (over 100%: parameters varied together, so their effects overlap)."
                               : "; the rest is interactions and noise.";
  return h + study_figure(doc, "parameter-importance", cfg, height, caption) + table.html("importance-table");
}

}  // namespace gd::report
