// gpu_train: train an mlp, cnn, lcnn or spec-string model on MNIST-family data or USPS, then
// evaluate once on the test set. See `gpu_train --help` and README.md.
#include <omp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "engine/backend/backend.h"
#include "engine/core/cpu_threads.h"
#include "engine/core/error.h"
#include "engine/core/math_precision.h"
#include "engine/data/registry.h"
#include "engine/model/spec.h"
#include "engine/report/training_report.h"
#include "engine/train/atomic_file.h"
#include "engine/train/checkpoint.h"
#include "engine/train/resume_options.h"
#include "engine/train/run_dir.h"
#include "engine/train/trainer.h"

namespace {

using namespace gd;

void print_final(const TrainResult& r, std::FILE* out) {
  std::fprintf(out, "\ntest accuracy %.2f%%  test loss %.4f  (%lld samples, weights of epoch %d)\n\n",
               100.0 * r.test.accuracy, r.test.loss, static_cast<long long>(r.test.n), r.best_epoch);
  std::fprintf(out, "%s\n", format_report(r.report).c_str());
  std::fprintf(out, "confusion matrix (rows: true label, columns: predicted)\n%s\n",
               format_confusion(r.report).c_str());
  std::fprintf(out, "run directory: %s\n", r.run_dir.c_str());
}

int run(int argc, char** argv) {
  CLI::App app{"gpu_train: train a handwritten-digit classifier (mlp, cnn, lcnn or a spec string) and "
               "evaluate it once on the test set.\nSpec-string grammar: docs/spec-strings.md\n"
               "Exit status: 0 ok, 2 bad options, spec or configuration, 1 other failures."};
  app.get_formatter()->column_width(34);
  TrainConfig cfg;
  ExplicitFlags set;
  std::string evaluate_path, report_path;
  bool quiet = false, no_download = false;

  app.add_option("--arch", cfg.arch, "mlp | cnn | lcnn | mlp-wide | cnn-bn | lcnn-bn (docs/spec-strings.md) | a spec string such as \"conv32k5p2,relu,pool2,fc128,fc10\"")
      ->capture_default_str();
  app.add_option("--dataset", cfg.data.dataset, "mnist | mnist-10k | fashion-mnist | kmnist | usps")
      ->capture_default_str();
  app.add_option("--data-dir", cfg.data.data_dir, "directory holding the dataset files (default: $GD_DATA_DIR, then the cache)");
  app.add_option("--cache-dir", cfg.data.cache_dir, "download cache (default: $XDG_CACHE_HOME/gpudigits or ~/.cache/gpudigits)");
  app.add_flag("--no-download", no_download, "never download missing files; fail with what is needed instead");
  app.add_option("--device", cfg.device, "auto | cpu | cuda (auto: CUDA when a device exists, else CPU)")
      ->capture_default_str();
  app.add_option("--threads", cfg.threads, "CPU threads (0 = all cores)")->capture_default_str();
  app.add_flag("--cuda-graph,!--no-cuda-graph", cfg.cuda_graph,
               "CUDA: record the training step once as a CUDA graph and replay it (default on; "
               "--no-cuda-graph launches every op each step)");
  app.add_option("--precision", cfg.precision,
                 "fp32 | tf32 | bf16: math of dense/conv GEMMs on --device cuda (tf32, bf16: tensor "
                 "cores, FP32 storage; docs/precision.md)")
      ->capture_default_str();
  auto* o_epochs = app.add_option("--epochs", cfg.epochs, "training epochs (default: the arch's recipe: mlp 30, cnn 15, lcnn 25, mlp-wide 100, cnn-bn 30, lcnn-bn 30)");
  auto* o_batch = app.add_option("--batch-size", cfg.batch_size, "mini-batch size (default: recipe's: 128, lcnn 64)");
  auto* o_opt = app.add_option("--optimizer", cfg.optim.name, "sgd | adam | adamw | rmsprop (default: sgd with Nesterov momentum 0.9)");
  auto* o_lr = app.add_option("--lr", cfg.optim.lr, "learning rate (default: recipe's; 0.05 for sgd, 1e-3 for adam/adamw/rmsprop)");
  auto* o_mom = app.add_option("--momentum", cfg.optim.momentum, "momentum for sgd and rmsprop (default 0.9 for sgd, 0 for rmsprop)");
  auto* o_nest = app.add_option("--nesterov", cfg.optim.nesterov, "Nesterov momentum for sgd: true|false (default true for sgd)");
  auto* o_wd = app.add_option("--weight-decay", cfg.optim.weight_decay, "L2 weight decay (decoupled for adamw) (default 1e-4; lcnn, cnn-bn, lcnn-bn 5e-4; mlp-wide 0)");
  app.add_option("--beta1", cfg.optim.beta1, "Adam beta1")->capture_default_str();
  app.add_option("--beta2", cfg.optim.beta2, "Adam beta2")->capture_default_str();
  app.add_option("--eps", cfg.optim.eps, "Adam/RMSprop epsilon")->capture_default_str();
  auto* o_sched = app.add_option("--schedule", cfg.schedule.name, "constant | step | cosine | onecycle (default cosine)");
  auto* o_warm = app.add_option("--warmup-epochs", cfg.schedule.warmup_epochs,
                                "linear warm-up epochs (constant/step/cosine; default: the arch's recipe: 0.3 for cnn, cnn-bn, lcnn-bn and spec strings, else 0)");
  app.add_option("--step-size", cfg.schedule.step_size_epochs, "step schedule: decay every N epochs")->capture_default_str();
  app.add_option("--gamma", cfg.schedule.gamma, "step schedule: decay factor")->capture_default_str();
  app.add_option("--pct-start", cfg.schedule.pct_start, "onecycle: fraction of steps spent warming up")->capture_default_str();
  auto* o_drop = app.add_option("--dropout", cfg.dropout, "dropout probability of the arch's tunable dropout layers (default: mlp 0.2, cnn 0.5, lcnn 0.5, mlp-wide 0.5, cnn-bn 0.4, lcnn-bn 0.5)");
  app.add_option("--label-smoothing", cfg.label_smoothing, "label smoothing for the training loss")->capture_default_str();
  app.add_option("--init", cfg.init, "weight init: he-uniform | he-normal | glorot-uniform | glorot-normal")->capture_default_str();
  app.add_option("--early-stopping", cfg.early_stopping, "patience in epochs; restores the best weights (0 = off)")->capture_default_str();
  app.add_option("--monitor", cfg.monitor, "val_loss | val_accuracy (early stopping and best epoch)")->capture_default_str();
  app.add_option("--min-delta", cfg.min_delta, "smallest change that counts as an improvement")->capture_default_str();
  app.add_option("--val-split", cfg.val_split, "fraction of the training set held out for validation (fixed seed)")->capture_default_str();
  app.add_flag("--augment", cfg.augment, "random shifts, rotations and scaling of training images on the fly");
  app.add_option("--augment-shift", cfg.augment_params.max_shift, "augmentation: max shift in pixels")->capture_default_str();
  app.add_option("--augment-rotate", cfg.augment_params.max_rotate_deg, "augmentation: max rotation in degrees")->capture_default_str();
  app.add_option("--augment-scale", cfg.augment_params.max_scale, "augmentation: max relative scale change")->capture_default_str();
  app.add_option("--clip-grad-norm", cfg.clip_grad_norm, "clip the global gradient norm (0 = off)")->capture_default_str();
  app.add_option("--seed", cfg.seed, "seed for initialisation, shuffling, dropout and augmentation")->capture_default_str();
  app.add_option("--limit-train", cfg.limit_train, "use only the first N training samples (0 = all)")->capture_default_str();
  app.add_option("--out", cfg.out, "run directory (default: runs/<arch>-<date>-<time>)");
  app.add_option("--resume", cfg.resume, "continue training from a checkpoint (checkpoint.ckpt of a run directory)");
  app.add_option("--evaluate", evaluate_path, "evaluate a saved checkpoint on the test set and exit");
  auto* o_report = app.add_option("--report", report_path,
                                  "after training, write a self-contained HTML report (default path: "
                                  "<run dir>/report.html); gpu_eval --report does the same for a saved model")
                      ->expected(0, 1);
  app.add_flag("--quiet", quiet, "print only the final results");
  TrainHooks hooks;
  app.add_flag("--track-test", hooks.track_test,
               "benchmarks only: also evaluate the test set after every epoch (untimed) into "
               "<run dir>/test_curve.json; never used for training decisions");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message (or the help); its own codes (104, 105, ...) become the documented 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  set.optimizer = o_opt->count() > 0;
  set.lr = o_lr->count() > 0;
  set.momentum = o_mom->count() > 0;
  set.nesterov = o_nest->count() > 0;
  set.epochs = o_epochs->count() > 0;
  set.dropout = o_drop->count() > 0;
  set.schedule = o_sched->count() > 0;
  set.weight_decay = o_wd->count() > 0;
  set.batch_size = o_batch->count() > 0;
  set.warmup = o_warm->count() > 0;
  cfg.data.allow_download = !no_download;

  ConsoleProgress progress(stdout, quiet);
  try {
    GD_CHECK_T(evaluate_path.empty() || o_report->count() == 0, ConfigError,
               "--report with --evaluate: use gpu_eval --checkpoint " << evaluate_path << " --report PATH");
    if (!cfg.resume.empty()) {
      // Continue with the stored configuration; --epochs may extend it, --out may redirect it, and
      // the options that say how or where to run apply. Any other option must match the run.
      const Checkpoint ck = load_checkpoint(cfg.resume);
      GD_CHECK_T(ck.meta.contains("config"), DataError,
                 "checkpoint '" << cfg.resume << "' holds no training configuration: it cannot be resumed");
      std::vector<std::string> given;
      for (const CLI::Option* opt : app.get_options())
        if (opt->count() > 0) given.push_back(opt->get_name());
      check_resume_options(given, to_json(cfg), ck.meta.at("config"), cfg.resume);
      auto was_given = [&](const std::string& name) { return std::find(given.begin(), given.end(), name) != given.end(); };
      TrainConfig stored = train_config_from_json(ck.meta.at("config"));
      stored.resume = cfg.resume;
      stored.out = cfg.out;
      if (set.epochs) stored.epochs = cfg.epochs;
      if (!cfg.data.data_dir.empty()) stored.data.data_dir = cfg.data.data_dir;
      if (!cfg.data.cache_dir.empty()) stored.data.cache_dir = cfg.data.cache_dir;
      stored.data.allow_download = cfg.data.allow_download;
      if (was_given("--device")) stored.device = cfg.device;
      if (was_given("--threads")) stored.threads = cfg.threads;
      if (was_given("--cuda-graph")) stored.cuda_graph = cfg.cuda_graph;
      cfg = stored;
    } else if (evaluate_path.empty()) {
      apply_recipe(cfg, set);
    }
    // After --resume took the stored configuration: a resumed run uses the thread count it was
    // started with (unless --threads says otherwise), since CPU reductions split by thread count
    // and the weights are bit-identical to an uninterrupted run only with the same split.
    set_cpu_threads(cfg.threads);
    std::string notice;
    auto backend = make_backend(parse_device_request(cfg.device), &notice);
    if (!notice.empty()) progress.message("note: " + notice);
    const MathPrecision precision = parse_math_precision(cfg.precision);
    backend->set_math_precision(precision);  // before any network sizes its workspace
    if (precision != MathPrecision::FP32)
      progress.message(std::string("math precision ") + math_precision_name(precision) +
                       " (tensor cores for GEMMs and convolutions; docs/precision.md)");

    if (!evaluate_path.empty()) {
      const DatasetSplits data = load_dataset(cfg.data);
      const CheckpointEval ev = evaluate_checkpoint(evaluate_path, *backend, data.test, cfg.batch_size);
      std::printf("model %s\ntest accuracy %.2f%%  test loss %.4f  (%lld samples of %s)\n\n%s\n%s\n",
                  ev.spec.c_str(), 100.0 * ev.result.accuracy, ev.result.loss,
                  static_cast<long long>(ev.result.n), cfg.data.dataset.c_str(),
                  format_report(ev.report).c_str(), format_confusion(ev.report).c_str());
      return 0;
    }

    check_out_dir_is_free(cfg.out, cfg.resume);
    if (!cfg.resume.empty()) {  // temp files a killed run left beside its checkpoint
      const std::string dir = std::filesystem::path(cfg.resume).parent_path().string();
      for (const std::string& f : remove_stale_temp_files(dir.empty() ? "." : dir))
        progress.message("removed " + f + " (a temp file left by a killed run)");
    }
    const DatasetSplits data = load_dataset(cfg.data);
    cfg.spec = resolve_arch(cfg.arch, data.train.num_classes, cfg.dropout);
    validate(cfg);
    progress.message("dataset " + cfg.data.dataset + ": " + std::to_string(data.train.n) + " train / " +
                     std::to_string(data.test.n) + " test images from " + data.source);
    progress.message("model " + cfg.spec + " on " + backend->description());
    char line[256];
    std::snprintf(line, sizeof line, "optimizer %s lr %g momentum %g%s weight decay %g, schedule %s, %d epochs, batch %lld, seed %llu",
                  cfg.optim.name.c_str(), cfg.optim.lr, cfg.optim.momentum, cfg.optim.nesterov ? " (nesterov)" : "",
                  cfg.optim.weight_decay, cfg.schedule.name.c_str(), cfg.epochs,
                  static_cast<long long>(cfg.batch_size), static_cast<unsigned long long>(cfg.seed));
    progress.message(line);
    const TrainResult r = train(cfg, *backend, data, progress, hooks);
    print_final(r, stdout);
    if (o_report->count() > 0)
      std::printf("report: %s\n", report::write_training_report(r, cfg, *backend, data, report_path).c_str());
    return 0;
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "gpu_train: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_train: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
