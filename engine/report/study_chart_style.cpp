// Figure markup, colours and compact numbers for the study report's charts (see study_chart_style.h).
#include "engine/report/study_chart_style.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "engine/report/chart.h"
#include "engine/report/html_escape.h"

namespace gd::report {
namespace {

struct Rgb {
  double r, g, b;
};

std::string hex(const Rgb& c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(std::lround(c.r)), static_cast<int>(std::lround(c.g)),
                static_cast<int>(std::lround(c.b)));
  return buf;
}

// The ramp's stops: grey-blue (still visible as a thin line on white), mid blue, dark navy
// (monotone in lightness, so it reads in grey-scale print too).
constexpr Rgb kRamp[] = {{160, 174, 192}, {96, 165, 250}, {30, 58, 138}};

}  // namespace

std::string study_figure(HtmlDocument& doc, const std::string& id_hint, nlohmann::json config, int height_px,
                         const std::string& caption, std::string* id_out) {
  const std::string id = doc.unique_id(id_hint);
  doc.add_chart(id, std::move(config));
  if (id_out) *id_out = id;
  std::string h = "<figure class=\"chart\"><div class=\"chart-box\" style=\"height:" + std::to_string(height_px) +
                  "px\"><canvas id=\"" + id + "\" data-gd-chart=\"" + id + "\" data-gd-region role=\"img\" aria-label=\"" +
                  html_escape(caption) + "\"></canvas></div>";
  if (!caption.empty()) h += "<figcaption>" + html_escape(caption) + "</figcaption>";
  return h + "</figure>\n";
}

nlohmann::json base_chart_config(const std::string& type, int digits) {
  nlohmann::json cfg;
  cfg["type"] = type;
  cfg["data"] = {{"datasets", nlohmann::json::array()}};
  cfg["options"] = {
      {"interaction", {{"mode", "nearest"}, {"intersect", true}}},
      {"scales", nlohmann::json::object()},
      // Points on an axis bound (explicit min/max) are drawn whole instead of cut at the plot area.
      {"datasets", {{"scatter", {{"clip", 10}}}}},
      {"plugins",
       {{"legend", {{"position", "bottom"}, {"labels", {{"boxWidth", 14}}}}},
        {"gdMarkers", {{"lines", nlohmann::json::array()}}}}},
  };
  cfg["gd"] = {{"digits", digits}, {"percentAxes", nlohmann::json::array()}};
  return cfg;
}

nlohmann::json axis_title(const std::string& text) { return {{"display", !text.empty()}, {"text", text}}; }

const char* status_color(TrialStatus s) {
  switch (s) {
    case TrialStatus::Complete: return palette::kBlue;
    case TrialStatus::Pruned: return palette::kOrange;
    case TrialStatus::Paused: return palette::kPurple;
    case TrialStatus::Failed: return "#92400e";  // brown: red is the best trial's colour
    case TrialStatus::Running: return palette::kGrey;
  }
  return palette::kGrey;
}

std::string ramp_color(double t) {
  if (std::isnan(t)) t = 0.0;
  t = std::clamp(t, 0.0, 1.0);
  const double x = t * 2.0;
  const int i = std::min(1, static_cast<int>(x));
  const double f = x - i;
  const Rgb& a = kRamp[i];
  const Rgb& b = kRamp[i + 1];
  return hex({a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)});
}

std::string rgba(const std::string& color, double alpha) {
  if (color.size() != 7 || color[0] != '#') return color;
  const long v = std::strtol(color.c_str() + 1, nullptr, 16);
  char buf[64];
  std::snprintf(buf, sizeof buf, "rgba(%ld,%ld,%ld,%.2f)", (v >> 16) & 255, (v >> 8) & 255, v & 255, alpha);
  return buf;
}

double line_alpha(size_t lines, double most) { return std::clamp(4.0 / std::sqrt(static_cast<double>(std::max<size_t>(lines, 1))), 0.15, most); }

const char* sampler_color(size_t index) {
  static const char* const kColors[] = {palette::kBlue, palette::kGreen, palette::kPurple, "#0891b2", "#be185d",
                                        "#854d0e"};
  return kColors[index % (sizeof kColors / sizeof kColors[0])];
}

nlohmann::json chart_number(double x) {
  if (!std::isfinite(x)) return nullptr;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return std::strtod(buf, nullptr);
}

std::string swatch_legend(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string h = "<div class=\"legend\">";
  for (const auto& [color, label] : items)
    h += "<span><span class=\"swatch\" style=\"width:18px;background:" + html_escape(color) + "\"></span>" +
         html_escape(label) + "</span>";
  return h + "</div>\n";
}

std::string ramp_legend(const std::string& low_label, const std::string& high_label) {
  return "<div class=\"legend\"><span>" + html_escape(low_label) +
         "<span class=\"swatch\" style=\"background:linear-gradient(to right," + ramp_color(0.0) + "," + ramp_color(0.5) +
         "," + ramp_color(1.0) + ")\"></span>" + html_escape(high_label) + "</span></div>\n";
}

}  // namespace gd::report
