// The evaluation report assembled from hand-built predictions, history and configuration: valid
// HTML with every section, escaped class names, the gallery's selection and order, the best-epoch
// markers, and the notes shown when the history / configuration are absent.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/model/spec.h"
#include "engine/report/eval_report.h"
#include "engine/report/html_escape.h"
#include "engine/report/learning_curves.h"
#include "engine/report/misclassified_gallery.h"
#include "tests/support/expect_error.h"
#include "tests/support/html_check.h"

namespace gd::report {
namespace {

const std::string kEvilClass = "</script><b>one";

// 6 samples of 4x4 images, 3 classes; sample i's image is filled with 40*i.
//   sample  probs             true  pred   wrong?  confidence
//     0     .8  .1  .1         0     0
//     1     .2  .7  .1         0     1      yes     .7
//     2     .1  .3  .6         1     2      yes     .6
//     3     .05 .9  .05        2     1      yes     .9
//     4     .1  .1  .8         2     2
//     5     .6  .3  .1         1     0      yes     .6 (tie with sample 2: lower index first)
struct Fixture {
  Dataset data;
  Predictions pred;
  DetailedEvaluation eval;
  ModelSummary model;
  RunContext run;

  Fixture() {
    data.name = "hand";
    data.n = 6;
    data.height = data.width = 4;
    data.num_classes = 3;
    data.class_names = {"zero", kEvilClass, "two & more"};
    data.labels = {0, 0, 1, 2, 2, 1};
    for (int i = 0; i < 6; ++i) data.images.insert(data.images.end(), 16, static_cast<uint8_t>(40 * i));
    pred.n = 6;
    pred.num_classes = 3;
    pred.probs = {.8f, .1f, .1f, .2f, .7f, .1f, .1f, .3f, .6f, .05f, .9f, .05f, .1f, .1f, .8f, .6f, .3f, .1f};
    pred.label = {0, 1, 2, 1, 2, 0};
    eval = evaluate_predictions(pred, data.labels, data.class_names);
    model.spec = "flatten,fc3";
    model.input_shape = "(1,4,4)";
    model.layers = {{0, "Flatten", "flatten", "(16)", 0, 0.0}, {1, "Dense", "fc3", "(3)", 51, 96.0}};
    model.total_params = 51;
    model.total_flops = 96.0;
    // val_loss is lowest at epoch 2; the evaluated weights are epoch 3's.
    for (int e = 1; e <= 3; ++e)
      run.history.add({e, 1.0 / e, 0.5 + 0.1 * e, e == 2 ? 0.3 : 0.5, 0.6, 0.1 / e, 1.0, 1000.0});
    run.has_history = true;
    run.history_source = "history.json";
    run.has_config = true;
    run.config = {{"arch", "mlp"}, {"optimizer", {{"lr", 0.05}}}, {"note", kEvilClass}};
    run.config_source = "config.json";
    run.weights_epoch = 3;
  }

