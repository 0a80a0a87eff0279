// The workflow's report pieces that need no training: the sealed test set opens once, the
// misclassified-digit record round trips and rejects damaged files, and the HTML report of a
// partly finished workflow is well formed, escapes its text and says which steps have not run.
#include "engine/workflow/workflow_report.h"

#include <gtest/gtest.h>

#include <fstream>

#include "engine/core/error.h"
#include "engine/workflow/misclassified_record.h"
#include "engine/workflow/sealed_test_set.h"
#include "tests/support/expect_error.h"
#include "tests/support/html_check.h"
#include "tests/support/test_support.h"

namespace gd::workflow {
namespace {

Dataset tiny(int64_t n, const std::string& name) {
  Dataset d;
  d.name = name;
  d.n = n;
  d.height = 2;
  d.width = 3;
  d.num_classes = 3;
  d.class_names = {"zero", "one", "two"};
  for (int64_t i = 0; i < n; ++i) {
    for (int p = 0; p < 6; ++p) d.images.push_back(static_cast<uint8_t>(10 * i + p));
    d.labels.push_back(static_cast<uint8_t>(i % 3));
  }
  return d;
}

TEST(SealedTestSet, HidesTheTestSplitAndOpensItOnce) {
  DatasetSplits data;
  data.train = tiny(6, "train");
  data.test = tiny(4, "test");
  int recorded = 0;
  SealedTestSet sealed(data, [&] { ++recorded; });
  EXPECT_EQ(data.test.n, 0);
  EXPECT_TRUE(data.test.images.empty());
  EXPECT_EQ(data.test.height, 2);  // geometry stays for code that checks shapes
  EXPECT_EQ(data.test.num_classes, 3);
  EXPECT_EQ(sealed.size(), 4);
  EXPECT_EQ(recorded, 0);
  const Dataset& t = sealed.open("final evaluation");
  EXPECT_EQ(t.n, 4);
  EXPECT_EQ(t.labels, tiny(4, "test").labels);
  EXPECT_EQ(recorded, 1);
  EXPECT_EQ(sealed.times_opened(), 1);
  EXPECT_TRUE(test::throws_with<Error>([&] { sealed.open("a second look"); }, {"final evaluation", "a second look"}));
  EXPECT_EQ(recorded, 1);
}

// Predictions for tiny(4): samples 1 and 3 are wrong, 3 more confidently.
Predictions wrong_on_1_and_3() {
  Predictions p;
  p.n = 4;
  p.num_classes = 3;
  p.probs = {0.8f,  0.1f, 0.1f,    // true 0 -> 0
             0.6f,  0.3f, 0.1f,    // true 1 -> 0 (conf 0.6)
             0.1f,  0.1f, 0.8f,    // true 2 -> 2
             0.05f, 0.9f, 0.05f};  // true 0 -> 1 (conf 0.9)
  p.label = {0, 0, 2, 1};
  return p;
}

TEST(MisclassifiedRecord, KeepsTheMostConfidentErrorsWithTheirPixels) {
  const Dataset d = tiny(4, "test");
  const MisclassifiedRecord r = select_misclassified_record(wrong_on_1_and_3(), d, 1);
  EXPECT_EQ(r.total_errors, 2);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].index, 3);
  EXPECT_EQ(r.items[0].predicted, 1);
  ASSERT_EQ(r.pixels.size(), 1u);
  EXPECT_EQ(r.pixels[0], (std::vector<uint8_t>{30, 31, 32, 33, 34, 35}));

  test::TempDir dir("workflow-misclassified");
  save_misclassified(select_misclassified_record(wrong_on_1_and_3(), d, 10), dir.file("m.json"));
  const MisclassifiedRecord back = load_misclassified(dir.file("m.json"));
  ASSERT_EQ(back.items.size(), 2u);
  EXPECT_EQ(back.items[0].index, 3);
  EXPECT_EQ(back.items[1].index, 1);
  EXPECT_FLOAT_EQ(static_cast<float>(back.items[1].confidence), 0.6f);
  EXPECT_EQ(back.class_names, d.class_names);
  const Dataset sparse = back.sparse_dataset();
  EXPECT_EQ(sparse.n, 4);
  // Each kept image sits at its original index; the others are black.
  for (int64_t i = 0; i < 4; ++i)
    for (int p = 0; p < 6; ++p)
      EXPECT_EQ(sparse.images[static_cast<size_t>(i * 6 + p)],
                (i == 1 || i == 3) ? d.images[static_cast<size_t>(i * 6 + p)] : 0)
          << i << "," << p;
}

