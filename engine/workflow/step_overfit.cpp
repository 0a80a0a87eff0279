// Step 3, "develop a model that overfits": the family at growing capacities, no regularisation,
// the same epochs each, at the recipe's learning rate held CONSTANT (the recipe's cosine annealing
// freezes the weights before the turn of the validation loss shows); the turn of every one is
// measured (overfit_detection.h) and the capacity chosen by choose_overfit_capacity goes on to
// regularisation.
#include <chrono>

#include "engine/workflow/decision_text.h"
#include "engine/workflow/overfit_detection.h"
#include "engine/workflow/workflow_steps.h"

namespace gd::workflow {

StepResult run_overfit_step(WorkflowContext& ctx) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Capacity> caps = ctx.family.capacities(ctx.budget);
  std::vector<ModelRun> runs;
  std::vector<CapacityOutcome> outcomes;
  for (const Capacity& c : caps) {
    const ModelPoint p = ctx.family.point(c, Regularisation{}, ctx.lr(), ctx.budget.epochs, "constant");
    runs.push_back(
        ctx.trainer.run("overfit", c.label, p, ctx.step_dir("overfit") + "/width-" + std::to_string(c.width)));
    outcomes.push_back(
        {c.label, runs.back().parameters, analyse_overfitting(runs.back().history, ctx.settings.overfit_margin)});
  }
  const CapacityChoice choice = choose_overfit_capacity(outcomes);
  const size_t k = static_cast<size_t>(choice.index);
  const OverfitAnalysis& a = outcomes[k].analysis;

  StepResult s;
  s.id = "overfit";
  s.title = "Overfitting on purpose";
  s.done =
      "Trained the " + std::string(to_string(ctx.family.kind())) + " family at " + std::to_string(caps.size()) +
      " capacities without any regularisation (no dropout, no weight decay, no batch norm, no augmentation) for " +
      std::to_string(ctx.budget.epochs) + " epochs each at the constant learning rate " + sci(ctx.lr()) +
      " (the recipe's cosine annealing would freeze the weights before the turn shows), and located where each "
      "validation loss turns up: a model overfits when its validation loss (smoothed over 3 epochs) ends at least " +
      pct(ctx.settings.overfit_margin, 0) + " above its minimum.";
  s.numbers.columns = {{"capacity", Format::Text},
                       {"parameters", Format::Integer},
                       {"min val loss (3-epoch mean)", Format::Fixed},
                       {"at epoch", Format::Integer},
                       {"last val loss (3-epoch mean)", Format::Fixed},
                       {"rise", Format::Percent},
                       {"overfits", Format::Text},
                       {"last train loss", Format::Fixed},
                       {"val accuracy", Format::Percent}};
  nlohmann::json caps_json = nlohmann::json::array();
  for (size_t i = 0; i < caps.size(); ++i) {
    const OverfitAnalysis& x = outcomes[i].analysis;
    s.numbers.add_row(
        {caps[i].label, runs[i].parameters, x.min_val_loss, x.best_epoch, x.last_val_loss, x.rise,
         x.overfits ? (x.confirmed_epoch > 0 ? "yes, from epoch " + std::to_string(x.confirmed_epoch) : "yes") : "no",
         x.last_train_loss, runs[i].val_accuracy});
    s.curves.push_back({caps[i].label, runs[i].run_dir, runs[i].history});
    s.artefacts.push_back({caps[i].label + " run", runs[i].run_dir});
    caps_json.push_back(
        {{"label", caps[i].label}, {"width", caps[i].width}, {"run", runs[i].summary()}, {"analysis", to_json(x)}});
  }

  if (choice.overfitting_found) {
    const CapacityOutcome& first = outcomes[static_cast<size_t>(choice.smallest_overfitting)];
    const std::string turn = "its validation loss bottoms out at " + loss_text(a.min_val_loss) + " in epoch " +
                             std::to_string(a.best_epoch) + " and ends " + pct(a.rise, 1) + " higher in epoch " +
                             std::to_string(a.last_epoch) + " while the training loss falls to " +
                             loss_text(a.last_train_loss);
    if (choice.index == choice.smallest_overfitting) {
      s.decision = outcomes[k].label + " overfits: " + turn +
                   (k + 1 < outcomes.size() ? "; no larger capacity reached a lower validation loss" : "") +
                   ", so it is the model to regularise.";
    } else {
      s.decision = first.label + " is the smallest capacity that overfits (its validation loss ends " +
                   pct(first.analysis.rise, 1) +
                   " above its minimum), so every larger one has enough capacity; of those, " + outcomes[k].label +
                   " reached the lowest validation loss (" + loss_text(a.min_val_loss) + " in epoch " +
                   std::to_string(a.best_epoch) + ", ending " + pct(a.rise, 1) + " higher with the training loss at " +
                   loss_text(a.last_train_loss) + "), so it is the model to regularise.";
    }
  } else {
    double max_rise = 0;
    size_t at = 0;
    for (size_t i = 0; i < outcomes.size(); ++i)
      if (outcomes[i].analysis.rise > max_rise) max_rise = outcomes[i].analysis.rise, at = i;
    s.decision = "No capacity overfits within " + std::to_string(ctx.budget.epochs) + " epochs (largest rise " +
                 pct(max_rise, 1) + " for " + outcomes[at].label + ", margin " + pct(ctx.settings.overfit_margin, 0) +
                 "); " + outcomes[k].label + " reached the lowest validation loss (" + loss_text(a.min_val_loss) +
                 ", training loss " + loss_text(a.last_train_loss) +
                 ") and goes on to regularisation; a larger budget (more epochs or capacity) would show the turn.";
  }
  s.details = {{"capacities", caps_json},
               {"chosen_index", choice.index},
               {"overfitting_found", choice.overfitting_found},
               {"smallest_overfitting", choice.smallest_overfitting},
               {"schedule", "constant"},
               {"margin", ctx.settings.overfit_margin},
               {"chosen", caps_json[k]}};
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ctx.say("[overfit] decision: " + s.decision);
  return s;
}

}  // namespace gd::workflow
