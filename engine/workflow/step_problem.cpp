// Step 1, "define the problem and the evaluation protocol": what the data is, how it is split,
// which metric decides, and the promise that the test set stays sealed until the last step.
#include <algorithm>
#include <chrono>
#include <numeric>

#include "engine/report/html_fragments.h"
#include "engine/train/run_splits.h"
#include "engine/workflow/decision_text.h"
#include "engine/workflow/workflow_steps.h"

namespace gd::workflow {
namespace {

std::pair<int64_t, int64_t> min_max(const std::vector<int64_t>& v) {
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return {*lo, *hi};
}

}  // namespace

StepResult run_problem_step(WorkflowContext& ctx) {
  const auto t0 = std::chrono::steady_clock::now();
  const Dataset& file_train = ctx.data.train;
  // The very split every model of the workflow trains and validates on (the trainer rebuilds it
  // from the same configuration: stratified hold-out with the fixed val_seed, then --limit-train).
  const TrainConfig cfg = ctx.trainer.config(softmax_regression(ctx.lr(), 1), ctx.step_dir("problem"));
  const auto [train, val] = run_train_val_split(file_train, cfg);
  const std::vector<int64_t> train_hist = label_histogram(train), val_hist = label_histogram(val);
  const auto [train_min, train_max] = min_max(train_hist);
  const auto [val_min, val_max] = min_max(val_hist);
  const double balance = train_min > 0 ? static_cast<double>(train_max) / static_cast<double>(train_min) : 0.0;

  StepResult s;
  s.id = "problem";
  s.title = "Problem, metric and protocol";
  s.done = "Loaded " + ctx.settings.dataset + " (" + ctx.data.source + "). Held out a stratified " +
           pct(cfg.val_split, 0) + " of the training file as the validation split (fixed seed " +
           std::to_string(cfg.val_seed) + "), the same for every model of the workflow" +
           (ctx.settings.limit_train > 0
                ? "; trained on a fixed random subset of " + count(train.n) + " of the rest (--limit-train)"
                : "") +
           ". The test split was set aside unopened.";
  s.numbers.columns = {{"split", Format::Text},
                       {"samples", Format::Integer},
                       {"smallest class", Format::Integer},
                       {"largest class", Format::Integer},
                       {"used for", Format::Text}};
  s.numbers.add_row({"training", train.n, train_min, train_max, "fitting the weights"});
  s.numbers.add_row({"validation", val.n, val_min, val_max, "every decision: capacity, regularisers, tuning"});
  s.numbers.add_row({"test", ctx.test.size(), nullptr, nullptr, "one final evaluation (sealed until then)"});

  const std::string metric_reason =
      balance > 0 && balance <= 3.0
          ? "the classes are balanced within " + report::fixed(balance, 2) +
                "x in the training split, so accuracy is not dominated by one class"
          : "the classes are imbalanced (largest / smallest = " +
                (balance > 0 ? report::fixed(balance, 2) + "x" : std::string("a class is empty")) +
                "), so the final evaluation reports macro F1 next to accuracy";
  s.decision = "Validation accuracy (with the cross-entropy loss to read the curves) decides every step, because " +
               metric_reason + "; " + count(val.n) + " validation images resolve differences down to " +
               pct(1.0 / static_cast<double>(val.n), 3) + ", and the " + count(ctx.test.size()) +
               " test images stay sealed until the final step.";
  s.details = {{"dataset", ctx.settings.dataset},
               {"source", ctx.data.source},
               {"channels", file_train.channels},
               {"height", file_train.height},
               {"width", file_train.width},
               {"classes", file_train.num_classes},
               {"class_names", file_train.class_names},
               {"train_file_samples", file_train.n},
               {"train_samples", train.n},
               {"val_samples", val.n},
               {"test_samples", ctx.test.size()},
               {"train_histogram", train_hist},
               {"val_histogram", val_hist},
               {"class_balance", balance},
               {"pixel_mean", ctx.data.mean},
               {"pixel_std", ctx.data.std},
               {"val_split", cfg.val_split},
               {"val_seed", cfg.val_seed},
               {"limit_train", ctx.settings.limit_train},
               {"metric", "val_accuracy"}};
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ctx.say("[problem] " + ctx.settings.dataset + ": " + count(train.n) + " training / " + count(val.n) +
          " validation images of " + std::to_string(file_train.height) + "x" + std::to_string(file_train.width) + ", " +
          std::to_string(file_train.num_classes) + " classes; " + count(ctx.test.size()) + " test images sealed");
  return s;
}

}  // namespace gd::workflow
