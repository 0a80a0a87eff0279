// Assembles the evaluation report (see eval_report.h); one function per section.
#include "engine/report/eval_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/core/error.h"
#include "engine/report/chart.h"
#include "engine/report/config_table.h"
#include "engine/report/heatmap.h"
#include "engine/report/html_fragments.h"
#include "engine/report/html_table.h"
#include "engine/report/learning_curves.h"

namespace gd::report {
namespace {

int64_t correct_count(const ClassificationReport& r) {
  int64_t n = 0;
  for (size_t c = 0; c < r.confusion.size(); ++c) n += r.confusion[c][c];
  return n;
}

std::string curves_section(HtmlDocument& doc, const RunContext* run) {
  if (!run || !run->has_history)
    return absent("No learning curves: the training history is absent (" +
                  (run ? run->history_source : std::string("no run information was given")) + ").");
  std::string h = note("Loss and accuracy after every epoch on the training data (running average over the epoch, "
                       "with dropout and augmentation active) and on the validation split (inference mode). "
                       "Source: " + run->history_source + ".");
  return h + learning_curves(doc, run->history, run->monitor, run->weights_epoch);
}

std::string per_class_section(HtmlDocument& doc, const ClassificationReport& r) {
  const size_t C = static_cast<size_t>(r.num_classes);
  std::vector<double> p(C), rc(C), f(C);
  std::vector<std::string> support_text(C);
  double lowest = 1.0;
  for (size_t c = 0; c < C; ++c) {
    p[c] = r.per_class[c].precision;
    rc[c] = r.per_class[c].recall;
    f[c] = r.per_class[c].f1;
    support_text[c] = "(support " + std::to_string(r.per_class[c].support) + ")";
    lowest = std::min({lowest, p[c], rc[c], f[c]});
  }
  ChartSpec s;
  s.kind = ChartSpec::Kind::Bar;
  s.categories = r.class_names;
  s.series = {ChartSeries::bar("precision", p, palette::kBlue), ChartSeries::bar("recall", rc, palette::kOrange),
              ChartSeries::bar("F1", f, palette::kGreen)};
  s.series[2].tooltip_extra = support_text;
  s.x_title = "class";
  s.y_percent = true;
  s.y_max = 1.0;
  // Start the axis a little below the lowest bar so differences between good classes are visible.
  s.y_min = std::max(0.0, std::floor(lowest * 20.0) / 20.0 - 0.05);
  s.tooltip_digits = 2;
  s.caption = s.y_min > 0 ? "The axis starts at " + percent(s.y_min, 0) + ", not at 0." : "";
  std::string h = add_chart(doc, "per-class-chart", s);

  HtmlTable t({"class", "precision", "recall", "F1", "support"}, {1, 2, 3, 4});
  for (size_t c = 0; c < C; ++c)
    t.add_row({r.class_names[c], fixed(p[c]), fixed(rc[c]), fixed(f[c]), grouped(r.per_class[c].support)});
  t.add_summary_row({"accuracy", "", "", fixed(r.accuracy), grouped(r.total)});
  t.add_summary_row({"macro avg", fixed(r.macro.precision), fixed(r.macro.recall), fixed(r.macro.f1), grouped(r.total)});
  t.add_summary_row(
      {"weighted avg", fixed(r.weighted.precision), fixed(r.weighted.recall), fixed(r.weighted.f1), grouped(r.total)});
  h += t.html("per-class-table");
  h += note("Precision of a class that is never predicted, and recall of a class with no samples, are 0 (no "
            "division by zero); the macro average is the plain mean over all classes, the weighted average "
            "weights each class by its support.");
  return h;
}

std::string confusion_section(const ClassificationReport& r) {
  return note("Rows are true labels, columns predicted labels; each cell counts samples. Blue: correct "
              "(shade = recall of the class). Red: errors (shade = share of the true class, relative to the "
              "largest such share). Hover a cell for its share.") +
         confusion_matrix_heatmap(r, "confusion-matrix");
}

std::string pairs_section(const DetailedEvaluation& e) {
  const ClassificationReport& r = e.report;
  if (e.confused_pairs.empty()) return note("No sample was misclassified.");
  const int64_t errors = r.total - correct_count(r);
  HtmlTable t({"true", "predicted", "count", "% of true class", "% of all errors"}, {2, 3, 4});
  for (const ConfusedPair& p : e.confused_pairs)
    t.add_row({r.class_names[p.true_class], r.class_names[p.predicted_class], grouped(p.count),
               percent(p.share_of_true), errors > 0 ? percent(static_cast<double>(p.count) / errors) : "n/a"});
  return note("The largest off-diagonal cells of the confusion matrix (at most " +
              std::to_string(kDefaultConfusedPairs) + ").") +
         t.html("confused-pairs");
}

std::string calibration_section(HtmlDocument& doc, const DetailedEvaluation& e) {
  const CalibrationSummary& c = e.calibration;
  ChartSpec s;
  s.kind = ChartSpec::Kind::Bar;
  std::vector<double> acc, conf, ideal;
  std::vector<std::string> counts;
  for (const ReliabilityBin& b : c.bins) {
    char label[32];
    std::snprintf(label, sizeof label, "%.2f-%.2f", b.lower, b.upper);
    s.categories.push_back(label);
    acc.push_back(b.count > 0 ? b.accuracy : NAN);
    conf.push_back(b.count > 0 ? b.mean_confidence : NAN);
    ideal.push_back(0.5 * (b.lower + b.upper));
    counts.push_back("(" + std::to_string(b.count) + " samples)");
  }
  s.series = {ChartSeries::bar("accuracy", acc, palette::kBlue),
              ChartSeries::line("mean confidence", conf, palette::kOrange),
              ChartSeries::line("perfect calibration (bin centre)", ideal, palette::kGrey, true)};
  s.series[2].point_radius = 0;
  s.series[0].tooltip_extra = counts;
  s.x_title = "confidence (probability of the predicted class)";
  s.y_title = "accuracy in bin";
  s.y_percent = true;
  s.y_min = 0.0;
  s.y_max = 1.0;
  s.tooltip_digits = 1;
  s.caption = "Reliability diagram: for each confidence bin, the fraction of its samples classified correctly. "
              "Bars below the orange line: over-confident. Empty bins have no bar.";
  std::string h = add_chart(doc, "reliability-chart", s);

  HtmlTable t({"measure", "value"}, {1});
  t.add_row({"expected calibration error (ECE)", fixed(c.ece)});
  t.add_row({"maximum calibration error (MCE)", fixed(c.mce)});
  t.add_row({"mean confidence", percent(c.mean_confidence)});
  t.add_row({"accuracy", percent(c.accuracy)});
  t.add_row({"negative log-likelihood (loss)", fixed(e.loss)});
  t.add_row({"Brier score", fixed(e.brier)});
  HtmlTable bins({"confidence bin", "samples", "mean confidence", "accuracy", "gap"}, {1, 2, 3, 4});
  for (const ReliabilityBin& b : c.bins) {
    if (b.count == 0) continue;
    char range[48], gap[32];
    std::snprintf(range, sizeof range, "(%.3f, %.3f]", b.lower, b.upper);
    std::snprintf(gap, sizeof gap, "%+.4f", b.accuracy - b.mean_confidence);
    bins.add_row({range, grouped(b.count), fixed(b.mean_confidence), fixed(b.accuracy), gap});
  }
  h = grid2(h, t.html("calibration-summary") + note("ECE = sum over bins of (bin size / N) x |accuracy - mean "
                                                    "confidence|, with " + std::to_string(c.num_bins) +
                                                    " equal-width bins over [0, 1]; MCE = the largest gap "
                                                    "over non-empty bins. Lower is better; 0 is perfectly "
                                                    "calibrated."));
  h += "<details><summary>Non-empty bins</summary>\n" + bins.html() + "</details>\n";
  return h;
}

std::string gallery_section(const EvalReportInputs& in) {
  const int64_t wrong = in.eval->report.total - correct_count(in.eval->report);
  if (wrong == 0) return note("No sample was misclassified.");
  if (in.gallery_limit <= 0) return absent("The gallery was turned off (--gallery 0).");
  const std::vector<Misclassified> items = select_misclassified(*in.predictions, in.samples->labels, in.gallery_limit);
  const std::string shown = static_cast<int64_t>(items.size()) < wrong
                                ? "the " + std::to_string(items.size()) + " most confident of " + grouped(wrong) +
                                      " misclassified samples (limit " + std::to_string(in.gallery_limit) + ")"
                                : "all " + grouped(wrong) + " misclassified samples";
  return note("Showing " + shown + ", most confident first: true label (green) -> predicted label (red), the "
              "predicted class's probability and the probability given to the true class. Images are the "
              "model's input pixels before normalisation.") +
         misclassified_gallery(*in.samples, items, in.eval->report.class_names);
}

std::string ensemble_section(const EvalReportInputs& in) {
  HtmlTable t({HtmlTable::Column{"model"}, HtmlTable::Column{"checkpoint", HtmlTable::Align::Left, true},
               HtmlTable::Column{"spec", HtmlTable::Align::Left, true},
               HtmlTable::Column{"parameters", HtmlTable::Align::Right},
               HtmlTable::Column{"accuracy", HtmlTable::Align::Right},
               HtmlTable::Column{"loss", HtmlTable::Align::Right}});
  int64_t params = 0;
  for (size_t i = 0; i < in.members.size(); ++i) {
    const EnsembleMemberRow& m = in.members[i];
    params += m.params;
    t.add_row({"member " + std::to_string(i + 1), m.checkpoint, m.spec, grouped(m.params), percent(m.accuracy, 2),
               fixed(m.loss)});
  }
  t.add_summary_row({"ensemble", "", "mean of the members' probabilities", grouped(params),
                     percent(in.eval->accuracy, 2), fixed(in.eval->loss)});
  return note("Each member evaluated on its own, and the ensemble: the class probabilities of the " +
              std::to_string(in.members.size()) + " members averaged per image" +
              (in.tta_copies > 1 ? ", each member's over " + std::to_string(in.tta_copies) + " shifted copies" : "") +
              ". Every other section describes the ensemble.") +
         t.html("ensemble-members");
}

std::string config_section(const RunContext* run) {
  if (!run || !run->has_config)
    return absent("No run configuration: " + (run ? run->config_source : std::string("no run information was given")) +
                  ".");
  return note("Source: " + run->config_source + ".") + config_table(run->config);
}

}  // namespace

HtmlDocument build_evaluation_report(const EvalReportInputs& in) {
  GD_CHECK(in.model && in.eval && in.predictions && in.samples,
           "build_evaluation_report: model, eval, predictions and samples are required");
  GD_CHECK_SHAPE(in.predictions->n == in.samples->n && in.eval->n == in.samples->n,
                 "build_evaluation_report: " << in.predictions->n << " predictions and an evaluation of "
                                             << in.eval->n << " samples for " << in.samples->n << " samples");
  const DetailedEvaluation& e = *in.eval;
  HtmlDocument doc(in.title);
  const bool ensemble = !in.members.empty();
  const std::string what = ensemble ? "ensemble of " + std::to_string(in.members.size()) + " models" : in.model->spec;
  doc.set_subtitle(what + " on " + in.dataset + " (" + in.split + " split, " + grouped(e.n) + " samples)");
  if (!in.checkpoint.empty()) doc.add_meta(ensemble ? "checkpoints" : "checkpoint", in.checkpoint);
  doc.add_meta("model", what);
  if (in.tta_copies > 1)
    doc.add_meta("test-time augmentation", "probabilities averaged over " + std::to_string(in.tta_copies) +
                                               " copies shifted by up to one pixel");
  doc.add_meta("data", in.dataset + ", " + in.split + " split: " + grouped(e.n) + " samples");
  if (!in.data_source.empty()) doc.add_meta("data source", in.data_source);
  if (!in.device.empty()) doc.add_meta("device", in.device);
  if (in.run && in.run->weights_epoch > 0) doc.add_meta("weights", "epoch " + std::to_string(in.run->weights_epoch));
  if (!ensemble && in.run && !in.run->onnx.path.empty()) doc.add_meta("ONNX export", describe(in.run->onnx));

  const int64_t correct = correct_count(e.report);
  doc.add_headline("accuracy", percent(e.accuracy), grouped(correct) + " of " + grouped(e.n) + " correct");
  doc.add_headline("loss", fixed(e.loss), "mean cross-entropy");
  doc.add_headline("macro F1", fixed(e.report.macro.f1), "weighted " + fixed(e.report.weighted.f1));
  doc.add_headline("ECE", fixed(e.calibration.ece), std::to_string(e.calibration.num_bins) + " bins");
  char flops[48];
  std::snprintf(flops, sizeof flops, "%.2f MFLOPs / sample", in.model->total_flops / 1e6);
  doc.add_headline("parameters", grouped(in.model->total_params), flops);

  if (ensemble) doc.add_section("Ensemble", ensemble_section(in));
  if (!ensemble) doc.add_section("Learning curves", curves_section(doc, in.run));
  doc.add_section("Per-class metrics", per_class_section(doc, e.report));
  doc.add_section("Confusion matrix", confusion_section(e.report));
  doc.add_section("Most confused pairs", pairs_section(e));
  doc.add_section("Calibration", calibration_section(doc, e));
  doc.add_section("Misclassified digits", gallery_section(in));
  doc.add_section(ensemble ? "Model (member 1)" : "Model", model_summary_table(*in.model));
  if (!ensemble) doc.add_section("Configuration", config_section(in.run));

  doc.data()["evaluation"] = detailed_evaluation_to_json(e);
  doc.data()["model"] = model_summary_to_json(*in.model);
  if (ensemble) {
    nlohmann::json members = nlohmann::json::array();
    for (const EnsembleMemberRow& m : in.members)
      members.push_back({{"checkpoint", m.checkpoint}, {"spec", m.spec}, {"params", m.params},
                         {"accuracy", m.accuracy}, {"loss", m.loss}});
    doc.data()["ensemble"] = members;
  }
  doc.data()["tta"] = in.tta_copies;
  return doc;
}

}  // namespace gd::report
