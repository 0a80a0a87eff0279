// CSS and scripts inlined into every report (contract in report_assets.h).
#include "engine/report/report_assets.h"

namespace gd::report {

const char* report_css() {
  return R"CSS(
:root { --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg: #ffffff; --panel: #f8fafc;
        --accent: #2563eb; --bad: #dc2626; --good: #16a34a; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.45;
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, Helvetica, Arial, sans-serif; }
.page { max-width: 1180px; margin: 0 auto; padding: 24px 20px 40px; }
header.report-header { border-bottom: 1px solid var(--line); padding-bottom: 16px; margin-bottom: 8px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 20px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 16px 0 8px; color: #374151; }
.subtitle { color: var(--muted); margin: 0 0 10px; word-break: break-word; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0 14px; font-size: 13px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; word-break: break-all; font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; }
.headlines { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
.headline { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.headline .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
.headline .value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
.headline .detail { font-size: 12px; color: var(--muted); }
nav.toc { position: sticky; top: 0; z-index: 2; background: rgba(255,255,255,0.95); border-bottom: 1px solid var(--line);
          padding: 8px 0; margin-bottom: 8px; font-size: 14px; }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 14px; white-space: nowrap; }
nav.toc a:hover { text-decoration: underline; }
section.report-section { padding: 18px 0 10px; border-bottom: 1px solid var(--line); scroll-margin-top: 44px; }
section.report-section:last-of-type { border-bottom: 0; }
p.note { color: var(--muted); font-size: 14px; margin: 6px 0 10px; max-width: 75ch; }
p.absent { background: #fff7ed; border: 1px solid #fed7aa; border-radius: 6px; padding: 8px 12px; color: #9a3412; }
.grid-2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(420px, 100%), 1fr)); gap: 18px; }
.grid-2 > div { min-width: 0; }
figure.chart { margin: 0; }
figure.chart figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
.chart-box { position: relative; width: 100%; }
.chart-box canvas { display: block; }
.table-wrap { overflow-x: auto; max-width: 100%; }
table.data { border-collapse: collapse; font-size: 14px; font-variant-numeric: tabular-nums; margin: 4px 0 8px; }
table.data th, table.data td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.data th { font-weight: 600; color: #374151; background: var(--panel); }
table.data td.num, table.data th.num { text-align: right; }
table.data tr.summary td { font-weight: 600; background: #fafafa; }
table.data td.mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 13px; word-break: break-all; }
table.heatmap { border-collapse: separate; border-spacing: 2px; font-size: 13px; font-variant-numeric: tabular-nums; }
table.heatmap th { font-weight: 600; color: #374151; padding: 2px 6px; text-align: center; white-space: nowrap; }
table.heatmap th.row-label { text-align: right; }
table.heatmap td.cell { min-width: 44px; height: 34px; text-align: center; border-radius: 3px; padding: 2px 4px; }
table.heatmap td.total { color: var(--muted); text-align: center; padding: 2px 6px; }
table.heatmap .axis { color: var(--muted); font-weight: 500; font-size: 12px; }
.legend { font-size: 12px; color: var(--muted); display: flex; gap: 16px; align-items: center; flex-wrap: wrap; margin-top: 6px; }
.legend .swatch { display: inline-block; width: 90px; height: 10px; border-radius: 2px; vertical-align: middle; margin: 0 4px; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(96px, 1fr)); gap: 10px; }
figure.digit { margin: 0; text-align: center; border: 1px solid var(--line); border-radius: 6px; padding: 6px 4px; background: var(--panel); }
img.digit-img { image-rendering: pixelated; image-rendering: crisp-edges; background: #000; border-radius: 2px; }
figure.digit figcaption { font-size: 12px; line-height: 1.3; margin-top: 4px; }
figure.digit .true { color: var(--good); font-weight: 600; }
figure.digit .pred { color: var(--bad); font-weight: 600; }
figure.digit .conf { color: var(--muted); display: block; }
.script-errors { background: #fef2f2; color: #991b1b; border: 1px solid #fecaca; padding: 10px 14px; white-space: pre-wrap;
                 font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; margin: 0 0 12px; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
@media (max-width: 640px) { .grid-2 { grid-template-columns: 1fr; } .headline .value { font-size: 20px; } }
@media print {
  nav.toc { display: none; }
  body { font-size: 12px; }
  .page { max-width: none; padding: 0; }
  section.report-section { break-inside: auto; }
  figure.chart, table.heatmap, figure.digit, .headline, tr { break-inside: avoid; }
  h2 { break-after: avoid; }
  .grid-2 { grid-template-columns: 1fr 1fr; }
  a { color: inherit; text-decoration: none; }
}
)CSS";
}

const char* error_hook_script() {
  return R"JS(
(function () {
  var errors = [];
  var root = document.documentElement;
  root.setAttribute('data-gd-errors', '0');
  function show() {
    root.setAttribute('data-gd-errors', String(errors.length));
    var box = document.getElementById('gd-script-errors');
    if (!box) return;
    box.hidden = false;
    box.textContent = 'This report hit ' + errors.length + ' script error(s); some charts may be missing.\n' +
                      errors.join('\n');
  }
  window.gdReportError = function (message) {
    errors.push(String(message));
    root.setAttribute('data-gd-errors', String(errors.length));
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', show);
    else show();
  };
  window.addEventListener('error', function (e) {
    window.gdReportError((e.message || 'script error') + (e.filename ? ' (' + e.filename + ':' + e.lineno + ')' : ''));
  });
  window.addEventListener('unhandledrejection', function (e) {
    window.gdReportError('unhandled promise rejection: ' + e.reason);
  });
})();
)JS";
}

const char* boot_script() {
  return R"JS(
(function () {
  'use strict';
  var root = document.documentElement;
  var data = JSON.parse(document.getElementById('gd-report-data').textContent);
  window.gdReportData = data;
  var drawn = 0;

  function fmt(v, percent, digits) {
    if (v === null || v === undefined || !isFinite(v)) return 'n/a';
    return percent ? (100 * v).toFixed(digits) + '%' : Number(v).toFixed(digits);
  }

  // Applies the JSON-only "gd" extensions of a chart configuration (functions cannot travel in JSON).
  function applyExtensions(cfg) {
    var gd = cfg.gd || {};
    delete cfg.gd;
    var digits = gd.digits === undefined ? 4 : gd.digits;
    var percentAxes = gd.percentAxes || [];
    cfg.options = cfg.options || {};
    cfg.options.scales = cfg.options.scales || {};
    percentAxes.forEach(function (axis) {
      var s = cfg.options.scales[axis] = cfg.options.scales[axis] || {};
      s.ticks = s.ticks || {};
      s.ticks.callback = function (v) { return fmt(v, true, 0); };
    });
    var plugins = cfg.options.plugins = cfg.options.plugins || {};
    var tooltip = plugins.tooltip = plugins.tooltip || {};
    tooltip.callbacks = tooltip.callbacks || {};
    var horizontal = cfg.options.indexAxis === 'y';
    tooltip.callbacks.label = function (ctx) {
      var axis = horizontal ? (ctx.dataset.xAxisID || 'x') : (ctx.dataset.yAxisID || 'y');
      var v = ctx.parsed[horizontal ? 'x' : 'y'];
      var extra = gd.tooltipExtra && gd.tooltipExtra[ctx.datasetIndex] ? gd.tooltipExtra[ctx.datasetIndex][ctx.dataIndex] : '';
      return (ctx.dataset.label ? ctx.dataset.label + ': ' : '') + fmt(v, percentAxes.indexOf(axis) >= 0, digits) +
             (extra ? ' ' + extra : '');
    };
    return cfg;
  }

  if (typeof Chart === 'undefined') {
    window.gdReportError('Chart.js did not load: charts cannot be drawn');
  } else {
    Chart.defaults.animation = false;
    Chart.defaults.responsive = true;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.color = '#374151';
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.register({
      id: 'gdMarkers',
      afterDatasetsDraw: function (chart, args, opts) {
        var lines = (opts && opts.lines) || [];
        var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
        if (!x || !area) return;
        lines.forEach(function (m) {
          var px = x.getPixelForValue(m.x);
          if (!isFinite(px) || px < area.left - 1 || px > area.right + 1) return;
          ctx.save();
          ctx.strokeStyle = m.color || '#111827';
          ctx.lineWidth = 1.5;
          ctx.setLineDash(m.dash || [5, 4]);
          ctx.beginPath();
          ctx.moveTo(px, area.top);
          ctx.lineTo(px, area.bottom);
          ctx.stroke();
          if (m.label) {
            ctx.setLineDash([]);
            ctx.fillStyle = m.color || '#111827';
            ctx.font = '12px ' + Chart.defaults.font.family;
            var w = ctx.measureText(m.label).width;
            var tx = px + 5;
            if (tx + w > area.right) tx = px - 5 - w;
            var ty = area.top + 13 + 16 * (m.row || 0);
            ctx.fillStyle = 'rgba(255,255,255,0.85)';
            ctx.fillRect(tx - 2, ty - 11, w + 4, 15);
            ctx.fillStyle = m.color || '#111827';
            ctx.fillText(m.label, tx, ty);
          }
          ctx.restore();
        });
      }
    });
    var charts = data.charts || {};
    document.querySelectorAll('canvas[data-gd-chart]').forEach(function (canvas) {
      var id = canvas.getAttribute('data-gd-chart');
      try {
        if (!charts[id]) throw new Error('no configuration for chart "' + id + '"');
        new Chart(canvas.getContext('2d'), applyExtensions(charts[id]));
        drawn += 1;
      } catch (e) {
        window.gdReportError('chart ' + id + ': ' + (e && e.message ? e.message : e));
      }
    });
    window.addEventListener('beforeprint', function () {
      Object.keys(Chart.instances).forEach(function (k) { Chart.instances[k].resize(); });
    });
  }

  function recordLayout() {
    var out = {};
    document.querySelectorAll('[data-gd-region]').forEach(function (el) {
      var r = el.getBoundingClientRect();
      out[el.id] = { x: Math.round(r.left + window.scrollX), y: Math.round(r.top + window.scrollY),
                     w: Math.round(r.width), h: Math.round(r.height) };
    });
    root.setAttribute('data-gd-layout', JSON.stringify(out));
  }
  recordLayout();
  window.addEventListener('resize', recordLayout);
  root.setAttribute('data-gd-charts', String(drawn));
  root.setAttribute('data-gd-ready', '1');
})();
)JS";
}

}  // namespace gd::report
