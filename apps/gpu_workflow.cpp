// gpu_workflow: the universal workflow of "Deep Learning with Python" end to end: define the
// problem and protocol, beat a baseline, overfit on purpose, regularise, tune, evaluate once on the
// test set; writes <out>/workflow.json and an HTML report. See `gpu_workflow --help` and
// docs/workflow.md.
#include <omp.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "engine/core/cpu_threads.h"
#include "engine/core/error.h"
#include "engine/workflow/workflow_runner.h"

namespace {

using namespace gd;
using namespace gd::workflow;

std::string command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    if (i) s += ' ';
    const std::string a = argv[i];
    s += a.find_first_of(" \t\"'") == std::string::npos ? a : "'" + a + "'";
  }
  return s;
}

int run(int argc, char** argv) {
  CLI::App app{
      "gpu_workflow: the guided deep-learning workflow, end to end: problem and protocol, baseline "
      "(majority class, softmax regression), a model that overfits (growing capacity until the validation "
      "loss turns up), regularisation (dropout, weight decay, batch norm, augmentation compared on "
      "validation), tuning (the project's tuner) and one final evaluation on the test set.\nWrites "
      "<out>/workflow.json (every number and decision) and an HTML report. Rerunning with the same --out "
      "skips the steps already done. See docs/workflow.md."};
  app.get_formatter()->column_width(34);
  WorkflowSettings s;
  bool no_download = false;
  app.add_option("--dataset", s.dataset, "mnist | mnist-10k | fashion-mnist | kmnist | usps")->capture_default_str();
  app.add_option("--data-dir", s.data_dir,
                 "directory holding the dataset files (default: $GD_DATA_DIR, then the cache)");
  app.add_option("--cache-dir", s.cache_dir,
                 "download cache (default: $XDG_CACHE_HOME/gpudigits or ~/.cache/gpudigits)");
  app.add_flag("--no-download", no_download, "never download missing files; fail with what is needed instead");
  app.add_option("--device", s.device, "auto | cpu | cuda")->capture_default_str();
  app.add_option("--threads", s.threads, "CPU threads (0 = all cores)")->capture_default_str();
  app.add_option("--seed", s.seed, "training seed of every model (and the tuner's sampler)")->capture_default_str();
  app.add_option("--out", s.out, "output directory: workflow.json, report.html, every step's runs")
      ->capture_default_str();
  app.add_option("--report", s.report, "HTML report path (default: <out>/report.html)");
  app.add_option("--budget", s.budget,
                 "quick (seconds on mnist-10k) | standard (full MNIST, mlp: ~10-15 min on 2 CPU cores) | full "
                 "(longer, more capacities and trials)")
      ->capture_default_str();
  app.add_option("--arch-family", s.arch_family, "mlp | cnn (cnn costs more)")->capture_default_str();
  app.add_option("--limit-train", s.limit_train, "train every model on this many training images (0 = all)")
      ->capture_default_str();
  app.add_option("--val-split", s.val_split, "validation fraction of the training file (stratified, fixed seed)")
      ->capture_default_str();
  app.add_option("--sampler", s.sampler, "tuning sampler: tpe | gp | random")->capture_default_str();
  app.add_option("--trials", s.trials,
                 "tuning trials including the regularised model's (0 = the budget's: quick 4, standard 6, full 20)")
      ->capture_default_str();
  app.add_option("--overfit-margin", s.overfit_margin,
                 "a model overfits when its validation loss ends this fraction above its minimum")
      ->capture_default_str();
  app.add_flag("--verbose", s.verbose, "print every epoch instead of one line per trained model");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message (or the help); its own codes (104, 105, ...) become the documented 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  s.allow_download = !no_download;
  try {
    set_cpu_threads(s.threads);
    const WorkflowOutcome o = run_workflow(s, stdout, command_line(argc, argv));
    std::printf("workflow: %d step%s run, %d skipped (already in %s); test-set evaluations: %d\n", o.steps_run,
                o.steps_run == 1 ? "" : "s", o.steps_skipped, o.record_path.c_str(), o.state.test_evaluations);
    return 0;
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "gpu_workflow: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_workflow: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
