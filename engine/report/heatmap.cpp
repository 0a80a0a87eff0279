// HTML heatmaps and the confusion matrix (see heatmap.h).
#include "engine/report/heatmap.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/core/error.h"
#include "engine/report/html_escape.h"
#include "engine/report/html_fragments.h"

namespace gd::report {

std::string heatmap_color(double intensity, bool accent) {
  const double t = std::clamp(std::isnan(intensity) ? 0.0 : intensity, 0.0, 1.0);
  // Ramps from white to a saturated blue (accent) or red.
  const double end[3] = {accent ? 29.0 : 200.0, accent ? 78.0 : 30.0, accent ? 216.0 : 30.0};
  int rgb[3];
  for (int k = 0; k < 3; ++k) rgb[k] = static_cast<int>(std::lround(255.0 + (end[k] - 255.0) * t));
  char buf[48];
  std::snprintf(buf, sizeof buf, "rgb(%d,%d,%d)", rgb[0], rgb[1], rgb[2]);
  return buf;
}

std::string heatmap_table(const HeatmapSpec& s) {
  const size_t rows = s.row_labels.size(), cols = s.col_labels.size();
  GD_CHECK_SHAPE(s.cells.size() == rows, "heatmap '" << s.id << "': " << s.cells.size() << " rows of cells for "
                                                     << rows << " row labels");
  for (const auto& r : s.cells)
    GD_CHECK_SHAPE(r.size() == cols, "heatmap '" << s.id << "': a row has " << r.size() << " cells for " << cols
                                                 << " column labels");
  const bool row_totals = !s.totals_header.empty(), col_totals = !s.col_totals_label.empty();
  GD_CHECK_SHAPE(!row_totals || s.row_totals.size() == rows,
                 "heatmap '" << s.id << "': " << s.row_totals.size() << " row totals for " << rows << " rows");
  GD_CHECK_SHAPE(!col_totals || s.col_totals.size() == cols,
                 "heatmap '" << s.id << "': " << s.col_totals.size() << " column totals for " << cols << " columns");

  std::string h = "<div class=\"table-wrap\"><table class=\"heatmap\" id=\"" + html_escape(s.id) +
                  "\" data-gd-region>\n";
  // Column axis caption above the column labels.
  h += "<thead><tr><th></th><th class=\"axis\" colspan=\"" + std::to_string(cols) + "\">" +
       html_escape(s.col_axis) + " &rarr;</th>" + (row_totals ? "<th></th>" : "") + "</tr>\n<tr><th class=\"axis row-label\">" +
       html_escape(s.row_axis) + " &darr;</th>";
  for (const std::string& c : s.col_labels) h += "<th scope=\"col\">" + html_escape(c) + "</th>";
  if (row_totals) h += "<th scope=\"col\" class=\"axis\">" + html_escape(s.totals_header) + "</th>";
  h += "</tr></thead>\n<tbody>\n";
  for (size_t r = 0; r < rows; ++r) {
    h += "<tr><th scope=\"row\" class=\"row-label\">" + html_escape(s.row_labels[r]) + "</th>";
    for (size_t c = 0; c < cols; ++c) {
      const HeatmapCell& cell = s.cells[r][c];
      const double t = std::clamp(std::isnan(cell.intensity) ? 0.0 : cell.intensity, 0.0, 1.0);
      h += "<td class=\"cell\" style=\"background:" + heatmap_color(t, cell.accent) +
           (t > 0.55 ? ";color:#fff" : "") + "\"";
      if (!cell.tooltip.empty()) h += " title=\"" + html_escape(cell.tooltip) + "\"";
      h += ">" + html_escape(cell.text) + "</td>";
    }
    if (row_totals) h += "<td class=\"total\">" + html_escape(s.row_totals[r]) + "</td>";
    h += "</tr>\n";
  }
  if (col_totals) {
    h += "<tr><th scope=\"row\" class=\"row-label axis\">" + html_escape(s.col_totals_label) + "</th>";
    for (const std::string& t : s.col_totals) h += "<td class=\"total\">" + html_escape(t) + "</td>";
    if (row_totals) h += "<td></td>";
    h += "</tr>\n";
  }
  h += "</tbody></table></div>\n";
  return h;
}

std::string confusion_matrix_heatmap(const ClassificationReport& r, const std::string& id) {
  const int C = r.num_classes;
  GD_CHECK_SHAPE(static_cast<int>(r.confusion.size()) == C && static_cast<int>(r.class_names.size()) == C &&
                     static_cast<int>(r.per_class.size()) == C,
                 "confusion_matrix_heatmap: inconsistent report for " << C << " classes");
  std::vector<int64_t> col_sum(static_cast<size_t>(C), 0);
  double max_off_share = 0.0;
  for (int t = 0; t < C; ++t) {
    const int64_t support = r.per_class[t].support;
    for (int p = 0; p < C; ++p) {
      col_sum[p] += r.confusion[t][p];
      if (t != p && support > 0)
        max_off_share = std::max(max_off_share, static_cast<double>(r.confusion[t][p]) / static_cast<double>(support));
    }
  }
  HeatmapSpec s;
  s.id = id;
  s.row_axis = "true label";
  s.col_axis = "predicted label";
  s.row_labels = r.class_names;
  s.col_labels = r.class_names;
  s.totals_header = "support";
  s.col_totals_label = "predicted";
  s.cells.assign(static_cast<size_t>(C), std::vector<HeatmapCell>(static_cast<size_t>(C)));
  for (int t = 0; t < C; ++t) {
    const int64_t support = r.per_class[t].support;
    s.row_totals.push_back(grouped(support));
    for (int p = 0; p < C; ++p) {
      const int64_t n = r.confusion[t][p];
      const double share = support > 0 ? static_cast<double>(n) / static_cast<double>(support) : 0.0;
      HeatmapCell& cell = s.cells[t][p];
      cell.accent = t == p;
      cell.intensity = t == p ? share : (max_off_share > 0 ? std::sqrt(share / max_off_share) : 0.0);
      cell.text = std::to_string(n);
      cell.tooltip = "true " + r.class_names[t] + ", predicted " + r.class_names[p] + ": " + std::to_string(n) +
                     " (" + percent(share, 1) + " of true " + r.class_names[t] + ")";
    }
  }
  for (int p = 0; p < C; ++p) s.col_totals.push_back(grouped(col_sum[p]));
  return heatmap_table(s);
}

}  // namespace gd::report
