// The final-evaluation part of the workflow report (workflow_report_parts.h): the final model's
// training curves, per-class metrics, the confusion matrix, calibration and the misclassified
// digits, all read from workflow.json and <out>/final/misclassified.json (the test set itself is
// not opened again).
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "engine/core/error.h"
#include "engine/report/heatmap.h"
#include "engine/report/html_fragments.h"
#include "engine/report/html_table.h"
#include "engine/report/learning_curves.h"
#include "engine/report/misclassified_gallery.h"
#include "engine/train/metrics.h"
#include "engine/workflow/misclassified_record.h"
#include "engine/workflow/workflow_report_parts.h"

namespace gd::workflow::parts {
namespace {

using report::ChartSeries;
using report::ChartSpec;
namespace palette = report::palette;

// The classification report back from its JSON form (report_to_json): the confusion matrix and
// class names determine everything else.
ClassificationReport report_from_json(const nlohmann::json& e) {
  const auto names = e.at("class_names").get<std::vector<std::string>>();
  const auto rows = e.at("confusion_matrix").get<std::vector<std::vector<int64_t>>>();
  std::vector<int64_t> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return classification_report(flat, static_cast<int>(names.size()), names);
}

std::string per_class(const ClassificationReport& r) {
  report::HtmlTable t({"class", "precision", "recall", "F1", "support"}, {1, 2, 3, 4});
  for (int c = 0; c < r.num_classes; ++c) {
    const ClassMetrics& m = r.per_class[static_cast<size_t>(c)];
    t.add_row({r.class_names[static_cast<size_t>(c)], report::fixed(m.precision), report::fixed(m.recall),
               report::fixed(m.f1), report::grouped(m.support)});
  }
  t.add_summary_row({"accuracy", "", "", report::fixed(r.accuracy), report::grouped(r.total)});
  t.add_summary_row({"macro avg", report::fixed(r.macro.precision), report::fixed(r.macro.recall),
                     report::fixed(r.macro.f1), report::grouped(r.total)});
  t.add_summary_row({"weighted avg", report::fixed(r.weighted.precision), report::fixed(r.weighted.recall),
                     report::fixed(r.weighted.f1), report::grouped(r.total)});
  return t.html("final-per-class");
}

std::string calibration(report::HtmlDocument& doc, const nlohmann::json& e) {
  const nlohmann::json& c = e.at("calibration");
  ChartSpec s;
  s.kind = ChartSpec::Kind::Bar;
  std::vector<double> acc, conf, ideal;
  std::vector<std::string> counts;
  for (const nlohmann::json& b : c.at("bins")) {
    const double lo = b.at("lower").get<double>(), hi = b.at("upper").get<double>();
    const int64_t n = b.at("count").get<int64_t>();
    char label[32];
    std::snprintf(label, sizeof label, "%.2f-%.2f", lo, hi);
    s.categories.push_back(label);
    acc.push_back(n > 0 ? b.at("accuracy").get<double>() : NAN);
    conf.push_back(n > 0 ? b.at("mean_confidence").get<double>() : NAN);
    ideal.push_back(0.5 * (lo + hi));
    counts.push_back("(" + std::to_string(n) + " images)");
  }
  s.series = {ChartSeries::bar("accuracy", acc, palette::kBlue),
              ChartSeries::line("mean confidence", conf, palette::kOrange),
              ChartSeries::line("perfect calibration (bin centre)", ideal, palette::kGrey, true)};
  s.series[0].tooltip_extra = counts;
  s.series[2].point_radius = 0;
  s.x_title = "confidence (probability of the predicted class)";
  s.y_title = "accuracy in bin";
  s.y_percent = true;
  s.y_min = 0.0;
  s.y_max = 1.0;
  s.tooltip_digits = 1;
  s.caption = "Reliability diagram of the test predictions: bars below the orange line are over-confident bins.";
  report::HtmlTable t({"measure", "value"}, {1});
  t.add_row({"expected calibration error (ECE)", report::fixed(c.at("ece").get<double>())});
  t.add_row({"maximum calibration error (MCE)", report::fixed(c.at("mce").get<double>())});
  t.add_row({"mean confidence", report::percent(c.at("mean_confidence").get<double>())});
  t.add_row({"accuracy", report::percent(c.at("accuracy").get<double>())});
  t.add_row({"negative log-likelihood (loss)", report::fixed(e.at("loss").get<double>())});
  t.add_row({"Brier score", report::fixed(e.at("brier").get<double>())});
  return report::grid2(report::add_chart(doc, "final-reliability", s), t.html("final-calibration"));
}

std::string gallery(const std::string& path) {
  if (path.empty() || !std::filesystem::exists(path))
    return report::absent("The misclassified digits are not available (" +
                          (path.empty() ? std::string("no file recorded") : path + " is missing") + ").");
  MisclassifiedRecord r;
  try {
    r = load_misclassified(path);
  } catch (const Error& e) {
    return report::absent(std::string("The misclassified digits could not be read: ") + e.what());
  }
  if (r.items.empty()) return report::note("No test image was misclassified.");
  const std::string shown = static_cast<int64_t>(r.items.size()) < r.total_errors
                                ? "the " + std::to_string(r.items.size()) + " most confident of " +
                                      report::grouped(r.total_errors) + " misclassified test images"
                                : "all " + report::grouped(r.total_errors) + " misclassified test images";
  return report::note("Showing " + shown +
                      ": true label -> predicted label, the predicted class's probability and the "
                      "probability of the true class.") +
         report::misclassified_gallery(r.sparse_dataset(), r.items, r.class_names);
}

}  // namespace

std::string final_part(report::HtmlDocument& doc, const StepResult& s) {
  const nlohmann::json& e = s.details.at("evaluation");
  const ClassificationReport r = report_from_json(e);
  std::string h;
  if (!s.curves.empty())
    h += report::subheading("Training of the final model (train + validation, nothing held out)") +
         report::learning_curves(doc, s.curves.front().history, "val_loss", 0);
  h += report::subheading("Per-class metrics on the test set") + per_class(r);
  h += report::subheading("Confusion matrix (test set)") +
       report::note(
           "Rows are true labels, columns predicted labels. Blue: correct (shade = recall); red: errors "
           "(shade = share of the true class, relative to the largest such share).") +
       report::confusion_matrix_heatmap(r, "final-confusion");
  h += report::subheading("Calibration") + calibration(doc, e);
  h += report::subheading("Misclassified digits") + gallery(s.details.value("misclassified", std::string()));
  h += report::note(
      "The full evaluation report of the final model (most confused pairs, all bins, 64 digits, the "
      "model's layers): " +
      s.details.value("evaluation_report", std::string("n/a")) + ".");
  return h;
}

}  // namespace gd::workflow::parts
