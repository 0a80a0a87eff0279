// The end-of-training report (see training_report.h).
#include "engine/report/training_report.h"

#include "engine/report/eval_report.h"
#include "engine/report/model_evaluation.h"
#include "engine/report/run_context.h"

namespace gd::report {

std::string write_training_report(const TrainResult& result, const TrainConfig& cfg, Backend& be,
                                  const DatasetSplits& data, const std::string& path, int gallery_limit) {
  const std::string checkpoint = result.run_dir + "/model.ckpt";
  const Checkpoint ck = load_checkpoint(checkpoint);
  const EvaluatedModel m = evaluate_model(ck, checkpoint, be, data.test, 256);

  RunContext run;
  run.has_history = true;
  run.history = result.history;
  run.history_source = "this run (" + result.run_dir + "/history.json)";
  run.has_config = true;
  run.config = to_json(cfg);
  run.config_source = "this run (" + result.run_dir + "/config.json)";
  run.weights_epoch = result.best_epoch;
  run.monitor = cfg.monitor;

  EvalReportInputs in;
  in.title = "Training report";
  in.checkpoint = checkpoint;
  in.dataset = cfg.data.dataset;
  in.split = "test";
  in.data_source = data.source;
  in.device = be.description();
  in.model = &m.summary;
  in.eval = &m.eval;
  in.predictions = &m.predictions;
  in.samples = &data.test;
  in.run = &run;
  in.gallery_limit = gallery_limit;
  const std::string out = path.empty() ? result.run_dir + "/report.html" : path;
  build_evaluation_report(in).write(out);
  return out;
}

}  // namespace gd::report
