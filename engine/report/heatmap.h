#pragma once
// Colour-scaled tables (heatmaps) drawn as plain HTML, so they render without scripts, print
// exactly, and can be read by screen readers; and the confusion matrix built on them.
#include <string>
#include <vector>

#include "engine/train/metrics.h"

namespace gd::report {

struct HeatmapCell {
  double intensity = 0.0;  // 0..1 (clamped): 0 = white, 1 = the full ramp colour
  bool accent = false;     // true: blue ramp (e.g. correct predictions); false: red ramp (errors)
  std::string text;        // plain text shown in the cell
  std::string tooltip;     // plain text (title attribute)
};

struct HeatmapSpec {
  std::string id;                // element id; the table carries data-gd-region (layout tests)
  std::string row_axis, col_axis;  // axis captions ("true label", "predicted label"), plain text
  std::vector<std::string> row_labels, col_labels;
  std::vector<std::vector<HeatmapCell>> cells;  // (rows, cols)
  std::string totals_header;            // header of the extra right column ("" = none)
  std::vector<std::string> row_totals;  // one per row when totals_header is set
  std::string col_totals_label;         // label of the extra bottom row ("" = none)
  std::vector<std::string> col_totals;  // one per column when col_totals_label is set
};

// Throws ShapeError when the cell grid, labels and totals disagree in size.
std::string heatmap_table(const HeatmapSpec& spec);

// Background colour of a cell ("rgb(r,g,b)"), exposed for tests.
std::string heatmap_color(double intensity, bool accent);

// The confusion matrix of a report as a heatmap with id `id`: rows are true labels, columns
// predicted labels, each cell shows its count. Shading is by share of the row (the true class):
// diagonal cells on a blue ramp by recall; off-diagonal cells on a red ramp by their share scaled
// to the largest off-diagonal share (square-root scale, so rare confusions stay visible). The
// right column is the support, the bottom row the number of predictions per class. Classes with
// no samples get empty-looking rows (share 0, per metrics.h's convention).
std::string confusion_matrix_heatmap(const ClassificationReport& r, const std::string& id);

}  // namespace gd::report