TEST(MisclassifiedRecord, DamagedFilesAreErrorsNamingTheFileAndTheProblem) {
  test::TempDir dir("workflow-misclassified-bad");
  save_misclassified(select_misclassified_record(wrong_on_1_and_3(), tiny(4, "test"), 10), dir.file("m.json"));
  const nlohmann::json good = nlohmann::json::parse(std::ifstream(dir.file("m.json")));
  auto broken = [&](const std::function<void(nlohmann::json&)>& change) {
    nlohmann::json j = good;
    change(j);
    std::ofstream(dir.file("bad.json")) << j.dump();
    return dir.file("bad.json");
  };
  const std::string f = dir.file("bad.json");
  EXPECT_TRUE(test::throws_with<DataError>(
      [&] { load_misclassified(broken([](auto& j) { j["items"][0]["pixels"][2] = 300; })); }, {f, "300"}));
  EXPECT_TRUE(test::throws_with<DataError>(
      [&] { load_misclassified(broken([](auto& j) { j["items"][0]["pixels"].erase(0); })); },
      {f, "5 pixels, expected 6"}));
  EXPECT_TRUE(test::throws_with<DataError>(
      [&] { load_misclassified(broken([](auto& j) { j["items"][0]["index"] = 4; })); }, {f, "index 4"}));
  EXPECT_TRUE(test::throws_with<DataError>(
      [&] { load_misclassified(broken([](auto& j) { j["items"][1]["predicted"] = 3; })); }, {f, "outside [0, 3)"}));
  EXPECT_TRUE(test::throws_with<DataError>([&] { load_misclassified(broken([](auto& j) { j.erase("height"); })); },
                                           {f, "height"}));
  EXPECT_TRUE(test::throws_with<DataError>([&] { load_misclassified(dir.file("absent.json")); }, {"absent.json"}));
}

StepResult problem_step() {
  StepResult s;
  s.id = "problem";
  s.title = "Problem, metric and protocol";
  s.done = "Loaded a <toy> dataset & split it.";
  s.numbers.columns = {{"split", Format::Text}, {"samples", Format::Integer}};
  s.numbers.add_row({"training", 54000});
  s.numbers.add_row({"test", 10000});
  s.decision = "Accuracy decides <b>everything</b> & the test set stays sealed.";
  s.details = {{"dataset", "toy"},
               {"class_names", {"a", "b"}},
               {"train_histogram", {30, 24}},
               {"val_histogram", {3, 3}},
               {"channels", 1},
               {"height", 4},
               {"width", 4},
               {"classes", 2},
               {"train_file_samples", 60},
               {"pixel_mean", 0.1},
               {"pixel_std", 0.3},
               {"val_split", 0.1},
               {"val_seed", 20261121}};
  return s;
}

StepResult baseline_step() {
  StepResult s;
  s.id = "baseline";
  s.title = "Baseline";
  s.done = "Majority class and a softmax regression.";
  s.numbers.columns = {{"model", Format::Text}, {"validation accuracy", Format::Percent}};
  s.numbers.add_row({"majority", 0.5});
  s.numbers.add_row({"fc10", 0.9123});
  History h;
  for (int e = 1; e <= 3; ++e) {
    EpochRecord r;
    r.epoch = e;
    r.train_loss = 1.0 / e;
    r.val_loss = 1.2 / e;
    r.train_accuracy = 0.8 + 0.03 * e;
    r.val_accuracy = 0.79 + 0.03 * e;
    r.lr = 0.05 / e;
    h.add(r);
  }
  s.curves.push_back({"fc10", "/runs/b", h});
  s.decision = "The bar is 91.23%.";
  s.details = {{"majority", {{"val_accuracy", 0.5}}},
               {"majority_name", "a"},
               {"model", {{"spec", "fc10"}, {"val_accuracy", 0.9123}, {"val_loss", 0.3}}},
               {"bar", 0.9123}};
  return s;
}

