#pragma once
// The fixed CSS and JavaScript every report carries (HtmlDocument inlines them):
//   * report_css(): layout (responsive, print-friendly), header cards, tables, heatmaps, gallery;
//   * error_hook_script(): runs first, in <head>; records every script error and unhandled promise
//     rejection into the DOM (<html data-gd-errors="N"> and a visible #gd-script-errors box) and
//     defines window.gdReportError(message) for the other scripts;
//   * boot_script(): after Chart.js, parses the JSON data block (#gd-report-data), registers the
//     gdMarkers plugin (vertical marker lines: options.plugins.gdMarkers.lines = [{x, label,
//     color, dash, row}], x in data units, i.e. the category index on a category axis), applies
//     the "gd" extensions of each chart configuration (percent axes/tooltips), creates one Chart
//     per <canvas data-gd-chart="ID"> from data.charts[ID], then writes the page rectangle of every
//     element with a data-gd-region attribute into <html data-gd-layout='{"id":{x,y,w,h}}'> (CSS
//     pixels, page coordinates), the number of charts drawn into data-gd-charts and sets
//     data-gd-ready="1". Headless-browser tests read these attributes from the dumped DOM.
namespace gd::report {

const char* report_css();
const char* error_hook_script();
const char* boot_script();

}  // namespace gd::report
