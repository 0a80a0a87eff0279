#pragma once
// Charts for reports, drawn in the browser by Chart.js 3 from a JSON configuration: line charts
// (learning curves), bar charts (per-class metrics) and mixed bar + line charts (reliability
// diagrams). A ChartSpec is turned into a Chart.js configuration (chart_config) and registered
// in an HtmlDocument, which returns the <figure> fragment holding the canvas.
//
// x is categorical (one label per point: epochs, class names, bins); a value of NaN is a gap in a
// line / a missing bar (null in the configuration). Vertical markers (e.g. the best epoch) are
// drawn by the gdMarkers plugin of the boot script at a category index.
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/report/html_document.h"

namespace gd::report {

// A small qualitative palette that stays distinguishable in print and for common colour-vision
// deficiencies (blue, orange, green, purple, red, grey).
namespace palette {
inline constexpr const char* kBlue = "#2563eb";
inline constexpr const char* kOrange = "#ea7a0c";
inline constexpr const char* kGreen = "#15803d";
inline constexpr const char* kPurple = "#7c3aed";
inline constexpr const char* kRed = "#dc2626";
inline constexpr const char* kGrey = "#6b7280";
}  // namespace palette

struct ChartSeries {
  enum class Type { Line, Bar };
  std::string label;
  std::vector<double> values;  // one per category; NaN = no value
  std::string color = palette::kBlue;
  Type type = Type::Line;
  bool dashed = false;
  double point_radius = 2.5;               // lines only
  std::vector<std::string> tooltip_extra;  // empty, or one plain-text suffix per value

  static ChartSeries line(std::string label, std::vector<double> values, std::string color, bool dashed = false);
  static ChartSeries bar(std::string label, std::vector<double> values, std::string color);
};

struct ChartMarker {
  double x = 0;  // category index
  std::string label;
  std::string color = "#111827";
  bool dashed = true;
  int row = 0;  // label line (0 = top), so two markers' labels do not overlap
};

struct ChartSpec {
  enum class Kind { Line, Bar };
  Kind kind = Kind::Line;
  std::vector<std::string> categories;
  std::vector<ChartSeries> series;
  std::string x_title, y_title;
  double y_min = std::numeric_limits<double>::quiet_NaN();  // NaN = automatic
  double y_max = std::numeric_limits<double>::quiet_NaN();
  bool y_percent = false;  // values are fractions; axis ticks and tooltips show percent
  bool y_log = false;      // logarithmic y axis (values must be > 0; others are dropped as gaps)
  int tooltip_digits = 4;
  std::vector<ChartMarker> markers;
  int height_px = 300;
  std::string caption;  // plain text under the chart
  std::string title;    // plain text drawn above the plot area by Chart.js
};

// The Chart.js configuration (with the boot script's "gd" extension keys). Throws ShapeError when
// a series has a different number of values (or tooltip_extra entries) than there are categories.
nlohmann::json chart_config(const ChartSpec& spec);

// Registers the chart under a new unique id derived from `id_hint` and returns the fragment:
// <figure class="chart"><div class="chart-box" style="height:..px"><canvas id=ID
// data-gd-chart=ID data-gd-region ...></canvas></div><figcaption>..</figcaption></figure>.
// `id_out` (optional) receives the id.
std::string add_chart(HtmlDocument& doc, const std::string& id_hint, const ChartSpec& spec,
                      std::string* id_out = nullptr);

}  // namespace gd::report