TEST(WorkflowReport, PartialWorkflowRendersEveryStepInOrderAndSaysWhatIsMissing) {
  WorkflowState st;
  st.settings = {{"dataset", "toy"}, {"budget", "quick"}, {"arch_family", "mlp"},
                 {"seed", 1},        {"sampler", "tpe"},  {"trials", 0}};
  st.budget = {{"epochs", 10}, {"trials", 4}};
  st.put(baseline_step());
  st.put(problem_step());
  const std::string html = build_workflow_report(st).render();
  const test::HtmlCheck check = test::check_html(html);
  ASSERT_EQ(check.error, "") << check.error;

  // Sections in workflow order, the summary first.
  const char* titles[] = {"Summary",
                          "1. Problem, metric and protocol",
                          "2. Baseline",
                          "3. Overfitting on purpose",
                          "4. Regularisation",
                          "5. Hyperparameter tuning",
                          "6. Final evaluation on the test set"};
  size_t at = 0;
  for (const char* t : titles) {
    const size_t p = html.find(std::string(">") + t + "</h2>", at);
    ASSERT_NE(p, std::string::npos) << t << " missing or out of order";
    at = p;
  }
  // The four steps that did not run say so; the two that ran show their decisions, escaped.
  size_t missing = 0;
  for (size_t p = html.find("has not run yet"); p != std::string::npos; p = html.find("has not run yet", p + 1))
    ++missing;
  EXPECT_EQ(missing, 4u);
  EXPECT_NE(html.find("Accuracy decides &lt;b&gt;everything&lt;/b&gt; &amp; the test set"), std::string::npos);
  EXPECT_EQ(html.find("<b>everything</b>"), std::string::npos);
  EXPECT_NE(html.find("Loaded a &lt;toy&gt; dataset"), std::string::npos);
  EXPECT_NE(html.find("The bar is 91.23%."), std::string::npos);
  // Numbers are formatted by their column: 54000 grouped, 0.9123 as a percentage.
  EXPECT_NE(html.find("54,000"), std::string::npos);
  EXPECT_NE(html.find("91.23%"), std::string::npos);
  // The summary has the majority-class and baseline rows; the data block carries the decisions.
  EXPECT_NE(html.find("always &#39;a&#39;"), std::string::npos);
  EXPECT_NE(html.find("\"test_evaluations\":0"), std::string::npos);
  EXPECT_NE(html.find("steps complete"), std::string::npos);
}

TEST(WorkflowReport, AStepWithAnIncompleteRecordIsReportedNotFatal) {
  WorkflowState st;
  st.put(problem_step());
  StepResult b = baseline_step();
  b.details.erase("majority");  // as if workflow.json had been edited by hand
  st.put(b);
  const std::string html = build_workflow_report(st).render();
  EXPECT_EQ(test::check_html(html).error, "");
  EXPECT_NE(html.find("cannot be shown: its record in workflow.json is incomplete"), std::string::npos);
  EXPECT_NE(html.find("Accuracy decides"), std::string::npos) << "the intact step is still shown";
}

TEST(WorkflowReport, WrittenAtomicallyToThePathGiven) {
  test::TempDir dir("workflow-report");
  WorkflowState st;
  st.put(problem_step());
  EXPECT_EQ(write_workflow_report(st, dir.file("r.html")), dir.file("r.html"));
  std::ifstream f(dir.file("r.html"));
  const std::string html((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(test::check_html(html).error, "");
  EXPECT_NE(html.find("1. Problem, metric and protocol"), std::string::npos);
  EXPECT_THROW(write_workflow_report(st, dir.file("no/such/dir/r.html")), Error);
}

}  // namespace
}  // namespace gd::workflow
