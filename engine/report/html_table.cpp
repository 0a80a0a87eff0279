// HTML table builder (see html_table.h).
#include "engine/report/html_table.h"

#include <algorithm>

#include "engine/core/error.h"
#include "engine/report/html_escape.h"

namespace gd::report {

HtmlTable::HtmlTable(std::vector<Column> columns) : columns_(std::move(columns)) {
  GD_CHECK_SHAPE(!columns_.empty(), "HtmlTable: a table needs at least one column");
}

HtmlTable::HtmlTable(const std::vector<std::string>& headers, const std::vector<size_t>& numeric) {
  GD_CHECK_SHAPE(!headers.empty(), "HtmlTable: a table needs at least one column");
  for (size_t i = 0; i < headers.size(); ++i) {
    const bool num = std::find(numeric.begin(), numeric.end(), i) != numeric.end();
    columns_.push_back({headers[i], num ? Align::Right : Align::Left, false});
  }
  for (size_t i : numeric)
    GD_CHECK_SHAPE(i < headers.size(), "HtmlTable: numeric column " << i << " of a " << headers.size()
                                                                   << "-column table");
}

void HtmlTable::check_width(size_t n) const {
  GD_CHECK_SHAPE(n == columns_.size(), "HtmlTable: row of " << n << " cells for " << columns_.size() << " columns");
}

HtmlTable& HtmlTable::add_row(const std::vector<std::string>& cells) {
  check_width(cells.size());
  Row r;
  for (const std::string& c : cells) r.cells_html.push_back(html_escape(c));
  rows_.push_back(std::move(r));
  return *this;
}

HtmlTable& HtmlTable::add_summary_row(const std::vector<std::string>& cells) {
  add_row(cells);
  rows_.back().summary = true;
  return *this;
}

HtmlTable& HtmlTable::add_row_html(const std::vector<std::string>& cells_html) {
  check_width(cells_html.size());
  rows_.push_back({cells_html, false});
  return *this;
}

std::string HtmlTable::html(const std::string& id) const {
  auto cell_class = [](const Column& c) {
    std::string cls;
    if (c.align == Align::Right) cls += "num";
    if (c.mono) cls += cls.empty() ? "mono" : " mono";
    return cls.empty() ? std::string() : " class=\"" + cls + "\"";
  };
  std::string h = "<div class=\"table-wrap\"><table class=\"data\"";
  if (!id.empty()) h += " id=\"" + html_escape(id) + "\"";
  h += ">\n<thead><tr>";
  for (const Column& c : columns_)
    h += std::string("<th") + (c.align == Align::Right ? " class=\"num\"" : "") + ">" + html_escape(c.header) + "</th>";
  h += "</tr></thead>\n<tbody>\n";
  for (const Row& r : rows_) {
    h += r.summary ? "<tr class=\"summary\">" : "<tr>";
    for (size_t i = 0; i < r.cells_html.size(); ++i) h += "<td" + cell_class(columns_[i]) + ">" + r.cells_html[i] + "</td>";
    h += "</tr>\n";
  }
  h += "</tbody></table></div>\n";
  return h;
}

}  // namespace gd::report
