// Loss / accuracy / learning-rate curves from a History (see learning_curves.h).
#include "engine/report/learning_curves.h"

#include <cmath>
#include <cstdio>

#include "engine/core/error.h"
#include "engine/report/chart.h"
#include "engine/report/html_fragments.h"
#include "engine/report/html_table.h"

namespace gd::report {

int best_epoch_by(const History& h, const std::string& monitor) {
  GD_CHECK_T(monitor == "val_loss" || monitor == "val_accuracy", ConfigError,
             "learning curves: monitor must be val_loss or val_accuracy, got '" << monitor << "'");
  const bool maximise = monitor == "val_accuracy";
  int best = 0;
  double best_value = 0.0;
  for (const EpochRecord& r : h.records()) {
    const double v = maximise ? r.val_accuracy : r.val_loss;
    if (std::isnan(v)) continue;
    if (best == 0 || (maximise ? v > best_value : v < best_value)) {
      best = r.epoch;
      best_value = v;
    }
  }
  return best;
}

std::string learning_curves(HtmlDocument& doc, const History& h, const std::string& monitor, int weights_epoch) {
  const auto& recs = h.records();
  if (recs.empty()) return absent("The training history has no epochs.");
  std::vector<std::string> epochs;
  std::vector<double> tl, vl, ta, va, lr;
  bool has_val = false;
  for (const EpochRecord& r : recs) {
    epochs.push_back(std::to_string(r.epoch));
    tl.push_back(r.train_loss);
    vl.push_back(r.val_loss);
    ta.push_back(r.train_accuracy);
    va.push_back(r.val_accuracy);
    lr.push_back(r.lr);
    has_val = has_val || !std::isnan(r.val_loss) || !std::isnan(r.val_accuracy);
  }
  auto index_of = [&](int epoch) {
    for (size_t i = 0; i < recs.size(); ++i)
      if (recs[i].epoch == epoch) return static_cast<double>(i);
    return -1.0;
  };
  std::vector<ChartMarker> markers;
  const int best = best_epoch_by(h, monitor);
  if (best > 0)
    markers.push_back({index_of(best), "best " + monitor + " (epoch " + std::to_string(best) + ")", palette::kGreen, true, 0});
  if (weights_epoch > 0 && weights_epoch != best && index_of(weights_epoch) >= 0)
    markers.push_back({index_of(weights_epoch), "evaluated weights (epoch " + std::to_string(weights_epoch) + ")",
                       palette::kGrey, true, 1});

  auto curve = [&](const std::string& hint, const std::string& y_title, const std::vector<double>& train,
                   const std::vector<double>& val, bool pct) {
    ChartSpec s;
    s.kind = ChartSpec::Kind::Line;
    s.categories = epochs;
    s.x_title = "epoch";
    s.y_title = y_title;
    s.y_percent = pct;
    s.markers = markers;
    s.series.push_back(ChartSeries::line("train", train, palette::kBlue));
    if (has_val) s.series.push_back(ChartSeries::line("validation", val, palette::kOrange));
    s.tooltip_digits = pct ? 2 : 4;
    return add_chart(doc, hint, s);
  };
  std::string out = grid2(curve("loss-curve", "cross-entropy loss", tl, vl, false),
                          curve("accuracy-curve", "accuracy", ta, va, true));
  if (!has_val) out += note("The run had no validation split (--val-split 0): only training curves are shown.");

  ChartSpec lr_spec;
  lr_spec.categories = epochs;
  lr_spec.x_title = "epoch";
  lr_spec.y_title = "learning rate";
  lr_spec.caption = "Learning rate at the last optimiser step of each epoch.";
  lr_spec.series.push_back(ChartSeries::line("learning rate", lr, palette::kPurple));
  lr_spec.height_px = 200;
  lr_spec.tooltip_digits = 6;
  lr_spec.markers = markers;
  out += add_chart(doc, "lr-curve", lr_spec);

  HtmlTable t({"epoch", "train loss", "train acc", "val loss", "val acc", "lr", "seconds", "samples/s"},
              {0, 1, 2, 3, 4, 5, 6, 7});
  for (const EpochRecord& r : recs) {
    char lr_text[32];
    std::snprintf(lr_text, sizeof lr_text, "%.3g", r.lr);
    t.add_row({std::to_string(r.epoch), fixed(r.train_loss), percent(r.train_accuracy), fixed(r.val_loss),
               percent(r.val_accuracy), lr_text, fixed(r.seconds, 1), std::isfinite(r.samples_per_sec) ? grouped(std::llround(r.samples_per_sec)) : "n/a"});
  }
  out += "<details><summary>Per-epoch numbers</summary>\n" + t.html() + "</details>\n";
  return out;
}

}  // namespace gd::report
