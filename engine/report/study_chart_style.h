#pragma once
// Shared pieces of the study report's charts, which are Chart.js configurations written directly
// (scatter plots with numeric, logarithmic or category x axes; hundreds of per-trial lines) rather
// than through ChartSpec (chart.h), whose x axis is always categorical: the figure markup, the
// colours of trial states and of the objective ramp, compact numbers, small HTML legends.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/report/html_document.h"
#include "engine/report/study_summary.h"

namespace gd::report {

// Registers `config` under a unique id derived from `id_hint` and returns the <figure> with its
// canvas (data-gd-chart, data-gd-region: drawn by the boot script, its rectangle recorded for
// layout tests), `height_px` tall, with `caption` (plain text) under it. `id_out` receives the id.
std::string study_figure(HtmlDocument& doc, const std::string& id_hint, nlohmann::json config, int height_px,
                         const std::string& caption, std::string* id_out = nullptr);

// A Chart.js configuration of `type` ("scatter", "line", "bar") with the report's defaults: no
// animation (set globally), tooltips for the nearest point only (a chart may hold hundreds of
// series), legend at the bottom, and the boot script's "gd" extension with `digits` decimals in
// tooltips. Scales are left to the caller.
nlohmann::json base_chart_config(const std::string& type, int digits);

// Axis title fragment for a Chart.js scale.
nlohmann::json axis_title(const std::string& text);

// Colour of a trial status (complete blue, pruned orange, paused purple, failed brown, running
// grey); red is kept for the best trial.
const char* status_color(TrialStatus s);
// Sequential ramp for "how good" / "how late": t = 0 grey-blue .. t = 1 dark blue, "#rrggbb".
// t outside [0, 1] is clamped; NaN gives the t = 0 colour.
std::string ramp_color(double t);
// "#rrggbb" with opacity -> "rgba(r,g,b,a)" (other strings are returned unchanged).
std::string rgba(const std::string& hex, double alpha);
// Opacity for one of `lines` overlapping series: 4 / sqrt(lines), within [0.15, most], so a few
// lines stay solid and hundreds blend into a density instead of one blot.
double line_alpha(size_t lines, double most);
// Sampler colours, by position in the study's sampler list (cycles through the palette).
const char* sampler_color(size_t index);

// x rounded to 6 significant digits (short in the JSON block); non-finite -> null.
nlohmann::json chart_number(double x);

// A row of colour swatches with plain-text labels (legend for charts whose own legend would list
// hundreds of series).
std::string swatch_legend(const std::vector<std::pair<std::string, std::string>>& color_and_label);
// A gradient bar from ramp_color(0) to ramp_color(1) between two plain-text labels.
std::string ramp_legend(const std::string& low_label, const std::string& high_label);

}  // namespace gd::report
