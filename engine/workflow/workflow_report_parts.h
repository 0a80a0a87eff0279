#pragma once
// Internal to the workflow report (workflow_report*.cpp): the generic blocks every step section
// uses and the step-specific parts. Text arguments are plain text (escaped here); the results are
// trusted HTML fragments for HtmlDocument::add_section.
#include <string>
#include <vector>

#include "engine/report/chart.h"
#include "engine/report/html_document.h"
#include "engine/workflow/step_result.h"

namespace gd::workflow::parts {

// A table cell as text: numbers formatted by `f`, null as "n/a", strings as they are.
std::string cell_text(const nlohmann::json& v, Format f);
// The step's number table (right-aligned numeric columns).
std::string number_table(const NumberTable& t, const std::string& id = "");
// The highlighted decision paragraph.
std::string decision_box(const std::string& text);
// A collapsible list of the step's files.
std::string artefact_list(const std::vector<Artefact>& artefacts);

// One line of a chart over epochs 1..longest (shorter histories end early): the quantity `field`
// (e.g. &EpochRecord::val_loss) of every epoch of `history`. With `percent`, the values are
// fractions and are plotted as percentages (as_percent).
struct CurveLine {
  std::string label;
  const History* history = nullptr;
  double EpochRecord::*field = &EpochRecord::val_loss;
  std::string color = report::palette::kBlue;
  bool dashed = false;
  double point_radius = 2.0;
};
std::string curves_chart(report::HtmlDocument& doc, const std::string& id_hint, const std::vector<CurveLine>& lines,
                         const std::string& y_title, bool percent, const std::string& caption,
                         std::vector<report::ChartMarker> markers = {}, bool log_y = false);
// Fractions as percentages (x 100, NaN stays NaN). Accuracy charts of this report plot percent
// units on a plain axis: the report framework's percent axes label ticks without decimals, which
// repeats labels when accuracies differ by tenths of a point (98.5% and 99.0% both read "99%").
std::vector<double> as_percent(std::vector<double> v);

// Colour of series i of a comparison (cycles through the palette).
const char* series_color(size_t i);

// Step-specific parts (charts and extra tables); each returns a fragment placed between the
// number table and the decision.
std::string problem_part(report::HtmlDocument& doc, const StepResult& s);
std::string baseline_part(report::HtmlDocument& doc, const StepResult& s);
std::string overfit_part(report::HtmlDocument& doc, const StepResult& s);
std::string regularise_part(report::HtmlDocument& doc, const StepResult& s);
std::string tune_part(report::HtmlDocument& doc, const StepResult& s);
std::string final_part(report::HtmlDocument& doc, const StepResult& s);

}  // namespace gd::workflow::parts