  EvalReportInputs inputs(bool with_run) const {
    EvalReportInputs in;
    in.checkpoint = "/runs/x/model.ckpt";
    in.dataset = "hand";
    in.split = "test";
    in.device = "cpu";
    in.model = &model;
    in.eval = &eval;
    in.predictions = &pred;
    in.samples = &data;
    in.run = with_run ? &run : nullptr;
    return in;
  }
};

TEST(ReportEval, FullReportIsWellFormedWithEverySection) {
  const Fixture f;
  HtmlDocument doc = build_evaluation_report(f.inputs(true));
  const std::string html = doc.render();
  const test::HtmlCheck c = test::check_html(html);
  ASSERT_EQ(c.error, "");
  size_t last = 0;
  for (const char* id : {"section-learning-curves", "section-per-class-metrics", "section-confusion-matrix",
                         "section-most-confused-pairs", "section-calibration", "section-misclassified-digits",
                         "section-model", "section-configuration"}) {
    const size_t at = html.find(std::string("<section class=\"report-section\" id=\"") + id + "\"");
    ASSERT_NE(at, std::string::npos) << id;
    EXPECT_GT(at, last) << id << " out of order";
    last = at;
  }
  for (const char* chart : {"loss-curve", "accuracy-curve", "lr-curve", "per-class-chart", "reliability-chart"}) {
    EXPECT_TRUE(doc.data()["charts"].contains(chart)) << chart;
    EXPECT_NE(html.find(std::string("data-gd-chart=\"") + chart + "\""), std::string::npos) << chart;
  }
  EXPECT_NE(html.find("id=\"confusion-matrix\""), std::string::npos);
  // Headline numbers: accuracy 2/6, 4 errors.
  EXPECT_NE(html.find("33.33%"), std::string::npos);
  EXPECT_NE(html.find("2 of 6 correct"), std::string::npos);
  // The hostile class name and config value never appear raw, in the markup or the data block.
  EXPECT_EQ(html.find(kEvilClass), std::string::npos);
  EXPECT_NE(html.find(html_escape(kEvilClass)), std::string::npos);
  EXPECT_EQ(test::count_tags(c, "b"), 0u);
  EXPECT_EQ(test::count_tags(c, "script"), 4u);
  // Model and configuration tables.
  EXPECT_NE(html.find("fc3"), std::string::npos);
  EXPECT_NE(html.find("optimizer.lr"), std::string::npos);
}

TEST(ReportEval, GalleryShowsTheMostConfidentErrorsFirst) {
  const Fixture f;
  const auto items = select_misclassified(f.pred, f.data.labels, 3);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].index, 3);  // .9
  EXPECT_EQ(items[1].index, 1);  // .7
  EXPECT_EQ(items[2].index, 2);  // .6, index 2 before index 5
  EXPECT_EQ(items[0].true_label, 2);
  EXPECT_EQ(items[0].predicted, 1);
  EXPECT_NEAR(items[0].confidence, 0.9, 1e-7);   // float probabilities
  EXPECT_NEAR(items[0].true_prob, 0.05, 1e-7);
  EXPECT_EQ(select_misclassified(f.pred, f.data.labels, 100).size(), 4u);
  EXPECT_TRUE(select_misclassified(f.pred, f.data.labels, 0).empty());
  EXPECT_TRUE(test::throws_with<ShapeError>([&] { select_misclassified(f.pred, {0}, 3); }, {"6 predictions"}));

  EvalReportInputs in = f.inputs(true);
  in.gallery_limit = 2;
  const std::string html = build_evaluation_report(in).render();
  const test::HtmlCheck c = test::check_html(html);
  ASSERT_EQ(c.error, "");
  EXPECT_EQ(test::count_tags(c, "img"), 2u);
  EXPECT_LT(html.find("alt=\"sample 3:"), html.find("alt=\"sample 1:"));
  EXPECT_NE(html.find("the 2 most confident of 4 misclassified"), std::string::npos);

  in.gallery_limit = 0;
  const std::string off = build_evaluation_report(in).render();
  EXPECT_NE(off.find("The gallery was turned off"), std::string::npos);
  EXPECT_EQ(off.find("<img"), std::string::npos);
}

TEST(ReportEval, BestEpochAndEvaluatedWeightsAreMarked) {
  const Fixture f;
  HtmlDocument doc = build_evaluation_report(f.inputs(true));
  const nlohmann::json& lines = doc.data()["charts"]["loss-curve"]["options"]["plugins"]["gdMarkers"]["lines"];
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["x"], 1.0);  // epoch 2 is category index 1
  EXPECT_NE(lines[0]["label"].get<std::string>().find("best val_loss (epoch 2)"), std::string::npos);
  EXPECT_EQ(lines[1]["x"], 2.0);
  EXPECT_NE(lines[1]["label"].get<std::string>().find("epoch 3"), std::string::npos);
}

TEST(ReportEval, AbsentHistoryAndConfigurationAreSaid) {
  const Fixture f;
  HtmlDocument doc = build_evaluation_report(f.inputs(false));
  const std::string html = doc.render();
  EXPECT_EQ(test::check_html(html).error, "");
  EXPECT_NE(html.find("No learning curves"), std::string::npos);
  EXPECT_NE(html.find("No run configuration"), std::string::npos);
  EXPECT_FALSE(doc.data()["charts"].contains("loss-curve"));
  EXPECT_TRUE(doc.data()["charts"].contains("per-class-chart"));

  RunContext empty;
  empty.history_source = "no history.json in /somewhere";
  EvalReportInputs in = f.inputs(false);
  in.run = &empty;
  const std::string said = build_evaluation_report(in).render();
  EXPECT_NE(said.find("no history.json in /somewhere"), std::string::npos);
}

