// A report from a tiny real training run, rendered by headless Chromium: no script errors, every
// chart drawn, and the screenshot has ink where the curves, bars and confusion matrix should be
// (and none where the page is empty). Chromium is installed by ./setup.sh; without it this test
// FAILS (it must not pass silently on a machine that cannot check the report).
#include <gtest/gtest.h>
#include <stb_image.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/backend/cpu_backend.h"
#include "engine/data/registry.h"
#include "engine/model/spec.h"
#include "engine/report/html_document.h"
#include "engine/report/training_report.h"
#include "engine/train/trainer.h"
#include "tests/support/headless_chromium.h"
#include "tests/support/test_support.h"

namespace gd::report {
namespace {

constexpr int kWidth = 1280, kHeight = 4000;  // CSS pixels; device scale factor forced to 1

using test::attribute;
using test::console_lines;
using test::count_pixels;
using test::Image;
using test::ink;
using test::load_png;
using test::missing_chromium;
using test::near_color;
using test::Rect;
using test::Rendered;

// One headless Chromium run at this test's window size (tests/support/headless_chromium.h).
Rendered render(const std::string& html, const test::TempDir& dir, const std::string& tag) {
  return test::render_in_chromium(html, dir, tag, kWidth, kHeight);
}

// The report of a 2-epoch mlp run on 600 mnist-10k digits, rendered once for all tests.
struct RenderedReport {
  test::TempDir dir{"report-render"};
  std::string html_path;
  Rendered page;
  Image shot;
  std::string setup_error;

  RenderedReport() {
    setup_error = missing_chromium();
    if (!setup_error.empty()) return;
    DataOptions o;
    o.dataset = "mnist-10k";
    o.allow_download = false;
    const DatasetSplits data = load_dataset(o);
    TrainConfig c;
    c.arch = "mlp";
    apply_recipe(c, ExplicitFlags{});
    c.epochs = 2;
    c.limit_train = 600;
    c.seed = 11;
    c.spec = resolve_arch(c.arch, 10, c.dropout);
    c.out = dir.file("run");
    validate(c);
    CpuBackend be;
    SilentProgress quiet;
    const TrainResult r = train(c, be, data, quiet);
    html_path = write_training_report(r, c, be, data, dir.file("report.html"), 12);
    page = render(html_path, dir, "report");
    shot = load_png(page.screenshot);
  }
};

const RenderedReport& report() {
  static const RenderedReport r;  // rendered once per process; its TempDir is removed at exit
  return r;
}

#define REQUIRE_RENDERED(r) GD_REQUIRE_RENDERED(r, kWidth)

// One test for both checks: rendering the report (training included) is the expensive part.
TEST(ReportRender, RunsWithoutScriptErrorsAndDrawsCurvesBarsAndConfusionMatrix) {
  const RenderedReport& r = report();
  REQUIRE_RENDERED(r);

  EXPECT_EQ(attribute(r.page.dom, "data-gd-ready"), "1") << "the boot script did not finish";
  EXPECT_EQ(attribute(r.page.dom, "data-gd-errors"), "0") << r.page.dom.substr(0, 2000);
  EXPECT_EQ(attribute(r.page.dom, "data-gd-charts"), "5");  // loss, accuracy, lr, per-class, reliability
  EXPECT_EQ(console_lines(r.page.log), "") << "the page logged to the console";

  const nlohmann::json layout = nlohmann::json::parse(attribute(r.page.dom, "data-gd-layout"));
  auto rect = [&](const char* id) {
    EXPECT_TRUE(layout.contains(id)) << id << " missing from the layout record";
    Rect out;
    if (!layout.contains(id)) return out;
    out = {layout[id]["x"].get<int>(), layout[id]["y"].get<int>(), layout[id]["w"].get<int>(), layout[id]["h"].get<int>()};
    EXPECT_GT(out.w, 200) << id;
    EXPECT_GT(out.h, 100) << id;
    EXPECT_LE(out.y + out.h, r.shot.h) << id << " lies below the screenshot: enlarge kHeight";
    return out;
  };
  const Rect loss = rect("loss-curve"), acc = rect("accuracy-curve"), bars = rect("per-class-chart"),
             rel = rect("reliability-chart"), cm = rect("confusion-matrix");
  // The curves: the train series in blue (#2563eb) and validation in orange (#ea7a0c) are drawn
  // (a 2-px line across the plot is ~1000 pixels; axes and text are grey, not these colours).
  for (const Rect* c : {&loss, &acc}) {
    EXPECT_GE(count_pixels(r.shot, *c, near_color(0x25, 0x63, 0xeb)), 300) << "train curve missing";
    EXPECT_GE(count_pixels(r.shot, *c, near_color(0xea, 0x7a, 0x0c)), 300) << "validation curve missing";
  }
  // Bars are the series colour at 75% opacity over white: blue #2563eb -> (91,138,240), orange
  // #ea7a0c -> (240,155,73). Per-class chart: precision (blue) and recall (orange) bars; the
  // reliability diagram: blue accuracy bars under the orange mean-confidence line.
  EXPECT_GE(count_pixels(r.shot, bars, near_color(91, 138, 240)), 5000) << "precision bars missing";
  EXPECT_GE(count_pixels(r.shot, bars, near_color(240, 155, 73)), 5000) << "recall bars missing";
  EXPECT_GE(count_pixels(r.shot, rel, near_color(91, 138, 240)), 5000) << "reliability bars missing";
  EXPECT_GE(count_pixels(r.shot, rel, near_color(0xea, 0x7a, 0x0c)), 300) << "mean-confidence line missing";
  // Confusion matrix: a blue diagonal (10 cells of ~44x34 px) and some red error cells.
  EXPECT_GE(count_pixels(r.shot, cm, [](int rr, int, int b) { return b - rr > 80; }), 10 * 600) << "blue diagonal missing";
  EXPECT_GE(count_pixels(r.shot, cm, [](int rr, int g, int b) { return rr - b > 30 && rr - g > 30; }), 300)
      << "red error cells missing";
  // Control: the empty page to the right of the matrix is blank, so "ink" above means something.
  const Rect right{cm.x + cm.w + 30, cm.y, 200, cm.h};
  EXPECT_LT(count_pixels(r.shot, right, ink), 50) << "the blank control region has ink";
}

TEST(ReportRender, TheErrorHookRecordsScriptFailures) {
  // Negative control for data-gd-errors="0" above: a report whose script throws must say so.
  test::TempDir dir("report-render-error");
  ASSERT_EQ(missing_chromium(), "");
  HtmlDocument doc("broken");
  doc.add_section("Only", "<p>x</p>");
  doc.add_script("throw new Error('deliberate failure 42');");
  doc.write(dir.file("broken.html"));
  const Rendered page = render(dir.file("broken.html"), dir, "broken");
  ASSERT_EQ(page.status, 0) << page.log;
  EXPECT_EQ(attribute(page.dom, "data-gd-errors"), "1");
  EXPECT_NE(page.dom.find("deliberate failure 42"), std::string::npos) << "the error box does not show the error";
  EXPECT_NE(console_lines(page.log), "") << "Chromium's console log should show the uncaught error too";
}

}  // namespace
}  // namespace gd::report
