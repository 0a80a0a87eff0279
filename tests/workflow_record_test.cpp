// workflow.json and what goes into it: step results and number tables round trip exactly, damaged
// records are errors naming the problem, steps keep the workflow's order, the resume key ignores
// paths and threads but not the settings that shape results, and budgets and families are checked.
#include <gtest/gtest.h>

#include <fstream>

#include "engine/core/error.h"
#include "engine/workflow/budget.h"
#include "engine/workflow/model_family.h"
#include "engine/workflow/settings.h"
#include "engine/workflow/workflow_state.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_support.h"

namespace gd::workflow {
namespace {

StepResult sample_step(const std::string& id) {
  StepResult s;
  s.id = id;
  s.title = "Title of " + id;
  s.done = "what was done <with markup & quotes \">";
  s.numbers.columns = {
      {"model", Format::Text}, {"accuracy", Format::Percent}, {"gain", Format::Points}, {"n", Format::Integer}};
  s.numbers.add_row({"a", 0.9812345678901234, -0.0025, 54000});
  s.numbers.add_row({"b", nullptr, nullptr, 0});
  History h;
  EpochRecord r;
  r.epoch = 1;
  r.train_loss = 1.0 / 3.0;
  r.val_loss = 0.1;
  h.add(r);
  s.curves.push_back({"curve", "/runs/x", h});
  s.decision = "decided because 98.12% > 97%";
  s.artefacts.push_back({"run", "/runs/x"});
  s.details = {{"chosen_index", 2}, {"nested", {{"k", "v"}}}};
  s.seconds = 12.5;
  return s;
}

TEST(WorkflowRecord, StepResultRoundTripsThroughJson) {
  const StepResult a = sample_step("overfit");
  const StepResult b = StepResult::from_json(nlohmann::json::parse(a.to_json().dump()));
  EXPECT_EQ(b.id, a.id);
  EXPECT_EQ(b.title, a.title);
  EXPECT_EQ(b.done, a.done);
  EXPECT_EQ(b.decision, a.decision);
  EXPECT_EQ(b.details, a.details);
  EXPECT_DOUBLE_EQ(b.seconds, 12.5);
  ASSERT_EQ(b.numbers.columns.size(), 4u);
  EXPECT_EQ(b.numbers.columns[2].second, Format::Points);
  EXPECT_EQ(b.numbers.rows, a.numbers.rows);
  EXPECT_EQ(b.numbers.rows[0][1].get<double>(), 0.9812345678901234);  // exact
  ASSERT_EQ(b.curves.size(), 1u);
  EXPECT_EQ(b.curves[0].history.records()[0].train_loss, 1.0 / 3.0);
  EXPECT_EQ(&b.curve("curve"), &b.curves[0]);
  EXPECT_TRUE(test::throws_with<DataError>([&] { b.curve("other"); }, {"overfit", "other"}));
  ASSERT_EQ(b.artefacts.size(), 1u);
  EXPECT_EQ(b.artefacts[0].path, "/runs/x");
}

TEST(WorkflowRecord, NumberTableRowsMustMatchTheColumns) {
  NumberTable t;
  t.columns = {{"a", Format::Text}, {"b", Format::Fixed}};
  EXPECT_THROW(t.add_row({"only one"}), ShapeError);
  nlohmann::json bad = sample_step("baseline").numbers.to_json();
  bad["rows"][0].erase(0);
  EXPECT_TRUE(test::throws_with<DataError>([&] { NumberTable::from_json(bad); }, {"3 cells for 4 columns"}));
  bad = sample_step("baseline").numbers.to_json();
  bad["columns"][0]["format"] = "colourful";
  EXPECT_TRUE(test::throws_with<DataError>([&] { NumberTable::from_json(bad); }, {"colourful"}));
}

TEST(WorkflowRecord, DamagedStepsNameTheStepAndTheField) {
  nlohmann::json j = sample_step("regularise").to_json();
  j.erase("decision");
  EXPECT_TRUE(test::throws_with<DataError>([&] { StepResult::from_json(j); }, {"regularise", "decision"}));
  j = sample_step("tune").to_json();
  j["curves"][0]["history"] = "not a history";
  EXPECT_TRUE(test::throws_with<DataError>([&] { StepResult::from_json(j); }, {"tune"}));
  j = sample_step("tune").to_json();
  j["details"] = 3;
  EXPECT_TRUE(test::throws_with<DataError>([&] { StepResult::from_json(j); }, {"details"}));
  EXPECT_TRUE(test::throws_with<DataError>([&] { StepResult::from_json(nlohmann::json::array()); }, {"'?'"}));
}

TEST(WorkflowRecord, StepsKeepTheWorkflowOrderAndReplaceEarlierResults) {
  WorkflowState st;
  st.put(sample_step("tune"));
  st.put(sample_step("problem"));
  st.put(sample_step("overfit"));
  StepResult again = sample_step("problem");
  again.decision = "second";
  st.put(again);
  ASSERT_EQ(st.steps.size(), 3u);
  EXPECT_EQ(st.steps[0].id, "problem");
  EXPECT_EQ(st.steps[0].decision, "second");
  EXPECT_EQ(st.steps[1].id, "overfit");
  EXPECT_EQ(st.steps[2].id, "tune");
  EXPECT_EQ(st.find("baseline"), nullptr);
  EXPECT_TRUE(test::throws_with<DataError>([&] { st.get("final"); }, {"final", "not completed"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { st.put(sample_step("celebrate")); }, {"celebrate"}));
}

TEST(WorkflowRecord, SavedRecordLoadsBackAndBadFilesAreErrors) {
  test::TempDir dir("workflow-record");
  WorkflowState st;
  st.settings = {{"dataset", "mnist-10k"}, {"seed", 3}};
  st.budget = to_json(budget_named("quick"));
  st.test_evaluations = 1;
  st.put(sample_step("final"));
  st.put(sample_step("baseline"));
  save_workflow_state(st, dir.file("workflow.json"));
  const WorkflowState back = load_workflow_state(dir.file("workflow.json"));
  EXPECT_EQ(back.settings, st.settings);
  EXPECT_EQ(back.budget, st.budget);
  EXPECT_EQ(back.test_evaluations, 1);
  ASSERT_EQ(back.steps.size(), 2u);
  EXPECT_EQ(back.steps[0].id, "baseline");
  EXPECT_EQ(back.steps[1].id, "final");

  auto write = [&](const std::string& text) {
    std::ofstream(dir.file("bad.json")) << text;
    return dir.file("bad.json");
  };
  EXPECT_TRUE(test::throws_with<DataError>([&] { load_workflow_state(dir.file("missing.json")); }, {"missing.json"}));
  EXPECT_TRUE(test::throws_with<DataError>([&] { load_workflow_state(write("{\"format\": ")); },
                                           {"bad.json", "not valid JSON"}));
  EXPECT_TRUE(test::throws_with<DataError>([&] { load_workflow_state(write("{\"format\": \"other\"}")); },
                                           {"bad.json", "not a gpu_workflow record"}));
  nlohmann::json j = st.to_json();
  j["version"] = 99;
  EXPECT_TRUE(test::throws_with<DataError>([&] { load_workflow_state(write(j.dump())); }, {"version 99"}));
  j = st.to_json();
  j["steps"].push_back(j["steps"][0]);
  EXPECT_TRUE(test::throws_with<DataError>([&] { load_workflow_state(write(j.dump())); }, {"appears twice"}));
  j = st.to_json();
  j["test_evaluations"] = -1;
  EXPECT_TRUE(test::throws_with<DataError>([&] { load_workflow_state(write(j.dump())); }, {"negative"}));
  j = st.to_json();
  j["steps"][0]["id"] = "party";
  EXPECT_TRUE(test::throws_with<DataError>([&] { load_workflow_state(write(j.dump())); }, {"party"}));
}

TEST(WorkflowSettings, ResumeKeyIgnoresWhereAndHowFastButNotWhat) {
  WorkflowSettings a;
  WorkflowSettings b = a;
  b.out = "elsewhere";
  b.report = "r.html";
  b.threads = 7;
  b.data_dir = "/data";
  b.cache_dir = "/cache";
  b.allow_download = false;
  b.verbose = true;
  EXPECT_TRUE(settings_differences(result_settings(a), result_settings(b)).empty());
  // Through a JSON round trip (as stored in workflow.json) the key still matches.
  EXPECT_TRUE(settings_differences(nlohmann::json::parse(result_settings(a).dump()), result_settings(a)).empty());

  WorkflowSettings c = a;
  c.seed = 2;
  c.budget = "quick";
  const std::vector<std::string> d = settings_differences(result_settings(a), result_settings(c));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], "budget: \"standard\" -> \"quick\"");
  EXPECT_EQ(d[1], "seed: 1 -> 2");
  nlohmann::json older = result_settings(a);
  older.erase("sampler");
  EXPECT_EQ(settings_differences(older, result_settings(a)),
            (std::vector<std::string>{"sampler: (absent) -> \"tpe\""}));
}

TEST(WorkflowSettings, ValidateNamesTheFlagAndTheValue) {
  auto bad = [](auto change, std::initializer_list<std::string> needles) {
    WorkflowSettings s;
    change(s);
    return test::throws_with<ConfigError>([&] { validate(s); }, needles);
  };
  EXPECT_TRUE(bad([](WorkflowSettings& s) { s.dataset = "cifar10"; }, {"--dataset", "cifar10"}));
  EXPECT_TRUE(bad([](WorkflowSettings& s) { s.budget = "huge"; }, {"--budget", "huge"}));
  EXPECT_TRUE(bad([](WorkflowSettings& s) { s.arch_family = "rnn"; }, {"--arch-family", "rnn"}));
  EXPECT_TRUE(bad([](WorkflowSettings& s) { s.device = "tpu"; }, {"--device", "tpu"}));
  EXPECT_TRUE(bad([](WorkflowSettings& s) { s.limit_train = -1; }, {"--limit-train", "-1"}));
  EXPECT_TRUE(bad([](WorkflowSettings& s) { s.val_split = 0; }, {"--val-split", "(0, 1)"}));
  EXPECT_TRUE(bad([](WorkflowSettings& s) { s.sampler = "grid"; }, {"--sampler", "grid"}));
  EXPECT_TRUE(bad([](WorkflowSettings& s) { s.trials = 1; }, {"--trials 1"}));
  EXPECT_TRUE(bad([](WorkflowSettings& s) { s.trials = -3; }, {"--trials", "-3"}));
  EXPECT_TRUE(bad([](WorkflowSettings& s) { s.overfit_margin = 0; }, {"--overfit-margin"}));
  EXPECT_TRUE(bad([](WorkflowSettings& s) { s.threads = -1; }, {"--threads"}));
  EXPECT_TRUE(bad([](WorkflowSettings& s) { s.out = ""; }, {"--out"}));
  WorkflowSettings ok;
  EXPECT_NO_THROW(validate(ok));
  EXPECT_EQ(report_path(ok), "runs/workflow/report.html");
  ok.report = "x.html";
  EXPECT_EQ(report_path(ok), "x.html");
}

TEST(WorkflowBudget, BudgetsGrowAndUnknownNamesAreErrors) {
  const WorkflowBudget q = budget_named("quick"), s = budget_named("standard"), f = budget_named("full");
  EXPECT_LT(q.epochs, s.epochs);
  EXPECT_LT(s.epochs, f.epochs);
  EXPECT_LE(q.trials, s.trials);
  EXPECT_LT(s.trials, f.trials);
  for (const WorkflowBudget* b : {&q, &s, &f}) {
    EXPECT_TRUE(std::is_sorted(b->mlp_widths.begin(), b->mlp_widths.end())) << b->name;
    EXPECT_TRUE(std::is_sorted(b->cnn_channels.begin(), b->cnn_channels.end())) << b->name;
    EXPECT_GE(b->mlp_widths.size(), 3u) << b->name;
    EXPECT_GE(b->trials, 2) << b->name;  // the regularised model plus at least one sampled trial
    EXPECT_GE(b->tune_width_up, 1.0) << b->name;
  }
  EXPECT_EQ(budget_names(), (std::vector<std::string>{"quick", "standard", "full"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([] { budget_named("Quick"); }, {"--budget", "Quick"}));
  EXPECT_EQ(to_json(s).at("epochs"), s.epochs);
}

TEST(WorkflowFamily, RegularisationDescriptionsAndCombination) {
  Regularisation none;
  EXPECT_EQ(none.describe(), "none");
  Regularisation d;
  d.dropout = 0.3;
  Regularisation a;
  a.augment = true;
  a.weight_decay = 5e-4;
  const Regularisation c = combine(d, a);
  EXPECT_EQ(c.describe(), "dropout 0.3 + weight decay 0.0005 + augmentation");
  const Regularisation back = Regularisation::from_json(c.to_json());
  EXPECT_EQ(back.dropout, 0.3);
  EXPECT_EQ(back.weight_decay, 5e-4);
  EXPECT_TRUE(back.augment);
  EXPECT_FALSE(back.batchnorm);
  EXPECT_TRUE(test::throws_with<DataError>([] { Regularisation::from_json({{"dropout", 0.1}}); }, {"weight_decay"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([] { parse_arch_family("lcnn"); }, {"--arch-family", "lcnn"}));
}

}  // namespace
}  // namespace gd::workflow
