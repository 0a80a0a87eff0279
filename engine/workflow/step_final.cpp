// Step 6, "evaluate once on test": the tuned configuration retrained on the whole training pool
// (train + validation: nothing is selected any more, so nothing needs holding out) and evaluated
// on the test set: the only time the workflow opens it. Writes <out>/final/evaluation.json, the
// full evaluation report <out>/final/evaluation_report.html and the misclassified digits the
// workflow report shows (<out>/final/misclassified.json).
#include <chrono>
#include <cmath>

#include "engine/core/error.h"
#include "engine/report/eval_report.h"
#include "engine/report/html_fragments.h"
#include "engine/report/model_evaluation.h"
#include "engine/report/run_context.h"
#include "engine/train/atomic_file.h"
#include "engine/train/checkpoint.h"
#include "engine/workflow/decision_text.h"
#include "engine/workflow/misclassified_record.h"
#include "engine/workflow/workflow_steps.h"

namespace gd::workflow {

StepResult run_final_step(WorkflowContext& ctx, const StepResult& tune) {
  const auto t0 = std::chrono::steady_clock::now();
  const nlohmann::json& best = tune.details.at("best");
  const int trial = best.at("number").get<int>();  // -1: the regularised model (no trial beat it)
  const std::string label = best.at("label").get<std::string>();
  const double val_acc = best.at("value").get<double>();
  ModelPoint p;
  p.arch = best.at("arch").get<std::string>();
  p.params = best.at("params");
  p.params["epochs"] = ctx.budget.epochs;
  const std::string dir = ctx.step_dir("final");
  const ModelRun run =
      ctx.trainer.run("final", label + " on train+validation", p, dir + "/model", /*hold_out_validation=*/false);

  // The single look at the test set.
  const Dataset& test = ctx.test.open("the final evaluation of " + label);
  const std::string ckpt_path = run.run_dir + "/model.ckpt";
  const Checkpoint ck = load_checkpoint(ckpt_path);
  const report::EvaluatedModel m = report::evaluate_model(ck, ckpt_path, ctx.backend, test, 256);
  const DetailedEvaluation& e = m.eval;
  ctx.say("[final] test set opened once: " + count(e.n) + " images, accuracy " + pct(e.accuracy) + ", loss " +
          loss_text(e.loss));

  const nlohmann::json evaluation = detailed_evaluation_to_json(e);
  write_file_atomic(dir + "/evaluation.json",
                    nlohmann::json{{"evaluation", evaluation},
                                   {"model", report::model_summary_to_json(m.summary)},
                                   {"checkpoint", ckpt_path},
                                   {"protocol", label + " (the tuned configuration) retrained on "
                                                        "train+validation; the test set is evaluated once"}}
                            .dump(1) +
                        "\n");
  const report::RunContext run_ctx = report::load_run_context(ckpt_path, ck);
  report::EvalReportInputs in;
  in.title = "Final evaluation (gpu_workflow)";
  in.checkpoint = ckpt_path;
  in.dataset = ctx.settings.dataset;
  in.split = "test";
  in.data_source = ctx.data.source;
  in.device = ctx.backend.description();
  in.model = &m.summary;
  in.eval = &e;
  in.predictions = &m.predictions;
  in.samples = &test;
  in.run = &run_ctx;
  report::build_evaluation_report(in).write(dir + "/evaluation_report.html");
  save_misclassified(select_misclassified_record(m.predictions, test, kWorkflowGalleryLimit),
                     dir + "/misclassified.json");

  // How far the test estimate may wander by chance: its binomial standard error.
  const double se =
      std::sqrt(std::max(e.accuracy * (1.0 - e.accuracy), 0.0) / static_cast<double>(std::max<int64_t>(e.n, 1)));
  const double diff = e.accuracy - val_acc;
  StepResult s;
  s.id = "final";
  s.title = "Final evaluation on the test set";
  s.done = "Retrained the tuned configuration (" + label + ", " + run.spec + ") for " + std::to_string(run.epochs) +
           " epochs on the whole training pool (" + count(run.train_samples) +
           " images: training + validation) and evaluated it on the " + count(e.n) +
           " test images. This is the only time the workflow used the test set.";
  s.numbers.columns = {{"model", Format::Text},
                       {"trained on", Format::Integer},
                       {"epochs", Format::Integer},
                       {"test images", Format::Integer},
                       {"test accuracy", Format::Percent},
                       {"test loss", Format::Fixed},
                       {"macro F1", Format::Fixed},
                       {"ECE", Format::Fixed},
                       {"Brier", Format::Fixed},
                       {"errors", Format::Integer}};
  int64_t correct = 0;
  for (int c = 0; c < e.report.num_classes; ++c)
    correct += e.report.confusion[static_cast<size_t>(c)][static_cast<size_t>(c)];
  s.numbers.add_row({run.spec, run.train_samples, run.epochs, e.n, e.accuracy, e.loss, e.report.macro.f1,
                     e.calibration.ece, e.brier, e.n - correct});
  s.curves.push_back({run.name, run.run_dir, run.history});
  const bool within = std::fabs(diff) <= 2.0 * se;
  s.decision =
      "Test accuracy " + pct(e.accuracy) + " (loss " + loss_text(e.loss) + ", macro F1 " +
      report::fixed(e.report.macro.f1) + ") is " + pp(diff) + " from the tuned configuration's validation accuracy (" +
      pct(val_acc) + "), " +
      (within ? "within two standard errors of the test estimate (+-" + pp(2 * se).substr(1) +
                    "): the decisions taken on validation carry over to unseen data."
              : "more than two standard errors of the test estimate (+-" + pp(2 * se).substr(1) + ") away: " +
                    (diff < 0 ? "the validation split flattered the choices made on it (or differs from the test set)"
                              : "retraining on more data (training + validation) helped beyond chance") +
                    "; the test number is the honest estimate.");
  s.artefacts.push_back({"final model", ckpt_path});
  s.artefacts.push_back({"evaluation (JSON)", dir + "/evaluation.json"});
  s.artefacts.push_back({"full evaluation report", dir + "/evaluation_report.html"});
  s.artefacts.push_back({"misclassified digits", dir + "/misclassified.json"});
  s.details = {{"trial", trial},
               {"label", label},
               {"model", run.summary()},
               {"model_summary", report::model_summary_to_json(m.summary)},
               {"validation_accuracy", val_acc},
               {"test_accuracy", e.accuracy},
               {"test_loss", e.loss},
               {"test_samples", e.n},
               {"standard_error", se},
               {"within_two_se", within},
               {"evaluation", evaluation},
               {"evaluation_report", dir + "/evaluation_report.html"},
               {"misclassified", dir + "/misclassified.json"}};
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ctx.say("[final] decision: " + s.decision);
  return s;
}

}  // namespace gd::workflow
