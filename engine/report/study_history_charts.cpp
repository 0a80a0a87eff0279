// Optimisation history and intermediate-value charts of the study report (see study_history_charts.h).
#include "engine/report/study_history_charts.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "engine/report/chart.h"
#include "engine/report/html_fragments.h"
#include "engine/report/study_chart_style.h"

namespace gd::report {
namespace {

using nlohmann::json;

// Indices of the records in trial-number order.
std::vector<size_t> by_number(const std::vector<tune::TrialRecord>& records) {
  std::vector<size_t> order(records.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return records[a].trial.number < records[b].trial.number; });
  return order;
}

json point(double x, double y) { return json::array({chart_number(x), chart_number(y)}); }

json scatter_dataset(const std::string& label, const std::string& color, bool hollow) {
  return {{"type", "scatter"},
          {"label", label},
          {"data", json::array()},
          {"borderColor", color},
          {"backgroundColor", hollow ? std::string("#ffffff") : rgba(color, 0.8)},
          {"borderWidth", hollow ? 1.5 : 1.0},
          {"pointRadius", 3.5},
          {"pointHoverRadius", 6}};
}

std::string trial_text(int number) { return "(trial " + std::to_string(number) + ")"; }

}  // namespace

std::string optimization_history_html(HtmlDocument& doc, const std::vector<tune::TrialRecord>& records,
                                      const StudySummary& s) {
  const StudyObjective& obj = s.objective;
  std::string h = note("Each finished trial's " + obj.metric_label() + " by trial number (the order trials were "
                       "created), with the best value so far among complete trials as a step line. Pruned and paused "
                       "trials show the last value they reported, after fewer epochs than a complete trial.");
  const std::vector<size_t> order = by_number(records);
  bool any = false;
  for (size_t i : order) {
    const tune::Trial& t = records[i].trial;
    any = any || (t.state != tune::TrialState::Failed && t.state != tune::TrialState::Running && t.value &&
                  std::isfinite(*t.value));
  }
  if (!any) return h + absent("Not enough trials: no trial has finished with a value yet.");

  json cfg = base_chart_config("scatter", obj.percent ? 2 : 4);
  json& datasets = cfg["data"]["datasets"];
  json extras = json::array();
  // Dataset 0 (drawn on top): the best value so far, a step that holds until the next improvement.
  json best = {{"type", "line"},     {"label", "best so far"}, {"data", json::array()}, {"borderColor", palette::kRed},
               {"backgroundColor", palette::kRed}, {"borderWidth", 2}, {"pointRadius", 0}, {"pointHitRadius", 4},
               {"stepped", "before"}, {"fill", false}};
  json best_extra = json::array();
  std::map<std::string, size_t> sampler_index;
  for (size_t k = 0; k < s.samplers.size(); ++k) sampler_index[s.samplers[k].first] = k;
  std::vector<json> per_sampler(s.samplers.size()), per_sampler_extra(s.samplers.size(), json::array());
  for (size_t k = 0; k < s.samplers.size(); ++k) {
    const std::string label = s.samplers.size() > 1 ? "complete: " + s.samplers[k].first : "complete";
    per_sampler[k] = scatter_dataset(label, sampler_color(k), false);
  }
  json stopped = scatter_dataset("pruned / paused (last reported value)", palette::kOrange, true);
  json stopped_extra = json::array();
  double best_value = std::nan("");
  int counted_failed = 0, counted_running = 0;
  for (size_t i : order) {
    const tune::Trial& t = records[i].trial;
    const bool has_value = t.value && std::isfinite(*t.value);
    if (t.state == tune::TrialState::Failed) ++counted_failed;
    if (t.state == tune::TrialState::Running) ++counted_running;
    if (!has_value || t.state == tune::TrialState::Failed || t.state == tune::TrialState::Running) continue;
    const double y = obj.display(*t.value);
    if (t.state == tune::TrialState::Complete) {
      const size_t k = sampler_index.at(sampler_label(t));
      per_sampler[k]["data"].push_back(point(t.number, y));
      per_sampler_extra[k].push_back(trial_text(t.number));
      if (std::isnan(best_value) || tune::better(s.objective.maximize ? tune::Direction::Maximize : tune::Direction::Minimize,
                                                 *t.value, best_value))
        best_value = *t.value;
      best["data"].push_back(point(t.number, obj.display(best_value)));
      best_extra.push_back("(after trial " + std::to_string(t.number) + ")");
    } else {
      stopped["data"].push_back(point(t.number, y));
      stopped_extra.push_back(trial_text(t.number) + " " + to_string(trial_status(t)) + " after epoch " +
                              std::to_string(trial_epochs(t)));
    }
  }
  // The step line continues to the last trial, so the plateau after the last improvement shows.
  if (!best["data"].empty() && !order.empty()) {
    const int last = records[order.back()].trial.number;
    if (best["data"].back()[0].get<double>() < last) {
      best["data"].push_back(point(last, obj.display(best_value)));
      best_extra.push_back("(after trial " + std::to_string(last) + ")");
    }
  }
  if (!best["data"].empty()) {
    datasets.push_back(best);
    extras.push_back(best_extra);
  }
  for (size_t k = 0; k < per_sampler.size(); ++k)
    if (!per_sampler[k]["data"].empty()) {
      datasets.push_back(per_sampler[k]);
      extras.push_back(per_sampler_extra[k]);
    }
  if (!stopped["data"].empty()) {
    datasets.push_back(stopped);
    extras.push_back(stopped_extra);
  }
  cfg["gd"]["tooltipExtra"] = extras;
  cfg["options"]["scales"]["x"] = {{"type", "linear"}, {"title", axis_title("trial number")},
                                   {"ticks", {{"precision", 0}}}, {"grid", {{"color", "#f3f4f6"}}}};
  cfg["options"]["scales"]["y"] = {{"title", axis_title(obj.axis_title())}, {"grid", {{"color", "#eef0f3"}}}};
  std::string caption = std::string(obj.maximize ? "Higher" : "Lower") + " is better.";
  if (counted_failed > 0) caption += " " + std::to_string(counted_failed) + " failed trial(s) have no value (see Failed trials).";
  if (counted_running > 0) caption += " " + std::to_string(counted_running) + " running trial(s) are not shown.";
  return h + study_figure(doc, "optimization-history", cfg, 340, caption);
}

