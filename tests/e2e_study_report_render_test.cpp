// The study report rendered by headless Chromium: a 40-trial study (complete, median-pruned,
// ASHA-paused, failed and running trials; a conditional parameter; a final evaluation) built through
// StudyStorage in a temporary SQLite file. Checks: no script error, every chart drawn (each
// canvas's rectangle in the screenshot has ink, in the colours its data should have), the
// parallel-coordinate axis plugin ran, and a blank control region stays blank. Chromium is
// installed by ./setup.sh; without it this test FAILS (it must not pass silently on a machine that
// cannot check the report).
#include <gtest/gtest.h>
#include <stb_image.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/report/study_report.h"
#include "engine/tune/asha.h"
#include "engine/tune/search_space.h"
#include "engine/tune/study_storage.h"
#include "engine/tune/trial_config.h"
#include "tests/support/headless_chromium.h"
#include "tests/support/test_support.h"

namespace gd::report {
namespace {

using nlohmann::json;
using tune::Trial;

constexpr int kWidth = 1280, kHeight = 7000;  // CSS pixels; device scale factor forced to 1

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

// A deterministic pseudo-random number in [0, 1) from an integer (a 64-bit mix).
double hash01(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return static_cast<double>(x >> 11) / 9007199254740992.0;
}

constexpr int kTrials = 40;
const char* kSpaceToml = R"(
description = "MLP: optimiser, learning rate, depth"
[params.optimizer]
type = "categorical"
choices = ["sgd", "adam", "rmsprop"]
[params.lr]
type = "float"
low = 1e-4
high = 0.3
log = true
[params.momentum]
type = "float"
low = 0.0
high = 0.99
when = { optimizer = ["sgd", "rmsprop"] }
[params.layers]
type = "int"
low = 1
high = 3
[params.dropout]
type = "float"
low = 0.0
high = 0.5
)";

// A study whose objective rises with lr towards 0.01, is best with adam, and grows with epochs.
// Trials 0..39: every 7th is pruned by the median rule at epoch 3, every 11th is paused at ASHA
// rung 0 (epoch 1), every 13th fails, the last one stays running; the others complete 6 epochs.
struct BuiltStudy {
  test::TempDir dir{"study-report-render"};
  std::string db, html;
  int params = 5;
};

void build_study(BuiltStudy& b) {
  b.db = b.dir.file("study.db");
  tune::StudyStorage st(b.db);
  const tune::SearchSpace space = tune::SearchSpace::from_toml_string(kSpaceToml, "render-test");
  tune::ObjectiveConfig oc;
  oc.max_epochs = 6;
  const tune::Study s = st.create_study("render <study>", tune::Direction::Maximize, space.to_json(), tune::to_json(oc));
  const char* opts[] = {"sgd", "adam", "rmsprop"};
  for (int i = 0; i < kTrials; ++i) {
    json p = {{"optimizer", opts[i % 3]},
              {"lr", std::exp(std::log(1e-4) + hash01(3 * i) * (std::log(0.3) - std::log(1e-4)))},
              {"layers", 1 + i % 3},
              {"dropout", 0.5 * hash01(5 * i + 1)}};
    if (i % 3 != 1) p["momentum"] = 0.99 * hash01(7 * i + 2);
    Trial t = st.ask(s, [p](const std::vector<Trial>&) { return p; }, i < 10 ? "random" : "tpe", "cpu");
    const double quality = 1.0 - std::fabs(std::log10(p["lr"].get<double>()) + 2.0) / 2.5 + (i % 3 == 1 ? 0.2 : 0.0);
    auto value_at = [&](int epoch) { return 0.80 + 0.12 * quality * (1.0 - std::exp(-epoch / 2.0)) + 0.01 * hash01(11 * i + epoch); };
    const json attrs = {{"seconds", 2.0 + i % 5}};
    if (i == kTrials - 1) {  // running
      st.report(t, 1, value_at(1));
      continue;
    }
    if (i % 13 == 5) {
      st.report(t, 1, value_at(1));
      st.tell_failed(t, "diverged: loss became nan at epoch 2 <b>&", attrs);
      continue;
    }
    if (i % 11 == 3) {
      st.report(t, 1, value_at(1));
      json a = tune::AshaPruner::pause_attrs(0, "");
      a.merge_patch(attrs);
      st.tell_pruned(t, 1, value_at(1), a);
      continue;
    }
    const int epochs = i % 7 == 4 ? 3 : 6;
    for (int e = 1; e <= epochs; ++e) st.report(t, e, value_at(e));
    if (epochs == 3) {
      json a = attrs;
      a["pruned_by"] = "median";
      st.tell_pruned(t, 3, value_at(3), a);
    } else {
      st.tell_complete(t, value_at(6), attrs);
    }
  }
  const auto best = st.best_trial(s);
  st.set_study_attr(s, "final", {{"trial_number", best->number}, {"params", best->params},
                                 {"validation_value", *best->value}, {"test_accuracy", 0.9712}, {"test_loss", 0.0934},
                                 {"epochs", 6}, {"run_dir", "runs/tune/final"}});
  b.html = write_study_report(st, s, b.dir.file("study.html"));
}

struct RenderedStudy {
  BuiltStudy built;
  Rendered page;
  Image shot;
  std::string setup_error;
  RenderedStudy() {
    setup_error = missing_chromium();
    if (!setup_error.empty()) return;
    build_study(built);
    page = render(built.html, built.dir, "study");
    shot = load_png(page.screenshot);
  }
};

const RenderedStudy& rendered() {
  static const RenderedStudy r;
  return r;
}

#define REQUIRE_RENDERED(r) GD_REQUIRE_RENDERED(r, kWidth)

TEST(StudyReportRender, RunsWithoutScriptErrorsAndDrawsEveryChart) {
  const RenderedStudy& r = rendered();
  REQUIRE_RENDERED(r);
  EXPECT_EQ(attribute(r.page.dom, "data-gd-ready"), "1") << "the boot script did not finish";
  EXPECT_EQ(attribute(r.page.dom, "data-gd-errors"), "0") << r.page.dom.substr(0, 3000);
  // history, intermediate values, parallel coordinates, importance, one slice per parameter
  EXPECT_EQ(attribute(r.page.dom, "data-gd-charts"), std::to_string(4 + r.built.params));
  EXPECT_EQ(console_lines(r.page.log), "") << "the page logged to the console";
  // The parallel-coordinate plugin drew the parameters' axes and the objective's.
  const size_t pc = r.page.dom.find("id=\"parallel-coordinates\"");
  ASSERT_NE(pc, std::string::npos);
  const size_t tag_start = r.page.dom.rfind('<', pc);
  EXPECT_EQ(attribute(r.page.dom.substr(tag_start, r.page.dom.find('>', pc) - tag_start), "data-gd-axes-drawn"),
            std::to_string(r.built.params + 1));

  const json layout = json::parse(attribute(r.page.dom, "data-gd-layout"));
  auto rect = [&](const std::string& id) {
    Rect out;
    EXPECT_TRUE(layout.contains(id)) << id << " missing from the layout record";
    if (!layout.contains(id)) return out;
    out = {layout[id]["x"].get<int>(), layout[id]["y"].get<int>(), layout[id]["w"].get<int>(), layout[id]["h"].get<int>()};
    EXPECT_GT(out.w, 200) << id;
    EXPECT_GT(out.h, 150) << id;
    EXPECT_LE(out.y + out.h, r.shot.h) << id << " lies below the screenshot: enlarge kHeight";
    return out;
  };
  // Every chart canvas has ink; a plot area with only axes and labels has far fewer dark pixels
  // than the ~2000 that a few dozen points or lines give.
  for (const std::string id : {"optimization-history", "intermediate-values", "parallel-coordinates",
                               "parameter-importance", "slice-optimizer", "slice-lr", "slice-momentum", "slice-layers",
                               "slice-dropout"}) {
    const Rect c = rect(id);
    EXPECT_GE(count_pixels(r.shot, c, ink), 2000) << id << " looks blank";
  }
  // Colours of the data: the best-so-far step line and the best trial's lines are red (#dc2626);
  // complete trials blue (#2563eb); pruned curves orange (#ea7a0c at 55% over white); importance
  // bars blue at 75% over white (91,138,240); the slices' best-trial star red at 40% fill with a
  // red border.
  const auto red = near_color(0xdc, 0x26, 0x26, 50);
  EXPECT_GE(count_pixels(r.shot, rect("optimization-history"), red), 300) << "best-so-far line missing";
  EXPECT_GE(count_pixels(r.shot, rect("optimization-history"), near_color(0x25, 0x63, 0xeb)), 100) << "trial points missing";
  EXPECT_GE(count_pixels(r.shot, rect("intermediate-values"), red), 200) << "best trial's curve missing";
  EXPECT_GE(count_pixels(r.shot, rect("intermediate-values"), near_color(0xf0, 0xac, 0x6c, 45)), 30) << "pruned curves missing";
  EXPECT_GE(count_pixels(r.shot, rect("parallel-coordinates"), red), 300) << "best trial's polyline missing";
  EXPECT_GE(count_pixels(r.shot, rect("parameter-importance"), near_color(91, 138, 240)), 1000) << "importance bars missing";
  EXPECT_GE(count_pixels(r.shot, rect("slice-lr"), red), 20) << "best-trial star missing";
  // Control: the page margin left of the content column is blank, so "ink" above means something.
  const Rect pcr = rect("parallel-coordinates");
  const Rect margin{0, pcr.y, pcr.x - 8, pcr.h};
  ASSERT_GT(margin.w, 20);
  EXPECT_LT(count_pixels(r.shot, margin, ink), 50) << "the blank control region has ink";
}

}  // namespace
}  // namespace gd::report
