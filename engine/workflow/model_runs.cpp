// Training (or reusing) one model of the workflow (model_runs.h).
#include "engine/workflow/model_runs.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "engine/core/error.h"
#include "engine/report/html_fragments.h"
#include "engine/train/atomic_file.h"
#include "engine/train/checkpoint.h"
#include "engine/train/progress.h"
#include "engine/train/trainer.h"

namespace gd::workflow {
namespace {

constexpr const char* kRecordFile = "workflow_model.json";

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
double number_or_nan(const nlohmann::json& v) {
  return v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

// The configuration as far as results depend on it: where the data files lie and how many
// threads train do not change a model.
nlohmann::json comparable(nlohmann::json cfg) {
  cfg.erase("data_dir");
  cfg.erase("threads");
  return cfg;
}

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_file(path)); }

}  // namespace

nlohmann::json ModelRun::summary() const {
  return {{"name", name},
          {"arch", point.arch},
          {"params", point.params},
          {"run_dir", run_dir},
          {"spec", spec},
          {"parameters", parameters},
          {"train_samples", train_samples},
          {"val_samples", val_samples},
          {"epochs", epochs},
          {"train_loss", number_or_null(train_loss)},
          {"train_accuracy", number_or_null(train_accuracy)},
          {"val_loss", number_or_null(val_loss)},
          {"val_accuracy", number_or_null(val_accuracy)},
          {"seconds", seconds}};
}

ModelRun ModelRun::from_summary(const nlohmann::json& j, History history) {
  try {
    ModelRun r;
    r.name = j.at("name").get<std::string>();
    r.point.arch = j.at("arch").get<std::string>();
    r.point.params = j.at("params");
    r.run_dir = j.at("run_dir").get<std::string>();
    r.spec = j.at("spec").get<std::string>();
    r.parameters = j.at("parameters").get<int64_t>();
    r.train_samples = j.at("train_samples").get<int64_t>();
    r.val_samples = j.at("val_samples").get<int64_t>();
    r.epochs = j.at("epochs").get<int>();
    r.train_loss = number_or_nan(j.at("train_loss"));
    r.train_accuracy = number_or_nan(j.at("train_accuracy"));
    r.val_loss = number_or_nan(j.at("val_loss"));
    r.val_accuracy = number_or_nan(j.at("val_accuracy"));
    r.seconds = j.at("seconds").get<double>();
    r.history = std::move(history);
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("model record is malformed: ") + e.what());
  }
}

ModelTrainer::ModelTrainer(tune::ObjectiveConfig base, Backend& backend, const DatasetSplits& data, bool verbose,
                           LineSink say)
    : base_(std::move(base)), be_(backend), data_(data), verbose_(verbose), say_(std::move(say)) {}

TrainConfig ModelTrainer::config(const ModelPoint& point, const std::string& run_dir, bool hold_out_validation) const {
  tune::ObjectiveConfig o = base_;
  o.arch = point.arch;
  TrainConfig cfg = tune::trial_train_config(o, point.params, run_dir);
  if (!hold_out_validation) {
    if (cfg.limit_train > 0) {
      // --limit-train caps the training split of the other models; the final model gets that many
      // images plus as many as the validation split holds (split_validation's per-class rounding).
      int64_t n_val = 0;
      for (int64_t k : label_histogram(data_.train)) n_val += std::llround(cfg.val_split * static_cast<double>(k));
      cfg.limit_train += n_val;
    }
    cfg.val_split = 0.0;
  }
  validate(cfg);
  return cfg;
}

ModelRun ModelTrainer::run(const std::string& step, const std::string& name, const ModelPoint& point,
                           const std::string& run_dir, bool hold_out_validation) {
  namespace fs = std::filesystem;
  const TrainConfig cfg = config(point, run_dir, hold_out_validation);
  const nlohmann::json key = comparable(to_json(cfg));
  const std::string record_path = run_dir + "/" + kRecordFile;
  const std::string tag = "[" + step + "] ";

  if (fs::exists(record_path)) {
    try {
      const nlohmann::json j = read_json(record_path);
      if (comparable(j.at("config")) == key) {
        ModelRun r = ModelRun::from_summary(j.at("summary"), History::from_json(j.at("history")));
        r.reused = true;
        if (say_) say_(tag + describe_run(r) + " (reused from " + record_path + ")");
        return r;
      }
    } catch (const std::exception& e) {
      if (say_) say_(tag + name + ": ignoring unreadable " + record_path + " (" + e.what() + "); training again");
    }
    fs::remove(record_path);
  }

  TrainConfig run_cfg = cfg;
  const std::string checkpoint = run_dir + "/checkpoint.ckpt";
  if (fs::exists(checkpoint)) {
    try {
      const Checkpoint ck = load_checkpoint(checkpoint);
      if (comparable(ck.meta.at("config")) == key) run_cfg.resume = checkpoint;
    } catch (const std::exception& e) {
      if (say_) say_(tag + name + ": ignoring unreadable " + checkpoint + " (" + e.what() + "); training from scratch");
    }
  }
  if (!run_cfg.resume.empty() && say_) say_(tag + name + ": continuing from " + checkpoint);

  std::unique_ptr<ProgressSink> progress;
  if (verbose_)
    progress = std::make_unique<ConsoleProgress>(stdout);
  else
    progress = std::make_unique<SilentProgress>();
  TrainHooks hooks;
  hooks.evaluate_test = false;  // the workflow looks at the test set once, in its final step
  const TrainResult tr = train(run_cfg, be_, data_, *progress, hooks);

  const nlohmann::json metrics = read_json(tr.run_dir + "/metrics.json");
  ModelRun r;
  r.name = name;
  r.point = point;
  r.run_dir = tr.run_dir;
  r.spec = cfg.spec;
  r.parameters = metrics.at("num_params").get<int64_t>();
  r.train_samples = metrics.at("train_samples").get<int64_t>();
  r.val_samples = metrics.at("val_samples").get<int64_t>();
  r.epochs = tr.epochs_run;
  r.history = tr.history;
  if (!tr.history.records().empty()) {
    const EpochRecord& last = tr.history.records().back();
    r.train_loss = last.train_loss;
    r.train_accuracy = last.train_accuracy;
    r.val_loss = last.val_loss;
    r.val_accuracy = last.val_accuracy;
  }
  for (const EpochRecord& e : tr.history.records()) r.seconds += e.seconds;  // all epochs, resumed ones too
  write_file_atomic(
      record_path,
      nlohmann::json{{"config", to_json(cfg)}, {"summary", r.summary()}, {"history", r.history.to_json()}}.dump(1) +
          "\n");
  if (say_) say_(tag + describe_run(r));
  return r;
}

std::string describe_run(const ModelRun& r) {
  char buf[320];
  if (std::isfinite(r.val_accuracy)) {
    std::snprintf(buf, sizeof buf, "%s: %d epochs on %s samples, val acc %.2f%% loss %.4f (train loss %.4f), %.1f s",
                  r.name.c_str(), r.epochs, report::grouped(r.train_samples).c_str(), 100.0 * r.val_accuracy,
                  r.val_loss, r.train_loss, r.seconds);
  } else {
    std::snprintf(buf, sizeof buf, "%s: %d epochs on %s samples, train acc %.2f%% loss %.4f, %.1f s", r.name.c_str(),
                  r.epochs, report::grouped(r.train_samples).c_str(), 100.0 * r.train_accuracy, r.train_loss,
                  r.seconds);
  }
  return buf;
}

}  // namespace gd::workflow