TEST(ReportEval, MissingInputsAreRejected) {
  const Fixture f;
  EvalReportInputs in = f.inputs(true);
  in.eval = nullptr;
  EXPECT_TRUE(test::throws_with<Error>([&] { build_evaluation_report(in); }, {"required"}));
  Dataset fewer = f.data;
  fewer.n = 5;
  in = f.inputs(true);
  in.samples = &fewer;
  EXPECT_TRUE(test::throws_with<ShapeError>([&] { build_evaluation_report(in); }, {"6 predictions", "5 samples"}));
}

TEST(ReportLearningCurves, BestEpochByMonitor) {
  History h;
  h.add({1, 1.0, 0.5, 0.40, 0.90, 0.1, 1, 1});
  h.add({2, 0.8, 0.6, NAN, NAN, 0.1, 1, 1});
  h.add({3, 0.6, 0.7, 0.35, 0.95, 0.1, 1, 1});
  h.add({4, 0.5, 0.8, 0.35, 0.95, 0.1, 1, 1});  // ties keep the first
  EXPECT_EQ(best_epoch_by(h, "val_loss"), 3);
  EXPECT_EQ(best_epoch_by(h, "val_accuracy"), 3);
  History no_val;
  no_val.add({1, 1.0, 0.5, NAN, NAN, 0.1, 1, 1});
  EXPECT_EQ(best_epoch_by(no_val, "val_loss"), 0);
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { best_epoch_by(h, "accuracy"); }, {"accuracy"}));

  HtmlDocument doc("t");
  const std::string frag = learning_curves(doc, no_val, "val_loss", 1);
  EXPECT_NE(frag.find("no validation split"), std::string::npos);
  EXPECT_EQ(doc.data()["charts"]["loss-curve"]["data"]["datasets"].size(), 1u) << "no validation series";
  HtmlDocument doc2("t");
  EXPECT_NE(learning_curves(doc2, History{}, "val_loss", 0).find("no epochs"), std::string::npos);
}

TEST(ReportModelSummary, LayersShapesAndParameterCountsOfARealNetwork) {
  CpuBackend be;
  const Shape in{1, 28, 28};
  Network net(be, build_layers("flatten,fc32,relu,fc10", in, 10, 0.0), in, 2);
  const ModelSummary m = summarize_model(net);
  EXPECT_EQ(m.spec, "flatten,fc32,relu,fc10");
  EXPECT_EQ(m.input_shape, "(1,28,28)");
  ASSERT_EQ(m.layers.size(), 4u);
  EXPECT_EQ(m.layers[0].output_shape, "(784)");
  EXPECT_EQ(m.layers[1].params, 784 * 32 + 32);
  EXPECT_EQ(m.layers[2].params, 0);
  EXPECT_EQ(m.layers[3].params, 32 * 10 + 10);
  EXPECT_EQ(m.layers[3].output_shape, "(10)");
  EXPECT_EQ(m.total_params, 784 * 32 + 32 + 32 * 10 + 10);
  double flops = 0.0;
  for (const LayerSummary& l : m.layers) flops += l.flops;
  EXPECT_DOUBLE_EQ(flops, m.total_flops);
  EXPECT_GE(m.layers[1].flops, 2.0 * 784 * 32) << "2 FLOPs per multiply-add";
  const std::string table = model_summary_table(m);
  EXPECT_EQ(test::check_html(table).error, "");
  EXPECT_NE(table.find("25,450"), std::string::npos) << table;  // 784*32 + 32 + 32*10 + 10
  const nlohmann::json j = model_summary_to_json(m);
  EXPECT_EQ(j["layers"].size(), 4u);
  EXPECT_EQ(j["total_params"], 25450);
}

}  // namespace
}  // namespace gd::report
