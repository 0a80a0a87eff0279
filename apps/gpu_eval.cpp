// gpu_eval: evaluate a saved model on a dataset split: accuracy, loss, per-class precision/recall/F1,
// confusion matrix, most confused pairs and calibration, printed as tables, optionally written as
// JSON (--json) and as a self-contained HTML report (--report). See docs/reports.md.
//
// Exit status: 0 on success; 2 when the checkpoint, data or options are unusable (missing or
// corrupt checkpoint, dataset geometry that does not fit the model, bad flags); 1 on any other
// failure.
#include <omp.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/core/cpu_threads.h"
#include "engine/core/error.h"
#include "engine/data/registry.h"
#include "engine/report/eval_report.h"
#include "engine/report/model_evaluation.h"
#include "engine/report/run_context.h"
#include "engine/train/atomic_file.h"
#include "engine/train/checkpoint.h"
#include "engine/train/run_splits.h"
#include "engine/train/train_config.h"

namespace {

using namespace gd;

struct Options {
  std::string checkpoint;
  DataOptions data;
  bool dataset_given = false, data_dir_given = false;
  bool no_download = false;
  std::string split = "test";
  int64_t batch_size = 256;
  std::string device = "auto";
  int threads = 0;
  std::string json_path, report_path;
  int gallery = report::kDefaultGalleryLimit;
};

// The training configuration stored with the checkpoint (the authority on how its run split the
// data), else config.json beside it. Returns false when neither exists or it cannot be read (then
// `why` says which, for the error message of --split val|train).
bool stored_config(const Checkpoint& ck, const report::RunContext& run, TrainConfig* out, std::string* why) {
  const nlohmann::json* j = nullptr;
  if (ck.meta.contains("config") && ck.meta["config"].is_object()) j = &ck.meta["config"];
  else if (run.has_config) j = &run.config;
  if (!j) {
    *why = "it carries none and there is no config.json beside it";
    return false;
  }
  try {
    *out = train_config_from_json(*j);
    return true;
  } catch (const std::exception& e) {
    *why = std::string("its stored configuration is unreadable (") + e.what() + ")";
    return false;
  }
}

// The samples of the requested split.
Dataset select_split(const Options& o, const DatasetSplits& data, const TrainConfig* cfg, const std::string& why) {
  if (o.split == "test") return data.test;
  GD_CHECK_T(cfg, ConfigError,
             "--split " << o.split << " needs the run's configuration (val_split, val_seed, limit_train) to rebuild "
                        << "the split, but for " << o.checkpoint << " " << why << "; use --split test");
  auto [train, val] = run_train_val_split(data.train, *cfg);
  if (o.split == "train") return train;
  GD_CHECK_T(val.n > 0, ConfigError,
             "--split val: the run had no validation split (val_split " << cfg->val_split << ")");
  return val;
}

int run(int argc, char** argv) {
  CLI::App app{"gpu_eval: evaluate a saved model (a checkpoint written by gpu_train) on a dataset split and print "
               "accuracy, loss, per-class precision/recall/F1, the confusion matrix, the most confused pairs and "
               "the calibration (expected calibration error); optionally write JSON and a self-contained HTML "
               "report.\nExit status: 0 ok, 2 unusable checkpoint/data/options, 1 other failures."};
  app.get_formatter()->column_width(34);
  Options o;
  app.add_option("--checkpoint", o.checkpoint, "model.ckpt (or checkpoint.ckpt) written by gpu_train")->required();
  auto* o_dataset = app.add_option("--dataset", o.data.dataset,
                                   "mnist | mnist-10k | fashion-mnist | kmnist | usps (default: the dataset the "
                                   "model was trained on, else mnist-10k)");
  auto* o_dir = app.add_option("--data-dir", o.data.data_dir,
                               "directory holding the dataset files (default: $GD_DATA_DIR, then the cache)");
  app.add_option("--cache-dir", o.data.cache_dir, "download cache (default: $XDG_CACHE_HOME/gpudigits or ~/.cache/gpudigits)");
  app.add_flag("--no-download", o.no_download, "never download missing files; fail with what is needed instead");
  app.add_option("--split", o.split,
                 "test | val | train: val is the validation split the run held out (rebuilt from its stored "
                 "val_split/val_seed), train the samples it trained on")
      ->check(CLI::IsMember({"test", "val", "train"}))
      ->capture_default_str();
  app.add_option("--batch-size", o.batch_size, "inference batch size")->capture_default_str();
  app.add_option("--device", o.device, "auto | cpu | cuda")->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads (0 = all cores)")->capture_default_str();
  app.add_option("--json", o.json_path, "write every number (metrics, confusion matrix, pairs, calibration bins) as JSON");
  app.add_option("--report", o.report_path, "write a self-contained HTML report (opens offline in any browser)");
  app.add_option("--gallery", o.gallery, "misclassified digits shown in the report, most confident first (0 = none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message (or the help); its own codes (104, 105, ...) become the documented 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  o.dataset_given = o_dataset->count() > 0;
  o.data_dir_given = o_dir->count() > 0;
  o.data.allow_download = !o.no_download;

  try {
    set_cpu_threads(o.threads);
    GD_CHECK_T(o.batch_size >= 1, ConfigError, "--batch-size must be >= 1, got " << o.batch_size);
    const Checkpoint ck = load_checkpoint(o.checkpoint);
    std::vector<std::string> warnings;
    const report::RunContext run = report::load_run_context(o.checkpoint, ck, &warnings);
    for (const std::string& w : warnings) std::fprintf(stderr, "gpu_eval: warning: %s\n", w.c_str());
    TrainConfig cfg;
    std::string no_cfg_reason;
    const bool has_cfg = stored_config(ck, run, &cfg, &no_cfg_reason);
    if (!o.dataset_given && has_cfg) o.data.dataset = cfg.data.dataset;
    // The run's own --data-dir, when the model is evaluated on its dataset and that directory is here.
    std::error_code ec;
    if (!o.data_dir_given && has_cfg && cfg.data.dataset == o.data.dataset && !cfg.data.data_dir.empty() &&
        std::filesystem::is_directory(cfg.data.data_dir, ec))
      o.data.data_dir = cfg.data.data_dir;

    std::string notice;
    auto backend = make_backend(parse_device_request(o.device), &notice);
    if (!notice.empty()) std::printf("note: %s\n", notice.c_str());
    const DatasetSplits data = load_dataset(o.data);
    const Dataset samples = select_split(o, data, has_cfg ? &cfg : nullptr, no_cfg_reason);
    const report::EvaluatedModel m = report::evaluate_model(ck, o.checkpoint, *backend, samples, o.batch_size);

    std::printf("model %s (%lld parameters) from %s\n", m.summary.spec.c_str(),
                static_cast<long long>(m.summary.total_params), o.checkpoint.c_str());
    std::printf("data %s, %s split: %lld samples from %s\n", o.data.dataset.c_str(), o.split.c_str(),
                static_cast<long long>(samples.n), data.source.c_str());
    std::printf("device %s\n\n%s", backend->description().c_str(), format_detailed_evaluation(m.eval).c_str());

    if (!o.json_path.empty()) {
      nlohmann::json j = detailed_evaluation_to_json(m.eval);
      j["checkpoint"] = o.checkpoint;
      j["dataset"] = o.data.dataset;
      j["split"] = o.split;
      j["data_source"] = data.source;
      j["device"] = backend->description();
      j["model"] = report::model_summary_to_json(m.summary);
      j["weights_epoch"] = run.weights_epoch;
      write_file_atomic(o.json_path, j.dump(2) + "\n");
      std::printf("\nJSON written to %s\n", o.json_path.c_str());
    }
    if (!o.report_path.empty()) {
      report::EvalReportInputs in;
      in.checkpoint = o.checkpoint;
      in.dataset = o.data.dataset;
      in.split = o.split;
      in.data_source = data.source;
      in.device = backend->description();
      in.model = &m.summary;
      in.eval = &m.eval;
      in.predictions = &m.predictions;
      in.samples = &samples;
      in.run = &run;
      in.gallery_limit = o.gallery;
      report::build_evaluation_report(in).write(o.report_path);
      std::printf("%sreport written to %s\n", o.json_path.empty() ? "\n" : "", o.report_path.c_str());
    }
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "gpu_eval: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_eval: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
