// Step 2, "beat a baseline": the accuracy of always predicting the most frequent training class
// (computed on the validation split, not assumed to be 10%) and of a softmax regression trained
// briefly. The better of the two is the bar every later model must clear.
#include <chrono>

#include "engine/train/run_splits.h"
#include "engine/workflow/decision_text.h"
#include "engine/workflow/majority_baseline.h"
#include "engine/workflow/workflow_steps.h"

namespace gd::workflow {

StepResult run_baseline_step(WorkflowContext& ctx) {
  const auto t0 = std::chrono::steady_clock::now();
  const ModelPoint point = softmax_regression(ctx.lr(), ctx.budget.baseline_epochs);
  const std::string dir = ctx.step_dir("baseline") + "/softmax-regression";
  const auto [train, val] = run_train_val_split(ctx.data.train, ctx.trainer.config(point, dir));
  const MajorityBaseline majority = majority_class_baseline(train, val);
  const std::string majority_name = train.class_names.empty()
                                        ? std::to_string(majority.majority_class)
                                        : train.class_names[static_cast<size_t>(majority.majority_class)];
  ctx.say("[baseline] majority class '" + majority_name + "': " + pct(majority.val_accuracy) +
          " of the validation split");
  const ModelRun model = ctx.trainer.run("baseline", "softmax regression (fc10)", point, dir);

  StepResult s;
  s.id = "baseline";
  s.title = "Baseline";
  s.done = "Measured the accuracy of always answering the most frequent training class ('" + majority_name + "', " +
           count(majority.train_count) + " of " + count(majority.train_total) +
           " training images) on the validation split, and trained a softmax regression (one dense layer, " +
           count(model.parameters) + " weights) for " + std::to_string(model.epochs) + " epochs.";
  s.numbers.columns = {{"model", Format::Text},
                       {"parameters", Format::Integer},
                       {"epochs", Format::Integer},
                       {"train accuracy", Format::Percent},
                       {"validation accuracy", Format::Percent},
                       {"validation loss", Format::Fixed}};
  s.numbers.add_row({"majority class ('" + majority_name + "')", 0, 0, nullptr, majority.val_accuracy, nullptr});
  s.numbers.add_row(
      {model.name, model.parameters, model.epochs, model.train_accuracy, model.val_accuracy, model.val_loss});
  s.curves.push_back({model.name, model.run_dir, model.history});

  const double bar = std::max(majority.val_accuracy, model.val_accuracy);
  if (model.val_accuracy > majority.val_accuracy) {
    s.decision = "The bar every later model must beat is " + pct(bar) +
                 " validation accuracy (the softmax regression, " + pp(model.val_accuracy - majority.val_accuracy) +
                 " over the majority class's " + pct(majority.val_accuracy) +
                 "): the data carries signal a model can learn.";
  } else {
    s.decision = "The softmax regression (" + pct(model.val_accuracy) + ") does not beat the majority class (" +
                 pct(majority.val_accuracy) + "): the bar stays at " + pct(bar) +
                 ", and a model that cannot clear it points at a problem with the data or the training setup.";
  }
  s.artefacts.push_back({"softmax regression run", model.run_dir});
  s.details = {
      {"majority", to_json(majority)}, {"majority_name", majority_name}, {"model", model.summary()}, {"bar", bar}};
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

}  // namespace gd::workflow
