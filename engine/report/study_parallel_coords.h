#pragma once
// The parallel-coordinate plot of a study: one vertical axis per sampled parameter plus the
// objective, each complete trial a polyline through its values, coloured by objective.
//
// How it is drawn with Chart.js: a line chart over a category x axis (one category per axis) and a
// hidden y axis of normalised positions in [0, 1] (axis_position in study_params.h: log parameters
// in log space, categorical choices as evenly spaced levels, the objective over its observed
// range); a conditional parameter's "inactive" level sits below 0. Chart.js has no per-category y
// ticks, so the real values are drawn by a small plugin (parallel_axes_script, added to the
// document with the chart): it reads options.plugins.gdParallelAxes = {axes: [{bottom, ticks:
// [{y, label}]}]}, draws each axis line with its tick labels, and marks the canvas with
// data-gd-axes-drawn="N" (for the render test). It also makes the tooltip show the real value of
// the hovered point (dataset.gdText[i]) instead of the normalised position.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/report/html_document.h"
#include "engine/report/study_params.h"
#include "engine/report/study_summary.h"
#include "engine/tune/study_storage.h"

namespace gd::report {

// Position of the "inactive" level of conditional parameters on the normalised axis.
inline constexpr double kInactiveLevel = -0.12;

struct AxisTick {
  double y = 0.0;     // normalised position
  std::string label;  // real value, plain text
};

// Ticks of a parameter axis, by normalised position:
//   numeric linear: both ends and the round values between them (steps of 1, 2, 2.5 or 5 times a
//                   power of ten, about 4 intervals; whole steps for integers);
//   log:            both ends and every power of ten between them (the geometric middle if none);
//   categorical:    the levels (at most ~15 labelled);
//   conditional:    plus "inactive" at kInactiveLevel.
// Numeric ticks closer than 0.05 to a kept one are dropped (the ends are kept).
std::vector<AxisTick> parameter_axis_ticks(const StudyParam& p);

// The section body: explanation, the chart (registered in `doc`, with the plugin script added
// once) and the colour legend; an "absent" note when there are fewer than 2 complete trials or no
// parameters.
std::string parallel_coordinates_html(HtmlDocument& doc, const std::vector<tune::TrialRecord>& records,
                                      const StudySummary& summary, const StudyParams& params);

// The plugin script described above (trusted JavaScript for HtmlDocument::add_script).
const char* parallel_axes_script();

}  // namespace gd::report
