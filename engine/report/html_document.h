#pragma once
// A self-contained HTML report: one file that opens offline in any browser. It carries its CSS,
// Chart.js 3.9.1 (embedded at build time) and all data inline; nothing is fetched.
//
// Structure of the rendered page: a header (title, subtitle, key/value metadata, headline cards
// with the key numbers), a table of contents, the sections in the order added, a footer; then one
// <script type="application/json" id="gd-report-data"> block with all data (chart configurations
// under "charts", plus whatever callers put in data()), Chart.js, and the boot script
// (report_assets.h) that draws every chart. Script errors are recorded in the DOM.
//
// Text arguments are PLAIN TEXT (escaped here); section bodies are trusted HTML fragments built
// with the helpers of this directory (html_fragments.h, chart.h, heatmap.h, ...), which escape
// every piece of text they are given.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gd::report {

class HtmlDocument {
 public:
  explicit HtmlDocument(std::string title);

  void set_subtitle(std::string text);
  // One "label: value" line of the header's metadata list (paths, dataset, device...).
  void add_meta(std::string label, std::string value);
  // A headline card: a key number with a small label and an optional detail line.
  void add_headline(std::string label, std::string value, std::string detail = "");
  // Appends a section with heading `title` and the trusted HTML `body_html`; returns the section's
  // element id (derived from the title, made unique), which the table of contents links to.
  std::string add_section(const std::string& title, const std::string& body_html);

  // Reserves a unique element id "<prefix>" (or "<prefix>-2", "-3", ... when taken).
  std::string unique_id(const std::string& prefix);
  // Registers a Chart.js configuration (JSON only; see report_assets.h for the "gd" extensions)
  // for the canvas with data-gd-chart="id". Throws Error when the id already has one.
  void add_chart(const std::string& id, nlohmann::json config);
  // The JSON data block; callers may add their own keys (not "charts").
  nlohmann::json& data() { return data_; }
  // Trusted JavaScript run after the charts are drawn. Throws Error when it contains "</script"
  // or "<!--" (it could not be inlined safely).
  void add_script(std::string js);

  // The whole page. Throws Error if the embedded Chart.js could not be inlined safely.
  std::string render() const;
  // render() written atomically to `path` (write_file_atomic).
  void write(const std::string& path) const;

  const std::string& title() const { return title_; }

 private:
  struct Section {
    std::string id, title, body;
  };
  struct Headline {
    std::string label, value, detail;
  };
  std::string title_, subtitle_;
  std::vector<std::pair<std::string, std::string>> meta_;
  std::vector<Headline> headlines_;
  std::vector<Section> sections_;
  std::vector<std::string> ids_;
  std::vector<std::string> scripts_;
  nlohmann::json data_ = nlohmann::json::object();
};

}  // namespace gd::report
