// Parallel-coordinate plot of a study (see study_parallel_coords.h).
#include "engine/report/study_parallel_coords.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/report/chart.h"
#include "engine/report/html_fragments.h"
#include "engine/report/study_chart_style.h"

namespace gd::report {
namespace {

using nlohmann::json;

constexpr double kMinTickGap = 0.05;

// Tick text: whole numbers in full up to 10^7 ("2048"), others with 3 significant digits.
std::string short_num(double x) {
  char buf[40];
  if (x == std::floor(x) && std::fabs(x) < 1e7) std::snprintf(buf, sizeof buf, "%.0f", x == 0.0 ? 0.0 : x);
  else std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

std::string clip(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n - 1) + "\xE2\x80\xA6"; }

// Drops ticks closer than kMinTickGap to a kept one; `ticks` sorted by y, ends first in priority.
std::vector<AxisTick> thin(std::vector<AxisTick> ticks) {
  std::sort(ticks.begin(), ticks.end(), [](const AxisTick& a, const AxisTick& b) { return a.y < b.y; });
  std::vector<AxisTick> out;
  for (size_t i = 0; i < ticks.size(); ++i) {
    const bool is_end = i == 0 || i + 1 == ticks.size();
    if (!out.empty() && ticks[i].y - out.back().y < kMinTickGap) {
      if (!is_end) continue;
      if (out.size() > 1) out.pop_back();  // the last end wins over an inner tick next to it
      else continue;
    }
    out.push_back(ticks[i]);
  }
  return out;
}

// Round values strictly inside (low, high): multiples of a step of 1, 2, 2.5 or 5 times a power of
// ten giving about 4 intervals (integer steps for integer axes).
std::vector<double> nice_steps(double low, double high, bool integer) {
  const double raw = (high - low) / 4.0;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10.0 * mag;
  for (double m : {1.0, 2.0, 2.5, 5.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  if (integer) step = std::max(1.0, std::round(step));
  std::vector<double> out;
  for (double k = std::floor(low / step) + 1.0; k * step < high && out.size() < 16; k += 1.0) {
    const double v = k * step;
    if (v > low) out.push_back(std::fabs(v) < 1e-12 * step ? 0.0 : v);
  }
  return out;
}

}  // namespace

std::vector<AxisTick> parameter_axis_ticks(const StudyParam& p) {
  std::vector<AxisTick> ticks;
  if (p.kind == StudyParam::Kind::Categorical) {
    const size_t k = p.levels.size();
    const size_t every = std::max<size_t>(1, (k + 14) / 15);
    for (size_t i = 0; i < k; ++i)
      if (i % every == 0 || i + 1 == k) ticks.push_back({axis_position(p, p.levels[i]), clip(param_value_text(p.levels[i]), 18)});
    // Levels are evenly spaced at >= 1/14 apart when labelled, so no thinning is needed.
  } else if (!(p.high > p.low)) {
    ticks.push_back({0.5, short_num(p.low)});
  } else if (p.log && p.low > 0.0) {
    ticks.push_back({0.0, short_num(p.low)});
    ticks.push_back({1.0, short_num(p.high)});
    for (double d = std::pow(10.0, std::ceil(std::log10(p.low))); d < p.high; d *= 10.0)
      ticks.push_back({axis_position(p, d), short_num(d)});
    if (ticks.size() == 2) {  // less than a decade: the geometric middle
      const double mid = std::sqrt(p.low * p.high);
      ticks.push_back({axis_position(p, p.integer ? std::round(mid) : mid), short_num(p.integer ? std::round(mid) : mid)});
    }
    ticks = thin(ticks);
  } else {
    ticks.push_back({0.0, short_num(p.low)});
    ticks.push_back({1.0, short_num(p.high)});
    for (double v : nice_steps(p.low, p.high, p.integer)) ticks.push_back({axis_position(p, v), short_num(v)});
    ticks = thin(ticks);
  }
  if (p.conditional) ticks.insert(ticks.begin(), AxisTick{kInactiveLevel, "inactive"});
  return ticks;
}

std::string parallel_coordinates_html(HtmlDocument& doc, const std::vector<tune::TrialRecord>& records,
                                      const StudySummary& s, const StudyParams& params) {
  const StudyObjective& obj = s.objective;
  std::string h = note("One vertical axis per parameter plus the objective; each complete trial is a line through its "
                       "values. Positions are normalised per axis (log-scale parameters in log space, categorical "
                       "choices as evenly spaced levels, the objective over its observed range); the real values are "
                       "written on each axis. A conditional parameter that was inactive sits on the \"inactive\" level "
                       "below its axis. Colour: the objective, from worst (light) to best (dark); the best trial is red.");
  if (params.params.empty()) return h + absent("The study has no sampled parameter to plot.");
  if (s.ranking.size() < 2)
    return h + absent("Not enough trials: the plot needs at least 2 complete trials, the study has " +
                      std::to_string(s.ranking.size()) + ".");

  const tune::Trial& best = records[s.ranking.front()].trial;
  const tune::Trial& worst = records[s.ranking.back()].trial;
  double lo = *best.value, hi = *best.value;
  for (size_t i : s.ranking) {
    lo = std::min(lo, *records[i].trial.value);
    hi = std::max(hi, *records[i].trial.value);
  }
  auto objective_position = [&](double v) { return hi > lo ? (v - lo) / (hi - lo) : 0.5; };
  auto goodness = [&](double v) {  // 0 = worst complete trial, 1 = best
    const double span = *best.value - *worst.value;
    return span != 0.0 ? (v - *worst.value) / span : 1.0;
  };

  json labels = json::array();
  json axes = json::array();
  bool any_conditional = false;
  for (const StudyParam& p : params.params) {
    labels.push_back(p.log ? json::array({p.name, "(log)"}) : json(p.name));
    axes.push_back({{"bottom", p.conditional ? kInactiveLevel : 0.0}, {"ticks", json::array()}});
    for (const AxisTick& t : parameter_axis_ticks(p)) axes.back()["ticks"].push_back({{"y", chart_number(t.y)}, {"label", t.label}});
    any_conditional = any_conditional || p.conditional;
  }
  labels.push_back(json::array({obj.metric_label(), obj.maximize ? "(higher is better)" : "(lower is better)"}));
  json obj_axis = {{"bottom", 0.0}, {"ticks", json::array()}};
  for (int i = 0; i <= 4; ++i) {
    const double v = hi > lo ? lo + (hi - lo) * i / 4.0 : lo;
    obj_axis["ticks"].push_back({{"y", chart_number(objective_position(v))}, {"label", obj.format(v)}});
    if (!(hi > lo)) break;
  }
  axes.push_back(obj_axis);

  json cfg = base_chart_config("line", 4);
  json& datasets = cfg["data"]["datasets"];
  cfg["data"]["labels"] = labels;
  // Best first: dataset 0 is drawn last, on top.
  const double alpha = line_alpha(s.ranking.size(), 0.85);
  for (size_t r = 0; r < s.ranking.size(); ++r) {
    const tune::Trial& t = records[s.ranking[r]].trial;
    json data = json::array(), text = json::array();
    for (const StudyParam& p : params.params) {
      const json& v = param_of(t.params, p.name);
      const double y = axis_position(p, v);
      if (std::isnan(y)) {
        data.push_back(p.conditional && v.is_null() ? json(kInactiveLevel) : json(nullptr));
        text.push_back(p.name + (v.is_null() ? " inactive" : " = " + param_value_text(v) + " (not a valid value)"));
      } else {
        data.push_back(chart_number(y));
        text.push_back(p.name + " = " + param_value_text(v));
      }
    }
    data.push_back(chart_number(objective_position(*t.value)));
    text.push_back(obj.metric_label() + " = " + obj.format(*t.value));
    const bool is_best = r == 0;
    datasets.push_back({{"label", "trial " + std::to_string(t.number)},
                        {"data", std::move(data)},
                        {"gdText", std::move(text)},
                        {"borderColor", is_best ? std::string(palette::kRed) : rgba(ramp_color(goodness(*t.value)), alpha)},
                        {"borderWidth", is_best ? 3.0 : 1.25}});
  }
  cfg["options"]["elements"] = {{"point", {{"radius", 0}, {"hitRadius", 5}, {"hoverRadius", 4}}},
                                {"line", {{"tension", 0}, {"fill", false}, {"spanGaps", false}}}};
  cfg["options"]["plugins"]["legend"] = {{"display", false}};
  cfg["options"]["plugins"]["gdParallelAxes"] = {{"axes", axes}};
  cfg["options"]["layout"] = {{"padding", {{"top", 8}, {"right", 8}}}};
  cfg["options"]["scales"]["x"] = {{"type", "category"}, {"offset", true}, {"grid", {{"display", false}}},
                                   {"ticks", {{"autoSkip", false}, {"maxRotation", 0}}}};
  cfg["options"]["scales"]["y"] = {{"display", false}, {"min", any_conditional ? kInactiveLevel - 0.06 : -0.04},
                                   {"max", 1.04}};
  doc.add_script(parallel_axes_script());
  const std::string caption = std::to_string(s.ranking.size()) + " complete trial(s). Hover a line for its values.";
  return h + study_figure(doc, "parallel-coordinates", cfg, 420, caption) +
         ramp_legend("worst " + obj.format(*worst.value), "best " + obj.format(*best.value)) +
         swatch_legend({{palette::kRed, "best trial " + std::to_string(best.number)}});
}

const char* parallel_axes_script() {
  return R"JS(
(function () {
  'use strict';
  if (typeof Chart === 'undefined') return;  // the boot script has reported it
  Chart.register({
    id: 'gdParallelAxes',
    afterDatasetsDraw: function (chart, args, opts) {
      var axes = opts && opts.axes;
      if (!axes || !axes.length) return;
      var x = chart.scales.x, y = chart.scales.y, ctx = chart.ctx;
      ctx.save();
      ctx.font = '11px ' + Chart.defaults.font.family;
      ctx.textBaseline = 'middle';
      axes.forEach(function (axis, i) {
        var px = x.getPixelForValue(i);
        ctx.strokeStyle = '#4b5563';
        ctx.lineWidth = 1;
        ctx.setLineDash([]);
        ctx.beginPath();
        ctx.moveTo(px, y.getPixelForValue(1));
        ctx.lineTo(px, y.getPixelForValue(axis.bottom || 0));
        ctx.stroke();
        (axis.ticks || []).forEach(function (t) {
          var py = y.getPixelForValue(t.y);
          ctx.beginPath();
          ctx.moveTo(px - 4, py);
          ctx.lineTo(px + 4, py);
          ctx.stroke();
          var w = ctx.measureText(t.label).width;
          ctx.fillStyle = 'rgba(255,255,255,0.85)';
          ctx.fillRect(px + 4, py - 7, w + 6, 14);
          ctx.fillStyle = '#111827';
          ctx.fillText(t.label, px + 7, py);
        });
      });
      ctx.restore();
      chart.canvas.setAttribute('data-gd-axes-drawn', String(axes.length));
    }
  });
  Object.keys(Chart.instances).forEach(function (k) {
    var chart = Chart.instances[k];
    var plugins = chart.config.options && chart.config.options.plugins;
    if (!plugins || !plugins.gdParallelAxes) return;
    plugins.tooltip = plugins.tooltip || {};
    plugins.tooltip.callbacks = plugins.tooltip.callbacks || {};
    plugins.tooltip.callbacks.label = function (ctx) {
      var text = ctx.dataset.gdText && ctx.dataset.gdText[ctx.dataIndex];
      return ctx.dataset.label + (text ? ': ' + text : '');
    };
    chart.update();
  });
})();
)JS";
}

}  // namespace gd::report
