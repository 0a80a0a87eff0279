// Generic blocks of the workflow report (workflow_report_parts.h): number tables, the decision
// box, the file list and multi-curve charts.
#include <cmath>
#include <cstdio>

#include "engine/report/html_escape.h"
#include "engine/report/html_fragments.h"
#include "engine/report/html_table.h"
#include "engine/workflow/workflow_report_parts.h"

namespace gd::workflow::parts {

std::string cell_text(const nlohmann::json& v, Format f) {
  if (v.is_null()) return "n/a";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (!v.is_number()) return v.dump();
  const double d = v.get<double>();
  if (!std::isfinite(d)) return "n/a";
  char b[48];
  switch (f) {
    case Format::Integer:
      return report::grouped(static_cast<long long>(std::llround(d)));
    case Format::Percent:
      return report::percent(d, 2);
    case Format::Points:
      std::snprintf(b, sizeof b, "%+.2f pp", 100.0 * d);
      return b;
    case Format::Fixed:
      return report::fixed(d, 4);
    case Format::Scientific:
      std::snprintf(b, sizeof b, "%.3g", d);
      return b;
    case Format::Seconds:
      return report::fixed(d, 1);
    case Format::Text:
      break;
  }
  return v.is_number_integer() || v.is_number_unsigned() ? std::to_string(v.get<long long>()) : report::fixed(d, 4);
}

std::string number_table(const NumberTable& t, const std::string& id) {
  std::vector<report::HtmlTable::Column> cols;
  for (const auto& [name, f] : t.columns)
    cols.push_back({name, f == Format::Text ? report::HtmlTable::Align::Left : report::HtmlTable::Align::Right, false});
  report::HtmlTable table(cols);
  for (const auto& row : t.rows) {
    std::vector<std::string> cells;
    for (size_t i = 0; i < row.size(); ++i) cells.push_back(cell_text(row[i], t.columns[i].second));
    table.add_row(cells);
  }
  return table.html(id);
}

std::string decision_box(const std::string& text) {
  return "<div class=\"decision\" style=\"background:#eff6ff;border:1px solid #bfdbfe;border-left:4px solid #2563eb;"
         "border-radius:6px;padding:8px 12px;margin:12px 0;max-width:95ch\"><strong>Decision.</strong> " +
         report::html_escape(text) + "</div>\n";
}

std::string artefact_list(const std::vector<Artefact>& artefacts) {
  if (artefacts.empty()) return "";
  std::string h = "<details><summary>Files of this step</summary>\n<ul>\n";
  for (const Artefact& a : artefacts)
    h += "<li>" + report::html_escape(a.label) + ": <code>" + report::html_escape(a.path) + "</code></li>\n";
  return h + "</ul>\n</details>\n";
}

std::vector<double> as_percent(std::vector<double> v) {
  for (double& x : v) x *= 100.0;
  return v;
}

const char* series_color(size_t i) {
  static const char* colors[] = {report::palette::kBlue,   report::palette::kOrange, report::palette::kGreen,
                                 report::palette::kPurple, report::palette::kRed,    report::palette::kGrey};
  return colors[i % 6];
}

std::string curves_chart(report::HtmlDocument& doc, const std::string& id_hint, const std::vector<CurveLine>& lines,
                         const std::string& y_title, bool percent, const std::string& caption,
                         std::vector<report::ChartMarker> markers, bool log_y) {
  size_t epochs = 0;
  for (const CurveLine& l : lines) epochs = std::max(epochs, l.history->records().size());
  report::ChartSpec s;
  s.kind = report::ChartSpec::Kind::Line;
  for (size_t e = 1; e <= epochs; ++e) s.categories.push_back(std::to_string(e));
  for (const CurveLine& l : lines) {
    std::vector<double> v(epochs, NAN);
    const auto& recs = l.history->records();
    for (size_t i = 0; i < recs.size(); ++i) v[i] = recs[i].*(l.field);
    if (percent) v = as_percent(std::move(v));
    report::ChartSeries series = report::ChartSeries::line(l.label, v, l.color, l.dashed);
    series.point_radius = l.point_radius;
    s.series.push_back(series);
  }
  s.x_title = "epoch";
  s.y_title = percent ? y_title + " (%)" : y_title;
  s.y_log = log_y;
  s.tooltip_digits = percent ? 2 : 4;
  s.caption = caption;
  s.markers = std::move(markers);
  return report::add_chart(doc, id_hint, s);
}

}  // namespace gd::workflow::parts
