// ChartSpec -> Chart.js configuration and canvas fragment (see chart.h).
#include "engine/report/chart.h"

#include <cmath>
#include <cstdio>

#include "engine/core/error.h"
#include "engine/report/html_escape.h"

namespace gd::report {
namespace {

// "#rrggbb" + alpha -> "rgba(r,g,b,a)"; other colour syntaxes are returned unchanged.
std::string with_alpha(const std::string& color, double alpha) {
  if (color.size() != 7 || color[0] != '#') return color;
  const int r = std::stoi(color.substr(1, 2), nullptr, 16);
  const int g = std::stoi(color.substr(3, 2), nullptr, 16);
  const int b = std::stoi(color.substr(5, 2), nullptr, 16);
  char buf[64];
  std::snprintf(buf, sizeof buf, "rgba(%d,%d,%d,%.2f)", r, g, b, alpha);
  return buf;
}

nlohmann::json values_json(const std::vector<double>& v, bool log_axis) {
  nlohmann::json out = nlohmann::json::array();
  for (double x : v) {
    if (std::isfinite(x) && (!log_axis || x > 0.0)) out.push_back(x);
    else out.push_back(nullptr);
  }
  return out;
}

}  // namespace

ChartSeries ChartSeries::line(std::string label, std::vector<double> values, std::string color, bool dashed) {
  ChartSeries s;
  s.label = std::move(label);
  s.values = std::move(values);
  s.color = std::move(color);
  s.type = Type::Line;
  s.dashed = dashed;
  return s;
}

ChartSeries ChartSeries::bar(std::string label, std::vector<double> values, std::string color) {
  ChartSeries s = line(std::move(label), std::move(values), std::move(color));
  s.type = Type::Bar;
  return s;
}

nlohmann::json chart_config(const ChartSpec& spec) {
  const size_t n = spec.categories.size();
  nlohmann::json datasets = nlohmann::json::array();
  nlohmann::json tooltip_extra = nlohmann::json::array();
  bool any_extra = false;
  for (const ChartSeries& s : spec.series) {
    GD_CHECK_SHAPE(s.values.size() == n, "chart: series '" << s.label << "' has " << s.values.size()
                                                           << " values for " << n << " categories");
    GD_CHECK_SHAPE(s.tooltip_extra.empty() || s.tooltip_extra.size() == n,
                   "chart: series '" << s.label << "' has " << s.tooltip_extra.size()
                                     << " tooltip texts for " << n << " categories");
    nlohmann::json d = {{"label", s.label}, {"data", values_json(s.values, spec.y_log)}};
    if (s.type == ChartSeries::Type::Bar) {
      d["type"] = "bar";
      d["backgroundColor"] = with_alpha(s.color, 0.75);
      d["borderColor"] = s.color;
      d["borderWidth"] = 1;
      d["order"] = 2;  // bars behind lines
    } else {
      d["type"] = "line";
      d["borderColor"] = s.color;
      d["backgroundColor"] = s.color;
      d["borderWidth"] = 2;
      d["pointRadius"] = s.point_radius;
      d["pointHoverRadius"] = s.point_radius + 2;
      d["tension"] = 0;
      d["spanGaps"] = false;
      d["fill"] = false;
      d["order"] = 1;
      if (s.dashed) d["borderDash"] = {6, 4};
    }
    datasets.push_back(std::move(d));
    tooltip_extra.push_back(s.tooltip_extra);
    any_extra = any_extra || !s.tooltip_extra.empty();
  }

  nlohmann::json y = {{"title", {{"display", !spec.y_title.empty()}, {"text", spec.y_title}}},
                      {"grid", {{"color", "#eef0f3"}}}};
  if (spec.y_log) y["type"] = "logarithmic";
  if (!std::isnan(spec.y_min)) y["min"] = spec.y_min;
  if (!std::isnan(spec.y_max)) y["max"] = spec.y_max;
  if (spec.kind == ChartSpec::Kind::Bar && std::isnan(spec.y_min) && !spec.y_log) y["beginAtZero"] = true;
  nlohmann::json x = {{"title", {{"display", !spec.x_title.empty()}, {"text", spec.x_title}}},
                      {"grid", {{"color", "#f3f4f6"}}}};

  nlohmann::json markers = nlohmann::json::array();
  for (const ChartMarker& m : spec.markers) {
    nlohmann::json j = {{"x", m.x}, {"label", m.label}, {"color", m.color}, {"row", m.row}};
    j["dash"] = m.dashed ? nlohmann::json::array({5, 4}) : nlohmann::json::array();
    markers.push_back(std::move(j));
  }

  nlohmann::json cfg;
  cfg["type"] = spec.kind == ChartSpec::Kind::Bar ? "bar" : "line";
  cfg["data"] = {{"labels", spec.categories}, {"datasets", datasets}};
  cfg["options"] = {
      {"interaction", {{"mode", "index"}, {"intersect", false}}},
      {"scales", {{"x", x}, {"y", y}}},
      {"plugins",
       {{"legend", {{"position", "bottom"}, {"labels", {{"boxWidth", 14}}}}},
        {"title", {{"display", !spec.title.empty()}, {"text", spec.title}}},
        {"gdMarkers", {{"lines", markers}}}}},
  };
  nlohmann::json gd = {{"digits", spec.tooltip_digits}};
  gd["percentAxes"] = spec.y_percent ? nlohmann::json::array({"y"}) : nlohmann::json::array();
  if (any_extra) gd["tooltipExtra"] = tooltip_extra;
  cfg["gd"] = gd;
  return cfg;
}

std::string add_chart(HtmlDocument& doc, const std::string& id_hint, const ChartSpec& spec, std::string* id_out) {
  nlohmann::json cfg = chart_config(spec);
  const std::string id = doc.unique_id(id_hint);
  doc.add_chart(id, std::move(cfg));
  if (id_out) *id_out = id;
  std::string label = spec.title.empty() ? spec.caption : spec.title;
  std::string h = "<figure class=\"chart\"><div class=\"chart-box\" style=\"height:" +
                  std::to_string(spec.height_px) + "px\"><canvas id=\"" + id + "\" data-gd-chart=\"" + id +
                  "\" data-gd-region role=\"img\" aria-label=\"" + html_escape(label) + "\"></canvas></div>";
  if (!spec.caption.empty()) h += "<figcaption>" + html_escape(spec.caption) + "</figcaption>";
  h += "</figure>\n";
  return h;
}

}  // namespace gd::report