std::string intermediate_values_html(HtmlDocument& doc, const std::vector<tune::TrialRecord>& records,
                                     const StudySummary& s) {
  const StudyObjective& obj = s.objective;
  std::string h = note("The " + obj.metric_label() + " each trial reported after every epoch. Pruned trials end with "
                       "a cross where the pruner stopped them, trials paused at an ASHA rung with a diamond (they may be "
                       "resumed later), failed trials with a triangle; the best trial is drawn thick on top.");
  std::vector<size_t> with_curve;
  for (size_t i = 0; i < records.size(); ++i)
    if (!records[i].trial.intermediate.empty()) with_curve.push_back(i);
  if (with_curve.empty()) return h + absent("Not enough trials: no trial has reported an intermediate value yet.");

  // Drawing order: index 0 is drawn last (on top): the best trial, then stopped trials, then the rest.
  auto rank = [&](size_t i) {
    if (s.best && *s.best == i) return 0;
    switch (trial_status(records[i].trial)) {
      case TrialStatus::Pruned: return 1;
      case TrialStatus::Paused: return 2;
      case TrialStatus::Failed: return 3;
      case TrialStatus::Complete: return 4;
      case TrialStatus::Running: return 5;
    }
    return 6;
  };
  std::stable_sort(with_curve.begin(), with_curve.end(), [&](size_t a, size_t b) { return rank(a) < rank(b); });

  json cfg = base_chart_config("line", obj.percent ? 2 : 4);
  json& datasets = cfg["data"]["datasets"];
  json extras = json::array();
  struct Marker {
    const char* label;
    const char* style;
    TrialStatus status;
    json data = json::array(), extra = json::array();
  };
  Marker markers[] = {{"pruned here", "crossRot", TrialStatus::Pruned},
                      {"paused here (ASHA rung)", "rectRot", TrialStatus::Paused},
                      {"failed here", "triangle", TrialStatus::Failed}};
  std::map<int, int> rung_epoch;  // ASHA rung -> epoch, from the trials paused there
  int max_epoch = 1;
  const double alpha = line_alpha(with_curve.size(), 0.6);
  for (size_t i : with_curve) {
    const tune::Trial& t = records[i].trial;
    const TrialStatus st = trial_status(t);
    const bool is_best = s.best && *s.best == i;
    json data = json::array();
    for (const auto& [step, v] : t.intermediate) {
      data.push_back(point(step, obj.display(v)));
      max_epoch = std::max(max_epoch, step);
    }
    const std::string color = is_best ? palette::kRed : status_color(st);
    datasets.push_back({{"label", "trial " + std::to_string(t.number) + " (" + to_string(st) + ")"},
                        {"data", std::move(data)},
                        {"borderColor", is_best ? color : rgba(color, alpha)},
                        {"backgroundColor", color},
                        {"borderWidth", is_best ? 3.0 : 1.25}});
    extras.push_back(json::array());
    for (Marker& m : markers)
      if (m.status == st) {
        const auto& [step, v] = t.intermediate.back();
        m.data.push_back(point(step, obj.display(v)));
        m.extra.push_back(trial_text(t.number) + " after epoch " + std::to_string(step));
      }
    if (st == TrialStatus::Paused && t.attrs.contains("asha") && t.attrs["asha"].is_object()) {
      const json& rung = t.attrs["asha"].value("rung", json());
      if (rung.is_number_integer()) rung_epoch[rung.get<int>()] = t.intermediate.back().first;
    }
  }
  // Marker datasets go first, so they are drawn over the lines.
  json marker_sets = json::array(), marker_extras = json::array();
  for (Marker& m : markers) {
    if (m.data.empty()) continue;
    marker_sets.push_back({{"type", "scatter"},
                           {"label", m.label},
                           {"data", m.data},
                           {"pointStyle", m.style},
                           {"pointRadius", 6},
                           {"pointHoverRadius", 8},
                           {"borderWidth", 2},
                           {"borderColor", status_color(m.status)},
                           {"backgroundColor", rgba(status_color(m.status), 0.35)}});
    marker_extras.push_back(m.extra);
  }
  for (size_t k = 0; k < datasets.size(); ++k) {
    marker_sets.push_back(datasets[k]);
    marker_extras.push_back(extras[k]);
  }
  cfg["data"]["datasets"] = marker_sets;
  cfg["gd"]["tooltipExtra"] = marker_extras;
  cfg["options"]["elements"] = {{"point", {{"radius", 0}, {"hitRadius", 4}}}, {"line", {{"tension", 0}, {"fill", false}}}};
  cfg["options"]["plugins"]["legend"] = {{"display", false}};
  int x_max = std::max(max_epoch, obj.max_epochs);
  cfg["options"]["scales"]["x"] = {{"type", "linear"},       {"title", axis_title("epoch")},
                                   {"min", 1},                {"max", std::max(2, x_max)},
                                   {"ticks", {{"precision", 0}}}, {"grid", {{"color", "#f3f4f6"}}}};
  cfg["options"]["scales"]["y"] = {{"title", axis_title(obj.axis_title())}, {"grid", {{"color", "#eef0f3"}}}};
  for (const auto& [rung, epoch] : rung_epoch)
    cfg["options"]["plugins"]["gdMarkers"]["lines"].push_back(
        {{"x", epoch}, {"label", "ASHA rung " + std::to_string(rung)}, {"color", palette::kPurple},
         {"dash", {4, 4}}, {"row", 0}});

  std::vector<std::pair<std::string, std::string>> legend = {{palette::kRed, "best trial"}};
  int counts[5] = {0, 0, 0, 0, 0};
  for (size_t i : with_curve) ++counts[static_cast<int>(trial_status(records[i].trial))];
  for (TrialStatus st : {TrialStatus::Complete, TrialStatus::Pruned, TrialStatus::Paused, TrialStatus::Failed,
                         TrialStatus::Running})
    if (counts[static_cast<int>(st)] > 0)
      legend.emplace_back(status_color(st), std::string(to_string(st)) + " (" + std::to_string(counts[static_cast<int>(st)]) + ")");
  const std::string caption = std::to_string(with_curve.size()) + " trial(s) with per-epoch values" +
                              (obj.max_epochs > 0 ? "; epoch cap " + std::to_string(obj.max_epochs) : std::string()) + ".";
  return h + study_figure(doc, "intermediate-values", cfg, 360, caption) + swatch_legend(legend);
}

}  // namespace gd::report
