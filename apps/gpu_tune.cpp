// gpu_tune: hyperparameter search over a search-space file, with random/grid/TPE/GP samplers,
// median or ASHA pruning, studies persisted in SQLite or PostgreSQL (continue with the same
// --study; workers on many machines join one PostgreSQL study with the same command, or wait for
// work with --worker), several worker processes (--parallel), and a final retrain of the best
// configuration evaluated once on the test set. See `gpu_tune --help`, docs/tuning.md,
// docs/studies.md, docs/distributed.md and docs/search-spaces.md.
#include <omp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/core/cpu_threads.h"
#include "engine/core/error.h"
#include "engine/report/study_report.h"
#include "engine/train/atomic_file.h"
#include "engine/tune/objective.h"
#include "engine/tune/pruner_factory.h"
#include "engine/tune/auto_sampler.h"
#include "engine/tune/sampler.h"
#include "engine/tune/final_model.h"
#include "engine/tune/search_space.h"
#include "engine/tune/study_storage.h"
#include "engine/tune/trial_budget.h"
#include "engine/tune/pg_conn.h"
#include "engine/tune/trial_config.h"
#include "engine/tune/tune_worker.h"

namespace {

using namespace gd;
using namespace gd::tune;

std::atomic<int> g_interrupts{0};

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
void on_interrupt(int) {
  // First Ctrl-C: finish the running trials, then stop. Second: stop now (running trials are
  // recovered and retried by the next gpu_tune on this study).
  if (++g_interrupts >= 2) _exit(130);
}

std::string params_text(const nlohmann::json& p) {
  std::string s;
  for (auto it = p.begin(); it != p.end(); ++it) {
    if (!s.empty()) s += ' ';
    s += it.key() + "=";
    if (it->is_number_float()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4g", it->get<double>());
      s += buf;
    } else {
      s += it->is_string() ? it->get<std::string>() : it->dump();
    }
  }
  return s;
}

void print_event(const TrialEvent& ev, const std::string& metric, int worker) {
  const Trial& t = ev.trial;
  char head[160];
  std::snprintf(head, sizeof head, "[w%d] trial %3d %-8s", worker, t.number, to_string(t.state));
  std::string value = t.value ? (metric + " " + std::to_string(*t.value)) : std::string("no value");
  std::printf("%s %s  %.1f s%s%s  | %s\n", head, value.c_str(), ev.seconds,
              ev.kind == JobKind::Resumed ? " (promoted, resumed)" : ev.kind == JobKind::Retry ? " (retry)" : "",
              ev.note.empty() ? "" : ("  " + ev.note).c_str(), params_text(t.params).c_str());
  std::fflush(stdout);
}

void print_summary(StudyStorage& storage, const Study& study, int top) {
  std::vector<Trial> all = storage.trials(study);
  int counts[4] = {0, 0, 0, 0};
  for (const Trial& t : all) ++counts[static_cast<int>(t.state)];
  std::printf("\nstudy '%s': %zu trials (%d complete, %d pruned, %d failed, %d running)\n", study.name.c_str(),
              all.size(), counts[1], counts[2], counts[3], counts[0]);
  std::vector<Trial> done;
  for (const Trial& t : all)
    if (t.state == TrialState::Complete && t.value) done.push_back(t);
  std::sort(done.begin(), done.end(), [&](const Trial& a, const Trial& b) {
    return better(study.direction, *a.value, *b.value) || (*a.value == *b.value && a.number < b.number);
  });
  const std::string metric = study.config.value("metric", std::string("value"));
  for (size_t i = 0; i < done.size() && static_cast<int>(i) < top; ++i)
    std::printf("  #%zu trial %3d  %s %.4f  %s\n", i + 1, done[i].number, metric.c_str(), *done[i].value,
                params_text(done[i].params).c_str());
}

// --worker: how long to wait between looks for work, and after how long without any to stop.
struct WaitForWork {
  bool enabled = false;
  double poll_s = 10, idle_exit_s = 300;
};

bool sleep_unless_interrupted(double seconds) {
  for (double t = 0; t < seconds; t += 0.2) {
    if (g_interrupts.load() > 0) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return g_interrupts.load() == 0;
}

// The study's trial target for --worker (study attribute "target_trials"), 0 when unset.
int64_t study_target(StudyStorage& storage, const Study& study) {
  const std::optional<nlohmann::json> t = storage.study_attr(study, "target_trials");
  return t && t->is_number_integer() ? t->get<int64_t>() : 0;
}

// Runs the workers, each in a process of its own with its own connection (--parallel 1: in this
// process). The caller must hold no open storage connection: none may cross fork().
int run_workers(const std::string& storage_path, const StorageOptions& storage_options, const Study& study,
                const WorkerOptions& base, int parallel, const std::string& device, int threads,
                const WaitForWork& wait) {
  auto work = [&](int worker_index) -> int {
    StudyStorage storage(storage_path, storage_options);  // one connection per process
    std::string notice;
    auto backend = make_backend(parse_device_request(device), &notice);
    if (!notice.empty() && worker_index == 0) std::printf("note: %s\n", notice.c_str());
    TuneWorker worker(storage, study, *backend, base);
    const std::string metric = study.config.value("metric", std::string("value"));
    auto on_event = [&](const TrialEvent& ev) { print_event(ev, metric, worker_index); };
    auto stop = [] { return g_interrupts.load() > 0; };
    if (!wait.enabled) return worker.run(on_event, stop);
    // --worker: run whatever there is, then look again every poll_s until idle_exit_s pass idle.
    int segments = 0;
    TrialBudget no_new_trials(0);
    auto idle_since = std::chrono::steady_clock::now();
    while (!stop()) {
      // New trials only up to the study's target; without one, only queued work and promotions.
      const int64_t target = study_target(storage, study);
      worker.set_trial_limit(target);
      worker.set_budget(target > 0 ? nullptr : &no_new_trials);
      int done = 0;
      try {
        done = worker.run(on_event, stop);
      } catch (const StorageUnavailableError& e) {
        // A worker that waits for work waits for the database too (its results are on disk).
        std::fprintf(stderr, "gpu_tune: worker %d: %s; waiting\n", worker_index, e.what());
      }
      segments += done;
      if (done > 0) idle_since = std::chrono::steady_clock::now();
      const double idle = std::chrono::duration<double>(std::chrono::steady_clock::now() - idle_since).count();
      if (idle >= wait.idle_exit_s) break;
      if (!sleep_unless_interrupted(std::min(wait.poll_s, wait.idle_exit_s - idle))) break;
    }
    return segments;
  };
  if (parallel <= 1) {
    if (threads > 0) omp_set_num_threads(threads);
    work(0);
    return 0;
  }
  std::fflush(stdout);
  std::vector<pid_t> children;
  for (int w = 0; w < parallel; ++w) {
    const pid_t pid = fork();
    GD_CHECK(pid >= 0, "gpu_tune: fork failed: " << std::strerror(errno));
    if (pid == 0) {
      int rc = 0;
      try {
        omp_set_num_threads(threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / parallel));
        work(w);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "gpu_tune: worker %d: error: %s\n", w, e.what());
        rc = 1;
      }
      std::fflush(stdout);
      _exit(rc);
    }
    children.push_back(pid);
  }
  int failures = 0;
  std::string how;  // each failed worker: its exit status or the signal that ended it
  for (size_t k = 0; k < children.size(); ++k) {
    int status = 0;
    while (waitpid(children[k], &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
    ++failures;
    how += "; worker " + std::to_string(k + 1) + " (pid " + std::to_string(children[k]) + ") " +
           (WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                : "exited with status " + std::to_string(WEXITSTATUS(status)) +
                                      " (its error is printed above)");
  }
  GD_CHECK(failures == 0, failures << " of " << parallel << " worker processes failed" << how);
  return 0;
}

int run(int argc, char** argv) {
  CLI::App app{"gpu_tune: hyperparameter search (random, grid, TPE, Gaussian-process BO; median or ASHA "
               "pruning) with studies persisted in SQLite or PostgreSQL (workers on many machines: "
               "docs/distributed.md).\nRe-running with the same --study continues it (trials of lost workers are "
               "retried). Search-space format: docs/search-spaces.md"};
  app.get_formatter()->column_width(34);
  std::string study_name, storage_path = "runs/studies.db", space_path, runs_dir = "runs/tune";
  double heartbeat_grace = 120;
  int64_t target_trials = -1;
  WaitForWork wait;
  std::string sampler, sampler_options = "{}", pruner = "", report_path;
  ObjectiveConfig objective;
  int trials = 20, parallel = 1, eta = 3, min_epochs = 1, top = 5;
  uint64_t seed = 1;
  bool no_final = false, list = false, report_only = false, no_download = false;
  app.add_option("--study", study_name, "study name (created on first use, continued afterwards)");
  app.add_option("--storage", storage_path,
                 "SQLite file holding the studies, or a PostgreSQL URL postgresql://user@host:port/dbname "
                 "(password from the URL, PGPASSWORD or ~/.pgpass) shared by workers on many machines")
      ->capture_default_str();
  app.add_flag("--worker", wait.enabled,
               "join the study and wait for work: run queued trials, retries, promotions, and new trials while "
               "the study has fewer than its --target-trials; stop after --idle-exit seconds without work");
  app.add_option("--target-trials", target_trials, "store the study's trial target for --worker processes")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--poll", wait.poll_s, "--worker: seconds between looks for work")->capture_default_str();
  app.add_option("--idle-exit", wait.idle_exit_s, "--worker: stop after this many seconds without work")
      ->capture_default_str();
  app.add_option("--heartbeat-grace", heartbeat_grace,
                 "a running trial whose worker has not beaten for this many seconds is failed as 'worker lost' "
                 "(and retried, unless the study attribute worker_lost is 'fail'); workers beat every grace/4 s")
      ->capture_default_str();
  auto* o_space = app.add_option("--space", space_path, "search-space TOML file (when creating a study), e.g. spaces/mlp.toml");
  auto* o_arch = app.add_option("--arch", objective.arch, "mlp | cnn | lcnn | mlp-wide | cnn-bn | lcnn-bn | spec string | spec template with {param}")->capture_default_str();
  auto* o_metric = app.add_option("--metric", objective.metric, "objective: val_accuracy (maximised) | val_loss (minimised)")->capture_default_str();
  auto* o_epochs = app.add_option("--epochs", objective.max_epochs, "epochs per full trial (schedule horizon, ASHA's max resource)")->capture_default_str();
  auto* o_dataset = app.add_option("--dataset", objective.data.dataset, "mnist | mnist-10k | fashion-mnist | kmnist | usps")->capture_default_str();
  app.add_option("--data-dir", objective.data.data_dir, "directory holding the dataset files");
  app.add_option("--cache-dir", objective.data.cache_dir, "download cache");
  app.add_flag("--no-download", no_download, "never download missing files");
  auto* o_limit = app.add_option("--limit-train", objective.limit_train, "use only this many training images per trial (0 = all)")->capture_default_str();
  auto* o_val = app.add_option("--val-split", objective.val_split, "validation fraction the objective is measured on")->capture_default_str();
  app.add_option("--device", objective.device, "auto | cpu | cuda")->capture_default_str();
  app.add_option("--precision", objective.precision,
                 "CUDA math of every trial: fp32 | tf32 | bf16 (docs/precision.md); stored with the study")
      ->capture_default_str();
  app.add_option("--threads", objective.threads, "CPU threads per worker (0 = cores / --parallel)")->capture_default_str();
  app.add_option("--sampler", sampler, "auto | random | grid | tpe | gp | coarse-fine (default: the study's last, else auto: the GP up to 500 trials and 20 parameters, TPE beyond; docs/tuning.md)");
  app.add_option("--sampler-options", sampler_options, "JSON object of sampler options, e.g. '{\"n_startup\": 8}'")->capture_default_str();
  app.add_option("--pruner", pruner, "none | median | asha (default: the study's, else none)");
  app.add_option("--eta", eta, "ASHA reduction factor")->capture_default_str();
  app.add_option("--min-epochs", min_epochs, "ASHA bottom-rung epochs")->capture_default_str();
  app.add_option("--trials", trials, "new trials to run in this invocation")->capture_default_str();
  app.add_option("--parallel", parallel, "worker processes")->capture_default_str();
  app.add_option("--seed", seed, "sampler seed")->capture_default_str();
  app.add_option("--runs-dir", runs_dir, "where trial run directories go")->capture_default_str();
  app.add_flag("--no-final", no_final, "skip retraining the best configuration on train+validation and testing it");
  auto* o_report = app.add_option("--report", report_path, "write the study's HTML report (default path: <runs-dir>/<study>/report.html)")
                       ->expected(0, 1);
  app.add_flag("--report-only", report_only, "only write the report (with --report); run no trials");
  app.add_flag("--list", list, "list the studies in --storage with their live workers and exit");
  std::string export_path, evaluate_params;
  app.add_option("--export", export_path, "write the study's trials (params, state, values, curves, attrs) as JSON and exit");
  app.add_option("--evaluate", evaluate_params,
                 "run ONE trial of the study's objective with these parameters (a JSON object), outside the "
                 "study, print {\"value\": ...} and exit (lets other tuners, e.g. Optuna, drive the same objective)");
  app.add_option("--top", top, "best trials to print")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help exits 0; every usage error exits 2, as the help says
  }
  objective.data.allow_download = !no_download;
  signal(SIGINT, on_interrupt);
  signal(SIGTERM, on_interrupt);
  try {
    GD_CHECK_T(trials >= 0, ConfigError, "--trials must be >= 0, got " << trials);
    set_cpu_threads(objective.threads);  // 0..max_cpu_threads(), a ConfigError naming the value otherwise
    GD_CHECK_T(parallel >= 1 && parallel <= 64, ConfigError, "--parallel must be in [1, 64], got " << parallel);
    GD_CHECK_T(heartbeat_grace > 0, ConfigError, "--heartbeat-grace must be > 0, got " << heartbeat_grace);
    GD_CHECK_T(wait.poll_s > 0 && wait.idle_exit_s >= 0, ConfigError, "--poll must be > 0 and --idle-exit >= 0");
    StorageOptions storage_options;
    storage_options.heartbeat_grace_s = heartbeat_grace;
    if (!sql::is_postgres_url(storage_path)) {
      const std::filesystem::path parent = std::filesystem::path(storage_path).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent);
    }
    auto storage_ptr = std::make_unique<StudyStorage>(storage_path, storage_options);
    const std::string where = storage_ptr->path();  // never the password
    if (list) {
      for (const Study& s : storage_ptr->studies()) {
        const auto n = storage_ptr->trials(s).size();
        std::printf("%-24s %-9s %4zu trials  arch %s\n", s.name.c_str(), to_string(s.direction), n,
                    s.config.value("arch", std::string("?")).c_str());
        for (const WorkerRecord& w : storage_ptr->live_workers(s, 2 * heartbeat_grace)) {
          std::printf("  worker %-28s %-8s %s  last beat %.0f s ago\n", w.id.c_str(), w.state.c_str(),
                      w.trial_number ? ("trial " + std::to_string(*w.trial_number)).c_str() : "",
                      std::max(0.0, unix_now() - w.heartbeat_at));
        }
      }
      return 0;
    }
    StudyStorage& storage = *storage_ptr;
    GD_CHECK_T(!study_name.empty(), ConfigError, "--study is required (or --list)");

    std::optional<Study> found = storage.find_study(study_name);
    // Sampler and pruner: flags, else what the study used last. Checked before anything is stored.
    if (sampler.empty())
      sampler = found ? storage.study_attr(*found, "sampler").value_or("auto").get<std::string>() : "auto";
    nlohmann::json pruner_cfg;
    if (pruner.empty()) {
      pruner_cfg = found ? storage.study_attr(*found, "pruner").value_or(nlohmann::json{{"type", "none"}})
                         : nlohmann::json{{"type", "none"}};
    } else if (pruner == "asha") {
      pruner_cfg = {{"type", "asha"}, {"reduction_factor", eta}, {"min_resource", min_epochs}};
    } else {
      pruner_cfg = {{"type", pruner}};
    }
    const nlohmann::json sampler_opts = nlohmann::json::parse(sampler_options);
    make_sampler(sampler, sampler_opts);
    make_pruner(pruner_cfg, found ? objective_from_json(found->config).max_epochs : objective.max_epochs);

    if (pruner_cfg.value("type", std::string()) == "asha" && (found || !space_path.empty())) {
      const SearchSpace sp = found ? SearchSpace::from_json(found->space, "study '" + study_name + "'")
                                   : SearchSpace::from_toml_file(space_path);
      GD_CHECK_T(sp.index_of("epochs") < 0, ConfigError,
                 "--pruner asha allocates epochs itself (rungs up to --epochs), but the search space has a parameter "
                 "'epochs'; remove it from the space or use --pruner median");
    }
    Study study;
    if (!found) {
      GD_CHECK_T(!space_path.empty(), ConfigError,
                 "study '" << study_name << "' does not exist in " << where << ": give --space to create it");
      const SearchSpace space = SearchSpace::from_toml_file(space_path);
      validate(objective);
      std::vector<std::string> names;
      for (const auto& p : space.params()) names.push_back(p.name);
      check_param_names(objective, names);
      study = storage.create_study(study_name, metric_direction(objective.metric), space.to_json(), to_json(objective));
      std::printf("created study '%s' in %s: %zu parameters from %s, objective %s of %s, %d epochs per trial\n",
                  study_name.c_str(), where.c_str(), space.params().size(), space_path.c_str(),
                  objective.metric.c_str(), objective.arch.c_str(), objective.max_epochs);
    } else {
      study = *found;
      if (o_space->count() > 0) {
        // The creating command run again (another machine, another worker): fine when it asks for
        // the same study; where this machine keeps its data or how many threads it trains with is
        // its own business. Anything else is a ConfigError naming what differs.
        nlohmann::json given = to_json(objective);
        for (const char* k : {"data_dir", "cache_dir", "allow_download", "threads"}) {
          if (study.config.contains(k)) given[k] = study.config.at(k);
          else given.erase(k);
        }
        storage.open_study(study_name, metric_direction(objective.metric),
                           SearchSpace::from_toml_file(space_path).to_json(), given);
      } else {
        for (CLI::Option* o : {o_arch, o_metric, o_epochs, o_dataset, o_limit, o_val})
          GD_CHECK_T(o->count() == 0, ConfigError,
                     "study '" << study_name << "' already exists: " << o->get_name()
                               << " only applies when a study is created (its objective and space are stored; use a "
                                  "new --study, or give the creating command's --space and flags unchanged)");
      }
      const ObjectiveConfig stored = objective_from_json(study.config);
      std::printf("continuing study '%s' (%zu trials so far; objective %s of %s)\n", study_name.c_str(),
                  storage.trials(study).size(), stored.metric.c_str(), stored.arch.c_str());
      objective.max_epochs = stored.max_epochs;
    }

    if (!export_path.empty()) {
      nlohmann::json out = {{"study", study.name},
                            {"direction", to_string(study.direction)},
                            {"space", study.space},
                            {"objective", study.config},
                            {"attrs", storage.study_attrs(study)},
                            {"trials", nlohmann::json::array()}};
      for (const TrialRecord& r : storage.trial_records(study)) {
        const Trial& t = r.trial;
        nlohmann::json curve = nlohmann::json::array();
        for (const auto& [step, v] : t.intermediate) curve.push_back({step, v});
        out["trials"].push_back({{"number", t.number}, {"state", to_string(t.state)}, {"params", t.params},
                                 {"value", t.value ? nlohmann::json(*t.value) : nlohmann::json(nullptr)},
                                 {"intermediate", curve}, {"fail_reason", t.fail_reason}, {"sampler", t.sampler},
                                 {"device", t.device}, {"attrs", t.attrs}, {"worker", r.worker},
                                 {"started_at", r.started_at}});
      }
      write_file_atomic(export_path, out.dump(1) + "\n");
      std::printf("exported %zu trials to %s\n", out["trials"].size(), export_path.c_str());
      return 0;
    }
    if (!evaluate_params.empty()) {
      const ObjectiveConfig stored = objective_from_json(study.config);
      nlohmann::json params;
      try {
        params = nlohmann::json::parse(evaluate_params);
      } catch (const nlohmann::json::exception& e) {
        throw ConfigError("--evaluate is not a JSON object of parameters: " + std::string(e.what()));
      }
      GD_CHECK_T(params.is_object(), ConfigError, "--evaluate must be a JSON object of parameters, got " << params.dump());
      SearchSpace::from_json(study.space, "study '" + study.name + "'").validate_params(params);
      if (objective.threads > 0) omp_set_num_threads(objective.threads);
      std::string notice;
      auto backend = make_backend(parse_device_request(stored.device), &notice);
      TrialRunner runner(stored, *backend);
      const std::string dir = runs_dir + "/" + study_name + "/evaluate-" + std::to_string(getpid());
      const TrialOutcome out = runner.run(params, dir, nullptr);
      std::filesystem::remove_all(dir);
      nlohmann::json j = {{"value", out.value ? nlohmann::json(*out.value) : nlohmann::json(nullptr)},
                          {"state", out.end == TrialOutcome::End::Failed ? "failed" : "complete"},
                          {"fail_reason", out.fail_reason}, {"seconds", out.seconds}, {"metrics", out.metrics}};
      std::printf("%s\n", j.dump().c_str());
      return out.end == TrialOutcome::End::Failed ? 1 : 0;
    }
    if (o_report->count() > 0 && report_only) {
      if (report_path.empty()) report_path = runs_dir + "/" + study_name + "/report.html";
      std::printf("report: %s\n", report::write_study_report(storage, study, report_path).c_str());
      return 0;
    }

    if (const auto prev = storage.study_attr(study, "pruner"); prev && *prev != pruner_cfg && !storage.trials(study).empty())
      std::printf("note: the pruner changes from %s to %s for this study\n", prev->dump().c_str(), pruner_cfg.dump().c_str());
    storage.set_study_attr(study, "sampler", sampler);
    storage.set_study_attr(study, "pruner", pruner_cfg);
    if (sampler == "auto") {
      // The rule decides at every proposal (auto_sampler.h); this is its choice for the next one.
      const AutoChoice choice =
          auto_sampler_choice(SearchSpace::from_json(study.space, "study '" + study_name + "'"), storage.trials(study));
      std::printf("sampler auto: %s (%s)\n", choice.sampler.c_str(), choice.reason.c_str());
      storage.set_study_attr(study, "sampler_choice", nlohmann::json{{"sampler", choice.sampler}, {"reason", choice.reason}});
    }

    WorkerOptions w;
    w.sampler = sampler;
    w.sampler_options = sampler_opts;
    w.pruner = pruner_cfg;
    w.seed = seed;
    w.runs_dir = runs_dir;
    w.device_label = objective.device;
    w.heartbeat_interval_s = std::clamp(heartbeat_grace / 4, 0.2, 30.0);
    if (target_trials >= 0) storage.set_study_attr(study, "target_trials", target_trials);
    // --trials N: N new sampled trials by this invocation, shared by its --parallel processes.
    // (--worker samples up to the study's target instead.)
    std::unique_ptr<TrialBudget> budget;
    if (!wait.enabled) {
      budget = std::make_unique<TrialBudget>(trials);
      w.budget = budget.get();
    }
    if (trials > 0 || wait.enabled) {
      if (wait.enabled) {
        std::printf("worker for study '%s' in %s: target %lld trials, %d process%s, idle exit after %.0f s\n",
                    study_name.c_str(), where.c_str(), static_cast<long long>(study_target(storage, study)), parallel,
                    parallel > 1 ? "es" : "", wait.idle_exit_s);
      } else {
        std::printf("running %d trials with the %s sampler, pruner %s, %d worker%s\n", trials, sampler.c_str(),
                    pruner_cfg.value("type", std::string("none")).c_str(), parallel, parallel > 1 ? "s" : "");
      }
      std::fflush(stdout);
      const ObjectiveConfig stored = objective_from_json(study.config);
      storage_ptr.reset();  // no connection may cross fork(): each worker opens its own
      run_workers(storage_path, storage_options, study, w, parallel, stored.device, objective.threads, wait);
      storage_ptr = std::make_unique<StudyStorage>(storage_path, storage_options);
    }
    StudyStorage& after = *storage_ptr;
    print_summary(after, study, top);

    // The final retrain happens once per best trial, whatever the number of machines: only when no
    // trial is running or queued any more (the best could still change), by the one worker that
    // claims it.
    std::optional<Trial> best = no_final || g_interrupts.load() > 0 ? std::nullopt : after.best_trial(study);
    if (best) {
      size_t running = 0;
      for (const Trial& t : after.trials(study)) running += t.state == TrialState::Running;
      const std::optional<nlohmann::json> final_attr = after.study_attr(study, "final");
      const bool done = final_attr && final_attr->value("trial_number", -1) == best->number;
      if (!done && (running > 0 || after.queued_trials(study) > 0)) {
        std::printf("\nfinal: not yet, %zu trials of the study are still running elsewhere; the last worker to "
                    "finish retrains the best\n", running);
        best.reset();
      } else if (!done) {
        const std::string key = "final_claim:" + std::to_string(best->id);
        const nlohmann::json mine = {{"worker", after.worker().id()},
                                     {"worker_start", after.worker().start_ticks.value_or(0)},
                                     {"at", unix_now()}};
        if (!after.claim_study_attr(study, key, mine)) {
          // A claimant that died on this machine (e.g. Ctrl-C twice during the retrain) is replaced.
          const nlohmann::json other = after.study_attr(study, key).value_or(nlohmann::json::object());
          const std::string who = other.value("worker", std::string("?"));
          const int64_t start = other.value("worker_start", int64_t{0});
          if (worker_liveness(who, start ? std::optional<int64_t>(start) : std::nullopt) == WorkerLiveness::Dead) {
            after.set_study_attr(study, key, mine);
          } else {
            std::printf("\nfinal: trial %d is being retrained by worker %s (study attribute %s)\n", best->number,
                        who.c_str(), key.c_str());
            best.reset();
          }
        }
      }
    }
    if (best) {
      std::string notice;
      const ObjectiveConfig stored = objective_from_json(study.config);
      if (objective.threads > 0) omp_set_num_threads(objective.threads);
      auto backend = make_backend(parse_device_request(stored.device), &notice);
      ConsoleProgress progress(stdout, /*quiet=*/true);
      const FinalModel f = retrain_best(after, study, *backend, runs_dir + "/" + study_name + "/final", progress);
      std::printf("\nfinal: trial %d (validation %s %.4f) retrained on train+validation for %d epochs: "
                  "test accuracy %.2f%%, test loss %.4f (test set used once)\n  model: %s/model.ckpt\n",
                  f.trial_number, stored.metric.c_str(), f.validation_value, f.epochs, 100.0 * f.test_accuracy,
                  f.test_loss, f.run_dir.c_str());
    }
    if (o_report->count() > 0) {
      if (report_path.empty()) report_path = runs_dir + "/" + study_name + "/report.html";
      std::printf("report: %s\n", report::write_study_report(after, study, report_path).c_str());
    }
    return g_interrupts.load() > 0 ? 130 : 0;
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "gpu_tune: error: %s\n", e.what());
    return 2;
  } catch (const nlohmann::json::exception& e) {
    std::fprintf(stderr, "gpu_tune: error: --sampler-options is not a JSON object: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_tune: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
