// The report building blocks: HTML and script-block escaping (no text can break out of an element
// or the JSON data block), base64, PNG digit images, the document skeleton, chart configurations,
// heatmaps, tables and the configuration table.
#include <gtest/gtest.h>
#include <stb_image.h>

#include <cmath>
#include <string>

#include "engine/core/error.h"
#include "engine/report/base64.h"
#include "engine/report/chart.h"
#include "engine/report/config_table.h"
#include "engine/image/png_encode.h"
#include "engine/report/digit_image.h"
#include "engine/report/heatmap.h"
#include "engine/report/html_document.h"
#include "engine/report/html_escape.h"
#include "engine/report/html_table.h"
#include "tests/support/expect_error.h"
#include "tests/support/html_check.h"

namespace gd::report {
namespace {

const std::string kEvil = "</script><b>\"x\" & 'y'";

// The text of the JSON data block of a rendered document.
std::string data_block(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"gd-report-data\">";
  const size_t a = html.find(open);
  if (a == std::string::npos) return "";
  const size_t b = html.find("</script>", a);
  return html.substr(a + open.size(), b - a - open.size());
}

TEST(ReportEscape, HtmlEscapesEverySpecialCharacter) {
  EXPECT_EQ(html_escape(kEvil), "&lt;/script&gt;&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;");
  EXPECT_EQ(html_escape("plain 1.5% ü"), "plain 1.5% ü");
}

TEST(ReportEscape, JsonForScriptCannotCloseTheScriptAndRoundTrips) {
  const nlohmann::json j = {{"name", kEvil}, {"comment", "<!-- x -->"}, {"sep", "a\u2028b\u2029c"}, {"n", 1.5}};
  const std::string s = json_for_script(j);
  EXPECT_EQ(s.find('<'), std::string::npos) << s;
  EXPECT_EQ(s.find('>'), std::string::npos) << s;
  EXPECT_EQ(s.find("\xE2\x80\xA8"), std::string::npos) << "raw U+2028 left in " << s;
  EXPECT_EQ(s.find("\xE2\x80\xA9"), std::string::npos) << "raw U+2029 left in " << s;
  EXPECT_NE(s.find("\\u003c/script\\u003e"), std::string::npos) << s;
  EXPECT_NE(s.find("\\u2028"), std::string::npos) << s;
  EXPECT_FALSE(unsafe_in_script(s));
  EXPECT_EQ(nlohmann::json::parse(s), j);  // JSON.parse gives the same values back
}

TEST(ReportEscape, InvalidUtf8IsReplacedNotThrown) {
  const nlohmann::json j = {{"bad", std::string("a\xff\xfe" "b")}};
  std::string s;
  ASSERT_NO_THROW(s = json_for_script(j));
  EXPECT_EQ(nlohmann::json::parse(s)["bad"], "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");  // U+FFFD twice
}

TEST(ReportEscape, ScriptSafetyAndSlugs) {
  EXPECT_TRUE(unsafe_in_script("x</SCRIPT >"));
  EXPECT_TRUE(unsafe_in_script("a <!-- b"));
  EXPECT_FALSE(unsafe_in_script("if (a < b && c > d) {}"));
  EXPECT_EQ(slugify("Per-class metrics"), "per-class-metrics");
  EXPECT_EQ(slugify("  </script> B!"), "script-b");
  EXPECT_EQ(slugify("***"), "section");
}

TEST(ReportBase64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(ReportDigitImage, PngRoundTripsThroughADecoder) {
  GrayImage img(5, 3);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<uint8_t>(i * 17);
  const std::string png = encode_png(img);
  ASSERT_GE(png.size(), 8u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  int w = 0, h = 0, ch = 0;
  unsigned char* px = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(png.data()),
                                            static_cast<int>(png.size()), &w, &h, &ch, 1);
  ASSERT_NE(px, nullptr);
  EXPECT_EQ(w, 5);
  EXPECT_EQ(h, 3);
  EXPECT_EQ(ch, 1);
  EXPECT_EQ(std::vector<uint8_t>(px, px + 15), img.pixels);
  stbi_image_free(px);
  EXPECT_EQ(png_data_uri(img).rfind("data:image/png;base64,", 0), 0u);
  EXPECT_TRUE(test::throws_with<ShapeError>([] { encode_png(GrayImage{}); }, {"0x0"}));
}

TEST(ReportDigitImage, SampleImageAveragesChannelsAndChecksTheIndex) {
  Dataset d;
  d.name = "tiny";
  d.n = 2;
  d.channels = 2;
  d.height = 1;
  d.width = 2;
  d.images = {0, 0, 0, 0, 10, 20, 30, 41};  // sample 1: channel 0 = {10, 20}, channel 1 = {30, 41}
  d.labels = {0, 1};
  const GrayImage img = sample_image(d, 1);
  EXPECT_EQ(img.width, 2);
  EXPECT_EQ(img.height, 1);
  EXPECT_EQ(img.pixels, (std::vector<uint8_t>{20, 31}));  // (10+30)/2, (20+41)/2 rounded
  EXPECT_TRUE(test::throws_with<ShapeError>([&] { sample_image(d, 2); }, {"sample 2", "tiny"}));
}

TEST(ReportDocument, TextCannotBreakOutAndTheDataBlockParses) {
  HtmlDocument doc(kEvil);
  doc.set_subtitle(kEvil);
  doc.add_meta(kEvil, kEvil);
  doc.add_headline(kEvil, kEvil, kEvil);
  doc.add_section(kEvil, "<p>trusted body</p>");
  doc.add_section("Second", "<p>two</p>");
  doc.data()["names"] = {kEvil, "a\u2028b"};
  const std::string html = doc.render();

  const test::HtmlCheck c = test::check_html(html);
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(test::count_tags(c, "b"), 0u) << "an injected <b> became an element";
  // Scripts: error hook, JSON data, Chart.js, boot; nothing injected.
  EXPECT_EQ(test::count_tags(c, "script"), 4u);
  EXPECT_EQ(html.find(kEvil), std::string::npos);
  EXPECT_NE(html.find(html_escape(kEvil)), std::string::npos);

  const std::string block = data_block(html);
  ASSERT_FALSE(block.empty());
  const nlohmann::json parsed = nlohmann::json::parse(block);
  EXPECT_EQ(parsed["names"][0], kEvil);
  EXPECT_TRUE(parsed["charts"].is_object());
  // Chart.js travels inline, and the sections are linked from the table of contents.
  EXPECT_NE(html.find("Chart.js v3.9.1"), std::string::npos);
  EXPECT_NE(html.find("href=\"#section-second\""), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos) << "the report must not load anything";
}

TEST(ReportDocument, IdsAreUniqueAndMisuseIsRejected) {
  HtmlDocument doc("t");
  EXPECT_EQ(doc.unique_id("Loss curve"), "loss-curve");
  EXPECT_EQ(doc.unique_id("loss curve"), "loss-curve-2");
  doc.add_chart("c1", nlohmann::json::object());
  EXPECT_TRUE(test::throws_with<Error>([&] { doc.add_chart("c1", nlohmann::json::object()); }, {"c1"}));
  EXPECT_TRUE(test::throws_with<Error>([&] { doc.add_script("var s = '</script>';"); }, {"</script"}));
  EXPECT_EQ(doc.add_section("Same", ""), "section-same");
  EXPECT_EQ(doc.add_section("Same", ""), "section-same-2");
}

TEST(ReportDocument, WritesTheFileAtomically) {
  const std::string path = std::string(GD_BINARY_DIR) + "/tmp-report-html-test.html";
  HtmlDocument doc("written");
  doc.write(path);
  FILE* f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  std::remove(path.c_str());
  EXPECT_TRUE(test::throws_with<Error>([&] { doc.write("/nonexistent-dir-gd/x.html"); }, {"/nonexistent-dir-gd"}));
}

TEST(ReportChart, ConfigurationCarriesSeriesGapsMarkersAndPercentAxes) {
  ChartSpec s;
  s.categories = {"1", "2", "3"};
  s.series.push_back(ChartSeries::line("train", {0.5, NAN, 0.25}, palette::kBlue));
  s.series.push_back(ChartSeries::bar("val", {1, 2, 3}, palette::kOrange));
  s.y_percent = true;
  s.markers.push_back({1, "best", palette::kGreen, true, 0});
  const nlohmann::json c = chart_config(s);
  EXPECT_EQ(c["type"], "line");
  EXPECT_EQ(c["data"]["labels"].size(), 3u);
  EXPECT_EQ(c["data"]["datasets"][0]["data"][0], 0.5);
  EXPECT_TRUE(c["data"]["datasets"][0]["data"][1].is_null()) << "NaN must be a gap";
  EXPECT_EQ(c["data"]["datasets"][1]["type"], "bar");
  EXPECT_EQ(c["options"]["plugins"]["gdMarkers"]["lines"][0]["x"], 1);
  EXPECT_EQ(c["gd"]["percentAxes"][0], "y");

  s.series[0].values.pop_back();
  EXPECT_TRUE(test::throws_with<ShapeError>([&] { chart_config(s); }, {"train", "2 values", "3 categories"}));
}

TEST(ReportChart, LogAxisDropsNonPositiveValues) {
  ChartSpec s;
  s.categories = {"a", "b"};
  s.y_log = true;
  s.series.push_back(ChartSeries::line("lr", {0.0, 0.1}, palette::kPurple));
  const nlohmann::json c = chart_config(s);
  EXPECT_TRUE(c["data"]["datasets"][0]["data"][0].is_null());
  EXPECT_EQ(c["options"]["scales"]["y"]["type"], "logarithmic");
}

TEST(ReportChart, FragmentHasTheCanvasAndRegistersTheConfig) {
  HtmlDocument doc("t");
  ChartSpec s;
  s.categories = {"1"};
  s.series.push_back(ChartSeries::line("x", {1}, palette::kBlue));
  s.caption = kEvil;
  std::string id;
  const std::string frag = add_chart(doc, "My chart", s, &id);
  EXPECT_EQ(id, "my-chart");
  EXPECT_NE(frag.find("data-gd-chart=\"my-chart\""), std::string::npos) << frag;
  EXPECT_NE(frag.find(html_escape(kEvil)), std::string::npos);
  EXPECT_TRUE(doc.data()["charts"].contains("my-chart"));
  EXPECT_EQ(test::check_html(frag).error, "");
}

TEST(ReportHeatmap, ColoursRampFromWhite) {
  EXPECT_EQ(heatmap_color(0.0, true), "rgb(255,255,255)");
  EXPECT_EQ(heatmap_color(0.0, false), "rgb(255,255,255)");
  EXPECT_EQ(heatmap_color(1.0, true), "rgb(29,78,216)");
  EXPECT_EQ(heatmap_color(1.0, false), "rgb(200,30,30)");
  EXPECT_EQ(heatmap_color(7.0, false), heatmap_color(1.0, false));  // clamped
  EXPECT_EQ(heatmap_color(NAN, false), "rgb(255,255,255)");
}

TEST(ReportHeatmap, ConfusionMatrixShowsCountsTotalsAndEscapedNames) {
  // true\pred  a  b        support 3 / 1; predictions 2 / 2
  const ClassificationReport r = classification_report({2, 1, 0, 1}, 2, {"a", kEvil});
  const std::string h = confusion_matrix_heatmap(r, "cm");
  const test::HtmlCheck c = test::check_html(h);
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(test::count_tags(c, "td"), 4u + 2u + 2u + 1u);  // cells, support column, predicted row + its blank corner
  EXPECT_NE(h.find("id=\"cm\""), std::string::npos);
  EXPECT_NE(h.find(html_escape(kEvil)), std::string::npos);
  EXPECT_EQ(h.find(kEvil), std::string::npos);
  // The diagonal cell of class a (recall 2/3) is blue, its error cell (the only one) full red.
  EXPECT_NE(h.find("background:" + heatmap_color(2.0 / 3.0, true)), std::string::npos);
  EXPECT_NE(h.find("background:" + heatmap_color(1.0, false)), std::string::npos);
  EXPECT_NE(h.find("33.3% of true a"), std::string::npos);
}

TEST(ReportHeatmap, SizeMismatchIsRejected) {
  HeatmapSpec s;
  s.id = "h";
  s.row_labels = {"r"};
  s.col_labels = {"c1", "c2"};
  s.cells = {{HeatmapCell{}}};
  EXPECT_TRUE(test::throws_with<ShapeError>([&] { heatmap_table(s); }, {"1 cells", "2 column labels"}));
}

TEST(ReportTable, EscapesCellsAndChecksWidths) {
  HtmlTable t({"name", "value"}, {1});
  t.add_row({kEvil, "1"});
  t.add_summary_row({"total", "2"});
  const std::string h = t.html("tab");
  EXPECT_EQ(test::check_html(h).error, "");
  EXPECT_NE(h.find(html_escape(kEvil)), std::string::npos);
  EXPECT_NE(h.find("<td class=\"num\">1</td>"), std::string::npos) << h;
  EXPECT_NE(h.find("class=\"summary\""), std::string::npos);
  EXPECT_TRUE(test::throws_with<ShapeError>([&] { t.add_row({"only one"}); }, {"1 cells", "2 columns"}));
}

TEST(ReportConfig, FlattensNestedSettingsAndFormatsNumbers) {
  const nlohmann::json j = {{"arch", "mlp"},
                            {"optimizer", {{"lr", 0.05}, {"name", "sgd"}}},
                            {"scale", static_cast<double>(0.1f)},
                            {"epochs", 3},
                            {"mirrors", {"a", "b"}},
                            {"empty", nlohmann::json::object()},
                            {"name", kEvil}};
  const auto rows = flatten_config(j);
  auto value_of = [&](const std::string& k) {
    for (const auto& [key, v] : rows)
      if (key == k) return v;
    return std::string("<missing>");
  };
  EXPECT_EQ(value_of("arch"), "mlp");
  EXPECT_EQ(value_of("optimizer.lr"), "0.05");
  EXPECT_EQ(value_of("optimizer.name"), "sgd");
  EXPECT_EQ(value_of("scale"), "0.1") << "a float setting shows its shortest decimal";
  EXPECT_EQ(value_of("epochs"), "3");
  EXPECT_EQ(value_of("mirrors"), "[\"a\",\"b\"]");
  EXPECT_EQ(value_of("empty"), "{}");
  const std::string h = config_table(j);
  EXPECT_EQ(test::check_html(h).error, "");
  EXPECT_EQ(h.find(kEvil), std::string::npos);
}

TEST(ReportHtmlCheck, TheCheckerCatchesBrokenMarkup) {
  // The well-formedness checker used by the report tests must itself reject bad HTML.
  EXPECT_NE(test::check_html("<div><p>x</div></p>").error, "");
  EXPECT_NE(test::check_html("<div>").error, "");
  EXPECT_NE(test::check_html("<p>a < b</p>").error, "");
  EXPECT_NE(test::check_html("<script>var a = 1;</script><b>x</b></script>").error, "");
  EXPECT_NE(test::check_html("<img src=\"a<b\">").error, "");
  EXPECT_EQ(test::check_html("<!DOCTYPE html><p class=\"a\" hidden>x<br></p><img src=x>").error, "");
}

}  // namespace
}  // namespace gd::report
