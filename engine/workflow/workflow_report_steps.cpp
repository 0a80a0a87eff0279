// Step-specific parts of the workflow report for steps 1-5 (workflow_report_parts.h): the class
// histogram, the baseline's learning curves, the overfitting curves, the regularisation
// comparison and the tuning study.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/report/html_escape.h"
#include "engine/report/html_fragments.h"
#include "engine/report/html_table.h"
#include "engine/report/learning_curves.h"
#include "engine/workflow/workflow_report_parts.h"

namespace gd::workflow::parts {
namespace {

using report::ChartMarker;
using report::ChartSeries;
using report::ChartSpec;
namespace palette = report::palette;

double num(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN;
}

std::string value_text(const nlohmann::json& v) {
  if (v.is_number_float()) {
    char b[32];
    std::snprintf(b, sizeof b, "%.4g", v.get<double>());
    return b;
  }
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

std::string problem_part(report::HtmlDocument& doc, const StepResult& s) {
  const nlohmann::json& d = s.details;
  const auto names = d.at("class_names").get<std::vector<std::string>>();
  const auto train = d.at("train_histogram").get<std::vector<double>>();
  const auto val = d.at("val_histogram").get<std::vector<double>>();
  ChartSpec c;
  c.kind = ChartSpec::Kind::Bar;
  for (size_t i = 0; i < train.size(); ++i) c.categories.push_back(i < names.size() ? names[i] : std::to_string(i));
  c.series = {ChartSeries::bar("training", train, palette::kBlue),
              ChartSeries::bar("validation", val, palette::kOrange)};
  c.x_title = "class";
  c.y_title = "images";
  c.y_min = 0;
  c.tooltip_digits = 0;
  c.caption =
      "Images per class in the training and validation splits (the validation split is stratified, so its "
      "class shares follow the training file's). The test split's labels are not looked at before the final step.";
  report::HtmlTable facts(std::vector<std::string>{"property", "value"});
  facts.add_row({"dataset", d.at("dataset").get<std::string>()});
  facts.add_row({"images", std::to_string(d.at("channels").get<int>()) + " channel(s), " +
                               std::to_string(d.at("height").get<int>()) + " x " +
                               std::to_string(d.at("width").get<int>()) + " pixels"});
  facts.add_row({"classes", std::to_string(d.at("classes").get<int>())});
  facts.add_row({"training file", report::grouped(d.at("train_file_samples").get<long long>()) + " images"});
  facts.add_row({"pixel mean / std (training file, [0,1] scale)",
                 report::fixed(num(d, "pixel_mean")) + " / " + report::fixed(num(d, "pixel_std"))});
  facts.add_row({"metric", "accuracy on the validation split (loss for the curves)"});
  facts.add_row({"validation protocol", "fixed stratified hold-out of " + report::percent(num(d, "val_split"), 0) +
                                            " of the training file, seed " +
                                            std::to_string(d.at("val_seed").get<uint64_t>())});
  facts.add_row({"test protocol", "evaluated once, in the final step"});
  return report::grid2(report::add_chart(doc, "class-histogram", c), facts.html("problem-facts"));
}

std::string baseline_part(report::HtmlDocument& doc, const StepResult& s) {
  if (s.curves.empty()) return "";
  return report::subheading("Softmax regression: learning curves") +
         report::learning_curves(doc, s.curves.front().history, "val_loss", 0);
}

std::string overfit_part(report::HtmlDocument& doc, const StepResult& s) {
  const nlohmann::json& caps = s.details.at("capacities");
  const int chosen = s.details.at("chosen_index").get<int>();
  std::vector<CurveLine> val_lines, train_lines, acc_lines;
  for (size_t i = 0; i < s.curves.size(); ++i) {
    const History* h = &s.curves[i].history;
    val_lines.push_back({s.curves[i].label, h, &EpochRecord::val_loss, series_color(i), false});
    train_lines.push_back({s.curves[i].label, h, &EpochRecord::train_loss, series_color(i), true, 0.0});
    acc_lines.push_back({s.curves[i].label, h, &EpochRecord::val_accuracy, series_color(i), false});
  }
  std::vector<ChartMarker> markers;
  if (chosen >= 0 && static_cast<size_t>(chosen) < caps.size()) {
    const nlohmann::json& a = caps[static_cast<size_t>(chosen)].at("analysis");
    const std::string label = caps[static_cast<size_t>(chosen)].at("label").get<std::string>();
    const int best = a.at("best_epoch").get<int>(), confirmed = a.at("confirmed_epoch").get<int>();
    if (best > 0)
      markers.push_back({static_cast<double>(best - 1),
                         label + ": lowest smoothed val loss (epoch " + std::to_string(best) + ")", palette::kGreen,
                         true, 0});
    if (confirmed > 0)
      markers.push_back({static_cast<double>(confirmed - 1), "turn confirmed (epoch " + std::to_string(confirmed) + ")",
                         palette::kRed, true, 1});
  }
  return report::grid2(curves_chart(doc, "overfit-val-loss", val_lines, "validation loss", false,
                                    "Validation loss per epoch of every capacity (unsmoothed); the markers belong to "
                                    "the chosen capacity. Overfitting: after its minimum the curve turns up.",
                                    markers),
                       curves_chart(doc, "overfit-train-loss", train_lines, "training loss", false,
                                    "Training loss per epoch, logarithmic axis: it keeps falling towards zero while "
                                    "the validation loss turns up.",
                                    {}, /*log_y=*/true)) +
         curves_chart(doc, "overfit-accuracy", acc_lines, "validation accuracy", true,
                      "Validation accuracy per epoch of every capacity.");
}

std::string regularise_part(report::HtmlDocument& doc, const StepResult& s) {
  std::vector<CurveLine> loss_lines, acc_lines;
  for (size_t i = 0; i < s.curves.size(); ++i) {
    const History* h = &s.curves[i].history;
    const bool reference = i == 0;  // "none", the unregularised model
    const std::string color = reference ? palette::kGrey : series_color(i - 1);
    loss_lines.push_back({s.curves[i].label, h, &EpochRecord::val_loss, color, reference});
    acc_lines.push_back({s.curves[i].label, h, &EpochRecord::val_accuracy, color, reference});
  }
  return report::grid2(curves_chart(doc, "regularise-loss", loss_lines, "validation loss", false,
                                    "Validation loss per epoch of each variant; grey dashed: no regularisation."),
                       curves_chart(doc, "regularise-accuracy", acc_lines, "validation accuracy", true,
                                    "Validation accuracy per epoch of each variant; grey dashed: no regularisation."));
}

std::string tune_part(report::HtmlDocument& doc, const StepResult& s) {
  const nlohmann::json& trials = s.details.at("trials");
  // The study's best trial (the tuned configuration may instead be the regularised model itself).
  const nlohmann::json& best_trial =
      s.details.contains("best_trial") ? s.details.at("best_trial") : s.details.at("best");
  const int best = best_trial.at("number").get<int>();
  const double regularised = num(s.details, "regularised_val_accuracy");
  // Objective per trial, with the best value so far.
  ChartSpec c;
  c.kind = ChartSpec::Kind::Bar;
  std::vector<double> value, best_so_far;
  std::vector<std::string> note_text;
  double running = NAN, lowest = 1.0;
  for (const nlohmann::json& t : trials) {
    c.categories.push_back("trial " + std::to_string(t.at("number").get<int>()));
    const double v = num(t, "value");
    const bool complete = t.at("state").get<std::string>() == "complete";
    value.push_back(complete ? v : NAN);
    if (complete && std::isfinite(v)) {
      running = std::isfinite(running) ? std::max(running, v) : v;
      lowest = std::min(lowest, v);
    }
    best_so_far.push_back(running);
    note_text.push_back("(" + t.at("state").get<std::string>() + ", " + t.at("proposer").get<std::string>() + ")");
  }
  c.series = {ChartSeries::bar("validation accuracy", as_percent(value), palette::kBlue),
              ChartSeries::line("best so far", as_percent(best_so_far), palette::kGreen)};
  if (std::isfinite(regularised)) {
    c.series.push_back(ChartSeries::line("regularised model (step 4)",
                                         std::vector<double>(value.size(), 100.0 * regularised), palette::kGrey, true));
    c.series.back().point_radius = 0;
    lowest = std::min(lowest, regularised);
  }
  c.series[0].tooltip_extra = note_text;
  c.y_title = "validation accuracy (%)";
  c.y_max = 100.0;
  c.y_min = std::max(0.0, std::floor(lowest * 100.0) - 1.0);
  c.x_title = "trial (in the order they ran)";
  c.tooltip_digits = 2;
  c.caption =
      "Objective (validation accuracy of the last epoch) of every trial; trial 0 is the regularised "
      "configuration, the grey dashed line the regularised model's own accuracy in step 4. The axis starts at " +
      report::fixed(c.y_min, 0) + "%.";
  // Learning curves: the regularised model (trial 0), the best trial, the others in grey.
  std::vector<CurveLine> lines;
  for (const NamedCurve& nc : s.curves) {
    const bool is_best = nc.label == "trial " + std::to_string(best), is_seed = nc.label == "trial 0";
    if (is_best || is_seed) continue;
    lines.push_back({nc.label, &nc.history, &EpochRecord::val_accuracy, "#b8bec8", false, 0.0});
  }
  for (const NamedCurve& nc : s.curves) {
    if (nc.label == "trial 0")
      lines.push_back({"trial 0 (regularised model)", &nc.history, &EpochRecord::val_accuracy, palette::kBlue, false});
    if (nc.label == "trial " + std::to_string(best) && best != 0)
      lines.push_back({nc.label + " (best trial)", &nc.history, &EpochRecord::val_accuracy, palette::kGreen, false});
  }
  std::string h = report::grid2(report::add_chart(doc, "tune-trials", c),
                                lines.empty() ? report::absent("No trial histories were found.")
                                              : curves_chart(doc, "tune-curves", lines, "validation accuracy", true,
                                                             "Validation accuracy per epoch of the completed trials."));
  // The search space with the regularised model's and the tuned configuration's values.
  const nlohmann::json& seed = s.details.at("seed_params");
  const nlohmann::json& best_params = s.details.at("best").at("params");
  report::HtmlTable space(
      std::vector<std::string>{"parameter", "search range", "regularised model (trial 0)", "tuned configuration"});
  for (const nlohmann::json& p : s.details.at("space").at("params")) {
    const std::string name = p.at("name").get<std::string>(), type = p.at("type").get<std::string>();
    std::string range;
    if (type == "fixed")
      range = "fixed";
    else if (p.contains("low"))
      range = "[" + value_text(p["low"]) + ", " + value_text(p["high"]) + "]" + (p.value("log", false) ? " log" : "") +
              " (" + type + ")";
    else
      range = type;
    space.add_row({name, range, seed.contains(name) ? value_text(seed[name]) : "n/a",
                   best_params.contains(name) ? value_text(best_params[name]) : "n/a"});
  }
  h += report::subheading("Search space") + space.html("tune-space");
  const std::string seed_note = s.details.value("seed_note", std::string());
  if (!seed_note.empty()) h += report::note("Trial 0: " + seed_note + ".");
  return h;
}

}  // namespace gd::workflow::parts
