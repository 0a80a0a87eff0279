// Step 4, "regularise": the capacity chosen in step 3, now under the workflow's protocol (the
// recipe's cosine schedule, as the tuner trains), without regularisation and with one regulariser
// at a time (dropout, weight decay, batch norm, augmentation), then with every one that helped, all
// compared on validation (regulariser_selection.h).
#include <algorithm>
#include <chrono>

#include "engine/workflow/decision_text.h"
#include "engine/workflow/overfit_detection.h"
#include "engine/workflow/regulariser_selection.h"
#include "engine/workflow/workflow_steps.h"

namespace gd::workflow {
namespace {

std::string slug(const std::string& name) {
  std::string s;
  for (char c : name) s += (c == ' ' || c == '+') ? '-' : c;
  return s;
}

struct Variant {
  std::string name;
  Regularisation reg;
  ModelRun run;
};

}  // namespace

StepResult run_regularise_step(WorkflowContext& ctx, const StepResult& overfit) {
  const auto t0 = std::chrono::steady_clock::now();
  const nlohmann::json& chosen = overfit.details.at("chosen");
  const Capacity cap = ctx.family.capacity(chosen.at("width").get<int64_t>());
  const std::string cap_label = chosen.at("label").get<std::string>();
  // The unregularised reference, trained like every variant (step 3 held the learning rate constant).
  const ModelPoint ref_point = ctx.family.point(cap, Regularisation{}, ctx.lr(), ctx.budget.epochs);
  Variant reference{"none", Regularisation{},
                    ctx.trainer.run("regularise", "none", ref_point, ctx.step_dir("regularise") + "/none")};
  std::vector<Variant> singles;
  for (const auto& [name, reg] : ctx.family.single_regularisers()) {
    const ModelPoint p = ctx.family.point(cap, reg, ctx.lr(), ctx.budget.epochs);
    singles.push_back(
        {name, reg, ctx.trainer.run("regularise", name, p, ctx.step_dir("regularise") + "/" + slug(name))});
  }
  std::vector<VariantScore> single_scores;
  for (const Variant& v : singles) single_scores.push_back(v.run.score());
  const double min_gain = min_meaningful_gain(reference.run.val_samples);
  const HelpfulRegularisers helpful = select_helpful(reference.run.score(), single_scores, min_gain);

  // The candidates for the regularised model: the reference, every single regulariser that helps,
  // and (with two or more) their combination.
  std::vector<Variant> candidates = {reference};
  Regularisation combined_reg;
  for (const std::string& name : helpful.names)
    for (const Variant& v : singles)
      if (v.name == name) {
        candidates.push_back(v);
        combined_reg = combine(combined_reg, v.reg);
      }
  bool has_combined = false;
  if (helpful.names.size() >= 2) {
    const ModelPoint p = ctx.family.point(cap, combined_reg, ctx.lr(), ctx.budget.epochs);
    candidates.push_back({"combined", combined_reg,
                          ctx.trainer.run("regularise", "combined: " + combined_reg.describe(), p,
                                          ctx.step_dir("regularise") + "/combined")});
    has_combined = true;
  }
  std::vector<VariantScore> candidate_scores;
  for (const Variant& v : candidates) candidate_scores.push_back(v.run.score());
  const Variant& best = candidates[static_cast<size_t>(best_variant(candidate_scores))];

  StepResult s;
  s.id = "regularise";
  s.title = "Regularisation";
  s.done =
      "Trained " + cap_label + " for " + std::to_string(ctx.budget.epochs) +
      " epochs under the workflow's protocol (the recipe's cosine schedule, as every later model) without "
      "regularisation and with one regulariser at a time (dropout, weight decay, batch norm, augmentation), "
      "compared each with the unregularised model on validation accuracy (a regulariser helps when it gains at least " +
      pp(min_gain).substr(1) + ", one validation sample or 0.1 pp)" +
      (has_combined ? ", and trained the combination of those that help." : ".");
  s.numbers.columns = {{"variant", Format::Text},
                       {"regularisers", Format::Text},
                       {"val accuracy", Format::Percent},
                       {"gain", Format::Points},
                       {"val loss", Format::Fixed},
                       {"min val loss (3-epoch mean)", Format::Fixed},
                       {"rise after minimum", Format::Percent},
                       {"helps", Format::Text}};
  nlohmann::json variants = nlohmann::json::array();
  auto add = [&](const Variant& v, nlohmann::json gain, const std::string& helps) {
    const OverfitAnalysis a = analyse_overfitting(v.run.history, ctx.settings.overfit_margin);
    s.numbers.add_row(
        {v.name, v.reg.describe(), v.run.val_accuracy, gain, v.run.val_loss, a.min_val_loss, a.rise, helps});
    s.curves.push_back({v.name, v.run.run_dir, v.run.history});
    variants.push_back({{"name", v.name},
                        {"regularisation", v.reg.to_json()},
                        {"run", v.run.summary()},
                        {"gain", gain},
                        {"helps", helps},
                        {"analysis", to_json(a)}});
  };
  add(reference, 0.0, "reference");
  s.artefacts.push_back({"unregularised run", reference.run.run_dir});
  for (size_t i = 0; i < singles.size(); ++i) {
    const bool helps = std::find(helpful.names.begin(), helpful.names.end(), singles[i].name) != helpful.names.end();
    add(singles[i], helpful.gains[i], helps ? "yes" : "no");
    s.artefacts.push_back({singles[i].name + " run", singles[i].run.run_dir});
  }
  if (has_combined) {
    add(candidates.back(), candidates.back().run.val_accuracy - reference.run.val_accuracy, "combination");
    s.artefacts.push_back({"combined run", candidates.back().run.run_dir});
  }

  // The decision, from the numbers above.
  std::string helped, not_helped;
  for (size_t i = 0; i < singles.size(); ++i) {
    const bool helps = std::find(helpful.names.begin(), helpful.names.end(), singles[i].name) != helpful.names.end();
    std::string& list = helps ? helped : not_helped;
    list += (list.empty() ? "" : ", ") + singles[i].name + " (" + pp(helpful.gains[i]) + ")";
  }
  if (helpful.names.empty()) {
    s.decision = "No regulariser gains at least " + pp(min_gain).substr(1) + " over the unregularised model (" +
                 not_helped + "), so " + cap_label + " stays unregularised (" + pct(reference.run.val_accuracy) + ").";
  } else {
    s.decision = "Kept " + helped + (not_helped.empty() ? "" : "; dropped " + not_helped) + ". ";
    if (has_combined) {
      const ModelRun& c = candidates.back().run;
      s.decision += "Together they reach " + pct(c.val_accuracy) + " (" +
                    pp(c.val_accuracy - reference.run.val_accuracy) + " over none)" +
                    (best.name == "combined" ? ", the best variant" : ", less than " + best.name + " alone") + ". ";
    }
    s.decision += "The regularised model is " + cap_label + " with " + best.reg.describe() + " at " +
                  pct(best.run.val_accuracy) + " validation accuracy.";
  }
  s.details = {{"capacity", {{"label", cap_label}, {"width", cap.width}}},
               {"variants", variants},
               {"helpful", helpful.names},
               {"min_gain", min_gain},
               {"has_combined", has_combined},
               {"chosen", {{"name", best.name}, {"regularisation", best.reg.to_json()}, {"run", best.run.summary()}}}};
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ctx.say("[regularise] decision: " + s.decision);
  return s;
}

}  // namespace gd::workflow
