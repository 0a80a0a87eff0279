#pragma once
// HTML tables for reports: a header row, body rows of plain-text cells (escaped here) or trusted
// HTML cells, right-aligned numeric columns, optional emphasised summary rows; wrapped so wide
// tables scroll horizontally on narrow screens instead of breaking the layout.
#include <string>
#include <vector>

namespace gd::report {

class HtmlTable {
 public:
  enum class Align { Left, Right };
  struct Column {
    std::string header;
    Align align = Align::Left;
    bool mono = false;  // monospace (paths, spec strings, raw values)
  };

  explicit HtmlTable(std::vector<Column> columns);
  // Convenience: plain headers; the columns listed in `numeric` (indices) are right-aligned.
  HtmlTable(const std::vector<std::string>& headers, const std::vector<size_t>& numeric = {});

  // Plain-text cells; throws ShapeError when the count differs from the number of columns.
  HtmlTable& add_row(const std::vector<std::string>& cells);
  // An emphasised row (totals, averages), plain text.
  HtmlTable& add_summary_row(const std::vector<std::string>& cells);
  // Trusted HTML cells (already escaped by the caller).
  HtmlTable& add_row_html(const std::vector<std::string>& cells_html);

  size_t rows() const { return rows_.size(); }
  // The table; `id` (optional) becomes the element id.
  std::string html(const std::string& id = "") const;

 private:
  struct Row {
    std::vector<std::string> cells_html;
    bool summary = false;
  };
  void check_width(size_t n) const;
  std::vector<Column> columns_;
  std::vector<Row> rows_;
};

}  // namespace gd::report
