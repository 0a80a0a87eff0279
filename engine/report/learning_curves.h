#pragma once
// Learning curves of a training run for reports: loss and accuracy per epoch (train and
// validation) and the learning rate, with the best validation epoch marked, plus the per-epoch
// numbers in a collapsible table.
#include <string>

#include "engine/report/html_document.h"
#include "engine/train/history.h"

namespace gd::report {

// The epoch with the best validation value of `monitor` ("val_loss": lowest, "val_accuracy":
// highest; the first such epoch on ties; NaN epochs skipped). 0 when no epoch has a value.
// Throws ConfigError for another monitor name.
int best_epoch_by(const History& h, const std::string& monitor);

// Registers the charts in `doc` and returns the fragment. Markers: "best <monitor>" at
// best_epoch_by(h, monitor) and, when weights_epoch > 0 differs from it, "weights" at
// weights_epoch (the epoch whose weights were evaluated). An empty history gives a note instead.
std::string learning_curves(HtmlDocument& doc, const History& h, const std::string& monitor, int weights_epoch);

}  // namespace gd::report
