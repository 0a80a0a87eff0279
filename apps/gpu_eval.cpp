// gpu_eval: evaluate a saved model on a dataset split: accuracy, loss, per-class precision/recall/F1,
// confusion matrix, most confused pairs and calibration, printed as tables, optionally written as
// JSON (--json) and as a self-contained HTML report (--report). See docs/reports.md.
// Several --checkpoint evaluate an ensemble (the members' probabilities averaged, each member also
// reported on its own); --tta averages each model over one-pixel shifted copies of every image.
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
#include "engine/train/test_time_shifts.h"
#include "engine/train/run_splits.h"
#include "engine/train/train_config.h"

namespace {

using namespace gd;

struct Options {
  std::vector<std::string> checkpoints;
  int tta = 1;
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
                        << "the split, but for " << o.checkpoints.front() << " " << why << "; use --split test");
  auto [train, val] = run_train_val_split(data.train, *cfg);
  if (o.split == "train") return train;
  GD_CHECK_T(val.n > 0, ConfigError,
             "--split val: the run had no validation split (val_split " << cfg->val_split << ")");
  return val;
}

// --split val|train of an ensemble: every member must have held out the same samples.
void check_same_splits(const Options& o, const std::vector<Checkpoint>& cks, const TrainConfig* first) {
  for (size_t i = 1; i < cks.size(); ++i) {
    TrainConfig cfg;
    std::string why;
    const report::RunContext run = report::load_run_context(o.checkpoints[i], cks[i]);
    const bool has = stored_config(cks[i], run, &cfg, &why);
    GD_CHECK_T(first && has, ConfigError,
               "--split " << o.split << " of an ensemble needs every member's configuration to rebuild the split, but "
                          << (first ? o.checkpoints[i] + " " + why : o.checkpoints.front() + " has none")
                          << "; use --split test");
    GD_CHECK_T(cfg.data.dataset == first->data.dataset && cfg.val_split == first->val_split &&
                   cfg.val_seed == first->val_seed && cfg.limit_train == first->limit_train,
               ConfigError,
               "--split " << o.split << ": ensemble members " << o.checkpoints.front() << " and " << o.checkpoints[i]
                          << " held out different validation samples (dataset, val_split, val_seed or "
                          << "limit_train differ); use --split test");
  }
}

int run(int argc, char** argv) {
  CLI::App app{"gpu_eval: evaluate a saved model (a checkpoint written by gpu_train) on a dataset split and print "
               "accuracy, loss, per-class precision/recall/F1, the confusion matrix, the most confused pairs and "
               "the calibration (expected calibration error); optionally write JSON and a self-contained HTML "
               "report.\nExit status: 0 ok, 2 unusable checkpoint/data/options, 1 other failures."};
  app.get_formatter()->column_width(34);
  Options o;
  app.add_option("--checkpoint", o.checkpoints,
                 "model.ckpt (or checkpoint.ckpt) written by gpu_train; give it several times for an ensemble "
                 "(probabilities averaged; members must share input size and classes)")
      ->required()
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->type_name("PATH");
  app.add_option("--tta", o.tta,
                 "test-time augmentation: average each model over 1 (off), 5 (one-pixel shifts up, down, left, "
                 "right) or 9 (also diagonals) copies of every image")
      ->capture_default_str();
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
    const std::vector<PixelShift> shifts = test_time_shifts(o.tta);
    std::vector<Checkpoint> cks;
    for (const std::string& path : o.checkpoints) cks.push_back(load_checkpoint(path));
    const Checkpoint& ck = cks.front();
    const bool ensemble = cks.size() > 1;
    std::vector<std::string> warnings;
    const report::RunContext run = report::load_run_context(o.checkpoints.front(), ck, &warnings);
    for (const std::string& w : warnings) std::fprintf(stderr, "gpu_eval: warning: %s\n", w.c_str());
    TrainConfig cfg;
    std::string no_cfg_reason;
    const bool has_cfg = stored_config(ck, run, &cfg, &no_cfg_reason);
    if (ensemble && o.split != "test") check_same_splits(o, cks, has_cfg ? &cfg : nullptr);
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
    const report::EvaluatedEnsemble ens =
        report::evaluate_ensemble(o.checkpoints, cks, *backend, samples, o.batch_size, shifts);
    const report::EvaluatedModel& first = ens.members.front();
    const DetailedEvaluation& eval = ens.eval;

    std::vector<report::EnsembleMemberRow> rows;
    if (ensemble) {
      std::printf("ensemble of %zu models (class probabilities averaged)\n", ens.members.size());
      for (size_t i = 0; i < ens.members.size(); ++i) {
        const report::EvaluatedModel& m = ens.members[i];
        rows.push_back({o.checkpoints[i], m.summary.spec, m.summary.total_params, m.eval.accuracy, m.eval.loss});
        std::printf("  member %zu: accuracy %.2f%%  loss %.4f  %s (%s)\n", i + 1, 100.0 * m.eval.accuracy,
                    m.eval.loss, o.checkpoints[i].c_str(), m.summary.spec.c_str());
      }
    } else {
      std::printf("model %s (%lld parameters) from %s\n", first.summary.spec.c_str(),
                  static_cast<long long>(first.summary.total_params), o.checkpoints.front().c_str());
    }
    if (o.tta > 1) std::printf("test-time augmentation: each model averaged over %d shifted copies\n", o.tta);
    std::printf("data %s, %s split: %lld samples from %s\n", o.data.dataset.c_str(), o.split.c_str(),
                static_cast<long long>(samples.n), data.source.c_str());
    std::printf("device %s\n\n%s", backend->description().c_str(), format_detailed_evaluation(eval).c_str());

    if (!o.json_path.empty()) {
      nlohmann::json j = detailed_evaluation_to_json(eval);
      j["checkpoint"] = o.checkpoints.front();
      j["dataset"] = o.data.dataset;
      j["split"] = o.split;
      j["data_source"] = data.source;
      j["device"] = backend->description();
      j["model"] = report::model_summary_to_json(first.summary);
      j["weights_epoch"] = run.weights_epoch;
      j["tta"] = o.tta;
      if (ensemble) {
        nlohmann::json members = nlohmann::json::array();
        for (const report::EnsembleMemberRow& r : rows)
          members.push_back({{"checkpoint", r.checkpoint}, {"spec", r.spec}, {"params", r.params},
                             {"accuracy", r.accuracy}, {"loss", r.loss}});
        j["checkpoints"] = o.checkpoints;
        j["members"] = members;
      }
      write_file_atomic(o.json_path, j.dump(2) + "\n");
      std::printf("\nJSON written to %s\n", o.json_path.c_str());
    }
    if (!o.report_path.empty()) {
      report::EvalReportInputs in;
      std::string joined;
      for (const std::string& path : o.checkpoints) joined += (joined.empty() ? "" : ", ") + path;
      in.checkpoint = joined;
      in.dataset = o.data.dataset;
      in.split = o.split;
      in.data_source = data.source;
      in.device = backend->description();
      in.model = &first.summary;
      in.eval = &eval;
      in.predictions = &ens.predictions;
      in.samples = &samples;
      in.run = ensemble ? nullptr : &run;
      in.gallery_limit = o.gallery;
      in.members = rows;
      in.tta_copies = o.tta;
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
