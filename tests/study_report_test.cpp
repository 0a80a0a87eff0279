// The study report (engine/report/study_report.h and the study_* pieces): the summary facts, the
// parameter axes and their ticks, and whole reports of studies built through StudyStorage in a
// temporary SQLite file: well-formed, every section present, hostile names and values escaped,
// tiny studies (0, 1, 2 trials; all failed; none complete) saying "not enough trials", a 500-trial
// study staying compact, an unreadable search space, and the atomic write.
#include "engine/report/study_report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/core/error.h"
#include "engine/report/study_parallel_coords.h"
#include "engine/report/study_params.h"
#include "engine/report/study_summary.h"
#include "engine/tune/asha.h"
#include "engine/tune/search_space.h"
#include "engine/tune/trial_config.h"
#include "tests/support/expect_error.h"
#include "tests/support/html_check.h"
#include "tests/support/test_support.h"

namespace gd::report {
namespace {

using nlohmann::json;
using tune::Trial;

const char* kSpaceToml = R"(
description = "optimiser, lr, momentum, depth"
[params.optimizer]
type = "categorical"
choices = ["sgd", "adam"]
[params.lr]
type = "float"
low = 1e-4
high = 0.3
log = true
[params.momentum]
type = "float"
low = 0.0
high = 0.99
when = { optimizer = "sgd" }
[params.layers]
type = "int"
low = 1
high = 3
[params.epochs]
type = "fixed"
value = 6
)";

// The text of the JSON data block of a rendered document, parsed.
json data_block(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"gd-report-data\">";
  const size_t a = html.find(open);
  if (a == std::string::npos) return json();
  const size_t b = html.find("</script>", a);
  return json::parse(html.substr(a + open.size(), b - a - open.size()));
}

std::set<std::string> chart_ids(const std::string& html) {
  std::set<std::string> ids;
  const json charts = data_block(html)["charts"];
  for (auto it = charts.begin(); it != charts.end(); ++it) ids.insert(it.key());
  return ids;
}

// The body of the section with id `id` (from its <section> tag to the next one).
std::string section(const std::string& html, const std::string& id) {
  const size_t a = html.find("<section class=\"report-section\" id=\"" + id + "\"");
  if (a == std::string::npos) return "";
  return html.substr(a, html.find("</section>", a) - a);
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

const std::vector<std::string> kSections = {"section-final-evaluation",     "section-best-trials",
                                            "section-optimisation-history", "section-intermediate-values",
                                            "section-parallel-coordinates", "section-parameter-importance",
                                            "section-slice-plots",          "section-failed-trials",
                                            "section-search-space",         "section-all-trials"};

// A study in a temporary SQLite file, filled through the worker API (ask, report, tell_*).
struct StudyFixture {
  test::TempDir dir{"study-report"};
  tune::StudyStorage st{dir.file("study.db")};
  tune::Study study;

  explicit StudyFixture(const std::string& name = "mlp-lr", const char* toml = kSpaceToml,
                        tune::Direction d = tune::Direction::Maximize, const std::string& metric = "val_accuracy") {
    tune::ObjectiveConfig oc;
    oc.metric = metric;
    oc.max_epochs = 6;
    study = st.create_study(name, d, tune::SearchSpace::from_toml_string(toml, "test").to_json(), tune::to_json(oc));
  }
  Trial start(const json& params, const std::string& sampler = "tpe") {
    return st.ask(study, [params](const std::vector<Trial>&) { return params; }, sampler, "cpu");
  }
  // Reports `curve` (epoch 1, 2, ...) and completes with its last value.
  Trial complete(const json& params, const std::vector<double>& curve, const std::string& sampler = "tpe",
                 const json& attrs = json::object()) {
    Trial t = start(params, sampler);
    for (size_t e = 0; e < curve.size(); ++e) st.report(t, static_cast<int>(e + 1), curve[e]);
    st.tell_complete(t, curve.back(), attrs);
    return t;
  }
  Trial prune(const json& params, const std::vector<double>& curve, bool asha = false) {
    Trial t = start(params);
    for (size_t e = 0; e + 1 < curve.size(); ++e) st.report(t, static_cast<int>(e + 1), curve[e]);
    st.tell_pruned(t, static_cast<int>(curve.size()), curve.back(),
                   asha ? tune::AshaPruner::pause_attrs(0, "") : json{{"pruned_by", "median"}});
    return t;
  }
  Trial fail(const json& params, const std::string& reason) {
    Trial t = start(params);
    st.report(t, 1, 0.5);
    st.tell_failed(t, reason);
    return t;
  }
  std::string html() { return build_study_report(study, st.trial_records(study), st.study_attr(study, "final"), st.path()).render(); }
};

json sgd(double lr, double momentum, int layers) {
  return {{"optimizer", "sgd"}, {"lr", lr}, {"momentum", momentum}, {"layers", layers}, {"epochs", 6}};
}
json adam(double lr, int layers) { return {{"optimizer", "adam"}, {"lr", lr}, {"layers", layers}, {"epochs", 6}}; }

// ---- summary ------------------------------------------------------------------------------------

TEST(StudySummary, CountsRanksAndNamesSamplers) {
  StudyFixture f;
  f.complete(sgd(0.01, 0.9, 1), {0.90, 0.93}, "random");                                     // 0
  f.complete(adam(0.001, 2), {0.91, 0.95}, "coarse-fine", {{"proposer", "gp"}});            // 1
  f.complete(adam(0.002, 3), {0.92, 0.95});                                                 // 2: ties with 1
  f.prune(sgd(0.2, 0.5, 1), {0.5, 0.6});                                                    // 3
  f.prune(adam(0.0002, 1), {0.7}, true);                                                    // 4: paused
  f.fail(sgd(0.3, 0.99, 2), "diverged: nan");                                               // 5
  Trial running = f.start(adam(0.05, 2));                                                    // 6
  const auto records = f.st.trial_records(f.study);
  const StudySummary s = summarize_study(f.study, records, std::nullopt);
  EXPECT_EQ(s.total, 7);
  EXPECT_EQ(s.complete, 3);
  EXPECT_EQ(s.pruned, 1);
  EXPECT_EQ(s.paused, 1);
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.running, 1);
  ASSERT_EQ(s.ranking.size(), 3u);
  // 0.95, 0.95 (tie: the earlier trial first), 0.93
  EXPECT_EQ(records[s.ranking[0]].trial.number, 1);
  EXPECT_EQ(records[s.ranking[1]].trial.number, 2);
  EXPECT_EQ(records[s.ranking[2]].trial.number, 0);
  ASSERT_TRUE(s.best.has_value());
  EXPECT_EQ(*s.best, s.ranking[0]);
  EXPECT_EQ(sampler_label(records[1].trial), "coarse-fine/gp");
  EXPECT_EQ(s.samplers.front(), (std::pair<std::string, int>("tpe", 5)));  // most used first
  EXPECT_EQ(s.samplers.size(), 3u);
  EXPECT_EQ(trial_status(records[4].trial), TrialStatus::Paused);
  EXPECT_EQ(trial_status(records[3].trial), TrialStatus::Pruned);
  EXPECT_EQ(trial_epochs(records[0].trial), 2);
  EXPECT_TRUE(s.objective.percent);
  EXPECT_EQ(s.objective.format(0.97314), "97.31%");
  EXPECT_EQ(s.objective.max_epochs, 6);
  EXPECT_FALSE(s.final_model.present);
}

TEST(StudySummary, MinimisingRanksLowerFirstAndTimesFallBackToAttrs) {
  StudyFixture f("loss", kSpaceToml, tune::Direction::Minimize, "val_loss");
  f.complete(adam(0.001, 1), {0.30});
  f.complete(adam(0.002, 1), {0.10});
  f.complete(adam(0.003, 1), {0.20});
  const auto records = f.st.trial_records(f.study);
  const StudySummary s = summarize_study(f.study, records, std::nullopt);
  ASSERT_EQ(s.ranking.size(), 3u);
  EXPECT_EQ(records[s.ranking[0]].trial.number, 1);
  EXPECT_EQ(records[s.ranking[2]].trial.number, 0);
  EXPECT_FALSE(s.objective.percent);
  EXPECT_EQ(s.objective.format(0.123456), "0.1235");
  EXPECT_EQ(s.objective.metric_label(), "validation loss");

  Trial t;
  t.attrs = {{"seconds", 4.5}};
  EXPECT_EQ(trial_seconds(t), 4.5);
  t.duration_s = 7.0;
  EXPECT_EQ(trial_seconds(t), 7.0);  // the storage's wall time wins
  EXPECT_EQ(format_duration(12.44), "12.4 s");
  EXPECT_EQ(format_duration(200), "3 min 20 s");
  EXPECT_EQ(format_duration(3725), "1 h 02 min");
}

TEST(StudySummary, FinalEvaluationPresentStaleOrMalformed) {
  const json good = {{"trial_number", 3}, {"test_accuracy", 0.97}, {"test_loss", 0.1}, {"epochs", 6},
                     {"validation_value", 0.96}, {"params", {{"lr", 0.01}}}, {"run_dir", "runs/x"}};
  FinalEvaluation f = final_evaluation(good);
  EXPECT_TRUE(f.present);
  EXPECT_EQ(f.trial_number, 3);
  EXPECT_EQ(f.test_accuracy, 0.97);
  EXPECT_FALSE(final_evaluation(std::nullopt).present);
  EXPECT_TRUE(final_evaluation(std::nullopt).problem.empty());
  json bad = good;
  bad["test_accuracy"] = 97.0;  // a percentage, not a fraction
  f = final_evaluation(bad);
  EXPECT_FALSE(f.present);
  EXPECT_NE(f.problem.find("test_accuracy"), std::string::npos) << f.problem;
  EXPECT_NE(final_evaluation(json("text")).problem.find("not a JSON object"), std::string::npos);

  StudyFixture s;
  s.complete(adam(0.001, 1), {0.90});
  s.complete(adam(0.002, 1), {0.95});
  json stale = good;
  stale["trial_number"] = 0;  // retrained before trial 1 beat it
  const StudySummary sum = summarize_study(s.study, s.st.trial_records(s.study), stale);
  EXPECT_TRUE(sum.final_model.present);
  EXPECT_TRUE(sum.final_model.stale);
}

// ---- parameter axes -----------------------------------------------------------------------------

TEST(StudyParams, ReadTheSpaceInOrderWithConditionsAndPositions) {
  const tune::SearchSpace space = tune::SearchSpace::from_toml_string(kSpaceToml, "test");
  const StudyParams p = study_params(space.to_json(), {});
  EXPECT_EQ(p.source_note, "");
  EXPECT_EQ(p.space_description, "optimiser, lr, momentum, depth");
  ASSERT_EQ(p.params.size(), 4u);  // the fixed "epochs" is not an axis
  ASSERT_EQ(p.fixed.size(), 1u);
  EXPECT_EQ(p.fixed[0].name, "epochs");
  EXPECT_EQ(p.fixed[0].value_text, "6");
  EXPECT_EQ(fixed_epochs(p), 6);
  const StudyParam &opt = p.params[0], &lr = p.params[1], &mom = p.params[2], &layers = p.params[3];
  EXPECT_EQ(opt.name, "optimizer");
  EXPECT_FALSE(opt.numeric());
  EXPECT_TRUE(lr.log);
  EXPECT_TRUE(mom.conditional);
  EXPECT_EQ(mom.condition_text, "optimizer = sgd");
  EXPECT_TRUE(layers.integer);
  EXPECT_EQ(lr.range_text, "float [0.0001, 0.3], log");
  // Positions: categorical levels evenly spaced, log axes in log space, clamped, NaN when absent.
  EXPECT_EQ(axis_position(opt, "sgd"), 0.0);
  EXPECT_EQ(axis_position(opt, "adam"), 1.0);
  EXPECT_TRUE(std::isnan(axis_position(opt, "lion")));
  EXPECT_NEAR(axis_position(lr, std::sqrt(1e-4 * 0.3)), 0.5, 1e-12);
  EXPECT_EQ(axis_position(lr, 5.0), 1.0);
  EXPECT_TRUE(std::isnan(axis_position(lr, -1.0)));
  EXPECT_TRUE(std::isnan(axis_position(mom, json())));
  EXPECT_EQ(axis_position(layers, 2), 0.5);
  EXPECT_EQ(param_value_text(0.000316227766), "0.000316228");
  EXPECT_EQ(param_value_text(true), "true");
  EXPECT_EQ(param_value_text(json()), "");
}

TEST(StudyParams, AxisTicksShowRealValues) {
  const StudyParams p = study_params(tune::SearchSpace::from_toml_string(kSpaceToml, "test").to_json(), {});
  auto labels = [](const std::vector<AxisTick>& ticks) {
    std::vector<std::string> out;
    for (const AxisTick& t : ticks) out.push_back(t.label);
    return out;
  };
  EXPECT_EQ(labels(parameter_axis_ticks(p.params[0])), (std::vector<std::string>{"sgd", "adam"}));
  // Log axis: both ends and every power of ten between them, at their log positions.
  const std::vector<AxisTick> lr = parameter_axis_ticks(p.params[1]);
  EXPECT_EQ(labels(lr), (std::vector<std::string>{"0.0001", "0.001", "0.01", "0.1", "0.3"}));
  EXPECT_NEAR(lr[2].y, std::log(1e-2 / 1e-4) / std::log(0.3 / 1e-4), 1e-12);
  // Linear axis: round steps of 0.25 inside [0, 0.99]; conditional: an "inactive" level first.
  const std::vector<AxisTick> mom = parameter_axis_ticks(p.params[2]);
  EXPECT_EQ(labels(mom), (std::vector<std::string>{"inactive", "0", "0.25", "0.5", "0.75", "0.99"}));
  EXPECT_EQ(mom[0].y, kInactiveLevel);
  EXPECT_EQ(labels(parameter_axis_ticks(p.params[3])), (std::vector<std::string>{"1", "2", "3"}));
}

TEST(StudyParams, AnUnreadableSpaceIsInferredFromTheTrials) {
  // The object form some old studies stored ({"lr": {...}}) is not SearchSpace JSON.
  const json space = {{"lr", {{"type", "float"}, {"low", 1e-4}, {"high", 1.0}}}};
  std::vector<Trial> trials(3);
  trials[0].params = {{"lr", 0.01}, {"opt", "adam"}};
  trials[1].params = {{"lr", 0.1}, {"opt", "sgd"}, {"width", 64}};
  trials[2].params = {{"lr", 0.001}, {"opt", "adam"}};
  const StudyParams p = study_params(space, trials);
  EXPECT_NE(p.source_note.find("could not be read"), std::string::npos) << p.source_note;
  ASSERT_EQ(p.params.size(), 3u);
  const StudyParam &lr = p.params[0], &opt = p.params[1], &width = p.params[2];
  EXPECT_TRUE(lr.numeric());
  EXPECT_EQ(lr.low, 0.001);
  EXPECT_EQ(lr.high, 0.1);
  EXPECT_FALSE(opt.numeric());
  EXPECT_EQ(opt.levels, (std::vector<json>{"adam", "sgd"}));
  EXPECT_TRUE(width.conditional);
  EXPECT_TRUE(width.integer);
}

// ---- whole reports ------------------------------------------------------------------------------

// A study with 10 complete trials (importance needs 8), a pruned, a paused, a failed and a running
// one, and a final evaluation.
void fill_study(StudyFixture& f) {
  for (int i = 0; i < 10; ++i) {
    const double lr = std::pow(10.0, -4.0 + 0.35 * i);
    const double q = 0.9 + 0.05 * std::exp(-std::pow(std::log10(lr) + 2.0, 2));
    const json p = i % 2 ? adam(lr, 1 + i % 3) : sgd(lr, 0.1 * i, 1 + i % 3);
    f.complete(p, {q - 0.03, q - 0.01, q}, i < 4 ? "random" : "tpe");
  }
  f.prune(sgd(0.25, 0.3, 2), {0.5, 0.55});
  f.prune(adam(0.0003, 2), {0.8}, true);
  f.fail(sgd(0.29, 0.95, 3), "diverged: objective value nan reported at step 1");
  f.start(adam(0.004, 3));
}

TEST(StudyReport, HasEverySectionAndIsWellFormed) {
  StudyFixture f;
  fill_study(f);
  const auto best = f.st.best_trial(f.study);
  f.st.set_study_attr(f.study, "final", {{"trial_number", best->number}, {"params", best->params},
                                         {"validation_value", *best->value}, {"test_accuracy", 0.9612},
                                         {"test_loss", 0.12}, {"epochs", 6}, {"run_dir", "runs/tune/final"}});
  const std::string html = f.html();
  const test::HtmlCheck c = test::check_html(html);
  ASSERT_EQ(c.error, "");
  for (const std::string& id : kSections) EXPECT_NE(section(html, id), "") << id << " missing";
  EXPECT_NE(html.find("Trial " + std::to_string(best->number) +
                      " retrained on train+validation, test accuracy 96.12% (test set used once, after selection)."),
            std::string::npos);
  EXPECT_EQ(html.find("Not enough trials"), std::string::npos) << "a full study has enough for every section";
  EXPECT_NE(html.find("maximise validation accuracy \xC2\xB7 mlp on mnist-10k \xC2\xB7 6 epochs per trial (fixed in the search space)"),
            std::string::npos);
  EXPECT_NE(html.find("10 complete \xC2\xB7 1 pruned \xC2\xB7 1 paused \xC2\xB7 1 failed \xC2\xB7 1 running"), std::string::npos);
  const std::set<std::string> charts = chart_ids(html);
  for (const char* id : {"optimization-history", "intermediate-values", "parallel-coordinates", "parameter-importance",
                         "slice-optimizer", "slice-lr", "slice-momentum", "slice-layers"})
    EXPECT_EQ(charts.count(id), 1u) << id;
  EXPECT_EQ(charts.size(), 8u);
  // The best trials table lists the 10 complete trials, best first, with a blank momentum for adam.
  EXPECT_EQ(count(section(html, "section-best-trials"), "<tr"), 11u);  // header + 10 rows
  const json data = data_block(html)["study"];
  EXPECT_EQ(data["trials"]["complete"], 10);
  EXPECT_EQ(data["trials"]["pruned"], 1);
  EXPECT_EQ(data["trials"]["paused"], 1);
  EXPECT_EQ(data["trials"]["failed"], 1);
  EXPECT_EQ(data["trials"]["running"], 1);
  EXPECT_EQ(data["best"]["trial"], best->number);
  EXPECT_EQ(data["final"]["trial"], best->number);
  ASSERT_TRUE(data.contains("importance"));
  EXPECT_EQ(data["importance"]["params"].size(), 4u);
  // lr drives the objective (a bump around 0.01): it ranks first.
  EXPECT_EQ(data["importance"]["params"][0]["param"], "lr");
  // The failed trial and its reason; the parallel-coordinate plugin script is inlined once.
  EXPECT_NE(section(html, "section-failed-trials").find("diverged: objective value nan reported at step 1"), std::string::npos);
  size_t plugins = 0;
  for (const std::string& s : c.scripts) plugins += s.find("id: 'gdParallelAxes'") != std::string::npos ? 1 : 0;
  EXPECT_EQ(plugins, 1u);
}

TEST(StudyReport, EscapesHostileNamesAndValues) {
  // The hostile choice sits in a parameter the engine does not interpret (a space may not give
  // "optimizer" a value that is no optimizer: search_space.cpp refuses it when loading).
  const std::string evil_choice = "</script><img src=x onerror=alert(1)>";
  const std::string toml = std::string(R"(
description = "<b>space</b>"
[params.style]
type = "categorical"
choices = ["sgd", ")") + "</script><img src=x onerror=alert(1)>" + R"("]
[params.lr]
type = "float"
low = 0.001
high = 0.1
)";
  StudyFixture f("<script>alert('study')</script>", toml.c_str());
  for (int i = 0; i < 9; ++i)
    f.complete({{"style", i % 2 ? "sgd" : evil_choice}, {"lr", 0.001 + 0.01 * i}}, {0.8 + 0.01 * i}, "<i>tpe</i>");
  f.fail({{"style", evil_choice}, {"lr", 0.05}}, "<b>bold</b> & \"quoted\" 'single'");
  const std::string html = f.html();
  const test::HtmlCheck c = test::check_html(html);
  ASSERT_EQ(c.error, "");
  for (const char* raw : {"<img src=x", "<script>alert", "<b>bold", "<i>tpe", "<b>space"})
    EXPECT_EQ(html.find(raw), std::string::npos) << raw << " reached the page unescaped";
  EXPECT_NE(html.find("&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; &#39;single&#39;"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;study&#39;)&lt;/script&gt;"), std::string::npos);
  // Every script element is one we wrote: the error hook, the data block, Chart.js, the boot
  // script and the parallel-axes plugin.
  EXPECT_EQ(c.scripts.size(), 5u);
  // The data block carries the values intact (escaped for the script element, not altered).
  const json charts = data_block(html)["charts"];
  ASSERT_TRUE(charts.contains("slice-style"));
  EXPECT_EQ(charts["slice-style"]["options"]["scales"]["x"]["labels"][1], evil_choice);
}

struct TinyCase {
  const char* name;
  int complete, failed, pruned, running;
  std::vector<std::string> not_enough;  // sections that must say "Not enough trials"
  size_t charts;
};

class TinyStudy : public ::testing::TestWithParam<TinyCase> {};

TEST_P(TinyStudy, EverySectionRendersAndSaysWhatIsMissing) {
  const TinyCase& tc = GetParam();
  StudyFixture f;
  for (int i = 0; i < tc.complete; ++i) f.complete(adam(0.001 * (i + 1), 1 + i % 3), {0.8, 0.85 + 0.01 * i});
  for (int i = 0; i < tc.failed; ++i) f.fail(sgd(0.01 * (i + 1), 0.5, 1), "worker crashed");
  for (int i = 0; i < tc.pruned; ++i) f.prune(sgd(0.1, 0.5, 2), {0.6, 0.62});
  for (int i = 0; i < tc.running; ++i) f.start(adam(0.05, 2));
  const std::string html = f.html();
  const test::HtmlCheck c = test::check_html(html);
  ASSERT_EQ(c.error, "");
  for (const std::string& id : kSections) EXPECT_NE(section(html, id), "") << id;
  for (const std::string& id : tc.not_enough)
    EXPECT_NE(section(html, id).find("Not enough trials"), std::string::npos) << id << " should say so";
  EXPECT_EQ(chart_ids(html).size(), tc.charts);
  EXPECT_NE(section(html, "section-final-evaluation").find("No final evaluation yet"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    EdgeCases, TinyStudy,
    ::testing::Values(
        TinyCase{"Empty", 0, 0, 0, 0,
                 {"section-best-trials", "section-optimisation-history", "section-intermediate-values",
                  "section-parallel-coordinates", "section-parameter-importance", "section-slice-plots"},
                 0},
        // One complete (adam) trial: history, curves and a slice for optimizer, lr and layers
        // (momentum is inactive with adam: its slice says so), no parallel plot yet.
        TinyCase{"OneComplete", 1, 0, 0, 0, {"section-parallel-coordinates", "section-parameter-importance"}, 5},
        TinyCase{"TwoComplete", 2, 0, 0, 0, {"section-parameter-importance"}, 6},
        // Failed trials reported epoch 1 before failing: their curves are shown, nothing else.
        TinyCase{"AllFailed", 0, 3, 0, 0,
                 {"section-best-trials", "section-optimisation-history", "section-parallel-coordinates",
                  "section-parameter-importance", "section-slice-plots"},
                 1},
        // A pruned trial has a value (history) and a curve; the running one has neither yet.
        TinyCase{"NoneComplete", 0, 0, 1, 1,
                 {"section-best-trials", "section-parallel-coordinates", "section-parameter-importance",
                  "section-slice-plots"},
                 2}),
    [](const ::testing::TestParamInfo<TinyCase>& i) { return std::string(i.param.name); });

TEST(StudyReport, FiveHundredTrialsStayCompact) {
  // Built in memory (500 SQLite transactions would only slow the test down): 6 parameters, 20
  // epochs each, a mix of states.
  const char* toml = R"(
[params.optimizer]
type = "categorical"
choices = ["sgd", "adam", "adamw", "rmsprop"]
[params.lr]
type = "float"
low = 1e-5
high = 1.0
log = true
[params.momentum]
type = "float"
low = 0.0
high = 0.99
when = { optimizer = ["sgd", "rmsprop"] }
[params.batch_size]
type = "int"
low = 16
high = 512
step = 16
[params.dropout]
type = "float"
low = 0.0
high = 0.7
[params.width]
type = "int"
low = 32
high = 2048
log = true
)";
  tune::Study study;
  study.name = "big";
  study.space = tune::SearchSpace::from_toml_string(toml, "big").to_json();
  study.config = tune::to_json(tune::ObjectiveConfig{});
  const std::vector<double> u = test::random_vector(500 * 8, 17, 0.0, 1.0);
  const char* opts[] = {"sgd", "adam", "adamw", "rmsprop"};
  std::vector<tune::TrialRecord> records;
  for (int i = 0; i < 500; ++i) {
    tune::TrialRecord r;
    Trial& t = r.trial;
    t.id = i + 1;
    t.number = i;
    const std::string opt = opts[i % 4];
    t.params = {{"optimizer", opt},
                {"lr", std::pow(10.0, -5.0 + 5.0 * u[8 * i])},
                {"batch_size", 16 * (1 + static_cast<int>(31.99 * u[8 * i + 1]))},
                {"dropout", 0.7 * u[8 * i + 2]},
                {"width", static_cast<int>(std::round(std::exp(std::log(32) + u[8 * i + 3] * std::log(64.0))))}};
    if (opt == "sgd" || opt == "rmsprop") t.params["momentum"] = 0.99 * u[8 * i + 4];
    t.sampler = i < 20 ? "random" : "tpe";
    t.duration_s = 30 + 10 * u[8 * i + 5];
    const int epochs = i % 10 == 3 ? 4 : 20;
    for (int e = 1; e <= epochs; ++e) t.intermediate.emplace_back(e, 0.9 + 0.004 * e * u[8 * i + 6]);
    t.state = i % 10 == 3 ? tune::TrialState::Pruned : i % 25 == 7 ? tune::TrialState::Failed : tune::TrialState::Complete;
    if (t.state == tune::TrialState::Failed) t.fail_reason = "diverged";
    else t.value = t.intermediate.back().second;
    records.push_back(r);
  }
  const std::string html = build_study_report(study, records, std::nullopt, "").render();
  EXPECT_LT(html.size(), 3u * 1024 * 1024) << "the report of 500 trials should stay under 3 MB";
  const test::HtmlCheck c = test::check_html(html);
  ASSERT_EQ(c.error, "");
  EXPECT_EQ(chart_ids(html).size(), 4u + 6u);
  const json data = data_block(html)["study"];
  EXPECT_EQ(data["trials"]["total"], 500);
  EXPECT_EQ(data["importance"]["params"].size(), 6u);
  // The best-trials table stops at 10 rows; the all-trials table has all 500.
  EXPECT_EQ(count(section(html, "section-best-trials"), "<tr"), 11u);  // header + 10 rows
  EXPECT_EQ(count(section(html, "section-all-trials"), "<tr"), 501u);
  EXPECT_NE(section(html, "section-all-trials").find("All 500 trials"), std::string::npos);
}

TEST(StudyReport, AnUnreadableSpaceStillReports) {
  StudyFixture f;
  tune::Study odd = f.study;
  odd.space = {{"lr", {{"type", "float"}}}};  // not the SearchSpace JSON form
  f.complete(adam(0.001, 1), {0.9});
  f.complete(adam(0.01, 2), {0.92});
  const std::string html = build_study_report(odd, f.st.trial_records(f.study), std::nullopt, "").render();
  ASSERT_EQ(test::check_html(html).error, "");
  EXPECT_NE(section(html, "section-search-space").find("inferred from the trials"), std::string::npos);
  EXPECT_EQ(chart_ids(html).count("slice-lr"), 1u);
}

TEST(StudyReport, WritesAtomicallyIntoANewDirectory) {
  StudyFixture f;
  f.complete(adam(0.001, 1), {0.9});
  const std::string path = f.dir.file("reports/nested/study.html");
  EXPECT_EQ(write_study_report(f.st, f.study, path), path);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str().rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(test::check_html(ss.str()).error, "");
  for (const auto& e : std::filesystem::directory_iterator(f.dir.file("reports/nested")))
    EXPECT_EQ(e.path().filename(), "study.html") << "a temporary file was left behind";
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { write_study_report(f.st, f.study, ""); }, {"empty"}));
  std::ofstream(f.dir.file("blocker")) << "x";
  EXPECT_TRUE(test::throws_with<Error>([&] { write_study_report(f.st, f.study, f.dir.file("blocker/r.html")); },
                                       {"blocker"}));
}

}  // namespace
}  // namespace gd::report
