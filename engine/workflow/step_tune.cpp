// Step 5, "tune": a study of the project's tuner (StudyStorage + TuneWorker + the TPE / GP
// sampler) around the regularised model, whose own configuration is the study's first trial. The
// tuned configuration is the best trial, or the regularised model when no trial beat it.
// The study lives in <out>/tune/studies.db, so an interrupted workflow continues it.
#include <chrono>
#include <cmath>
#include <filesystem>

#include "engine/core/error.h"
#include "engine/report/html_fragments.h"
#include "engine/train/atomic_file.h"
#include "engine/tune/study_storage.h"
#include "engine/tune/trial_config.h"
#include "engine/tune/tune_worker.h"
#include "engine/workflow/decision_text.h"
#include "engine/workflow/tuning_space.h"
#include "engine/workflow/workflow_steps.h"

namespace gd::workflow {
namespace {

constexpr const char* kStudyName = "workflow";

std::string params_text(const nlohmann::json& p, const std::string& width_param) {
  auto num = [&](const char* k) { return p.contains(k) && p[k].is_number() ? p[k].get<double>() : NAN; };
  std::string s =
      "lr " + sci(num("lr")) + ", dropout " + sci(num("dropout")) + ", weight decay " + sci(num("weight_decay"));
  if (p.contains(width_param)) s += ", " + width_param + " " + p[width_param].dump();
  return s;
}

nlohmann::json value_or_null(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

StepResult run_tune_step(WorkflowContext& ctx, const StepResult& regularise) {
  namespace fs = std::filesystem;
  using namespace gd::tune;
  const auto t0 = std::chrono::steady_clock::now();
  const nlohmann::json& chosen = regularise.details.at("chosen");
  const Regularisation reg = Regularisation::from_json(chosen.at("regularisation"));
  const Capacity cap = ctx.family.capacity(regularise.details.at("capacity").at("width").get<int64_t>());
  const double regularised_acc =
      chosen.at("run").at("val_accuracy").is_number() ? chosen.at("run").at("val_accuracy").get<double>() : NAN;
  const int trials = ctx.settings.trials > 0 ? ctx.settings.trials : ctx.budget.trials;
  const std::string width_param = ctx.family.width_param();

  const std::string toml = tuning_space_toml(ctx.family, cap, reg, ctx.lr(), ctx.budget.tune_width_up);
  const SearchSpace space = SearchSpace::from_toml_string(toml, "gpu_workflow tuning space");
  ObjectiveConfig objective = ctx.trainer.objective();
  objective.arch = ctx.family.arch(reg.batchnorm);
  objective.metric = "val_accuracy";
  objective.max_epochs = ctx.budget.epochs;
  validate(objective);
  std::vector<std::string> names;
  for (const ParamSpec& p : space.params()) names.push_back(p.name);
  check_param_names(objective, names);

  const std::string dir = ctx.step_dir("tune");
  fs::create_directories(dir);
  write_file_atomic(dir + "/space.toml", toml);
  const std::string db = dir + "/studies.db";
  StudyStorage storage(db);
  Study study;
  // Where the data files lie and how many threads train do not change the objective: a study
  // stored with other paths is continued, its trials run with today's (the worker reads them from
  // the Study it is given).
  auto located = [](nlohmann::json j) {
    for (const char* k : {"data_dir", "cache_dir", "allow_download", "threads"}) j.erase(k);
    return j;
  };
  const std::optional<Study> stored = storage.find_study(kStudyName);
  if (stored && stored->space == space.to_json() && located(stored->config) == located(to_json(objective))) {
    study = *stored;
    study.config = to_json(objective);
  } else {
    try {
      study = storage.open_study(kStudyName, Direction::Maximize, space.to_json(), to_json(objective));
    } catch (const ConfigError& e) {
      // A study left by an earlier workflow in this directory with other settings (the workflow
      // record that described it is gone or differs): it is this workflow's scratch, start afresh.
      ctx.say(std::string("[tune] replacing the stale study in ") + db + ": " + e.what());
      storage.delete_study(kStudyName);
      study = storage.create_study(kStudyName, Direction::Maximize, space.to_json(), to_json(objective));
    }
  }
  std::string seed_note;
  const nlohmann::json seed = seed_trial_params(space, ctx.family, cap, reg, ctx.lr(), &seed_note);
  const size_t existing = storage.trials(study).size();
  if (existing == 0 && storage.queued_trials(study) == 0)
    storage.enqueue_trial(study, seed, {{"origin", "the regularised model (step 4)"}});
  else
    ctx.say("[tune] continuing study '" + std::string(kStudyName) + "' in " + db + " (" + std::to_string(existing) +
            " trials so far)");

  WorkerOptions w;
  w.sampler = ctx.settings.sampler;
  if (w.sampler != "random") w.sampler_options = {{"n_startup", std::max(2, trials / 2)}};
  w.seed = ctx.settings.seed;
  w.runs_dir = dir + "/runs";
  w.device_label = ctx.settings.device;
  w.trial_limit = trials;
  storage.set_study_attr(study, "sampler", w.sampler);
  storage.set_study_attr(study, "pruner", w.pruner);
  {
    TuneWorker worker(storage, study, ctx.backend, w);
    worker.run([&](const TrialEvent& ev) {
      const Trial& t = ev.trial;
      ctx.say("[tune] trial " + std::to_string(t.number) + " " + to_string(t.state) + ": " +
              (t.value ? "val acc " + pct(*t.value) : std::string("no value")) + " (" +
              params_text(t.params, width_param) + "), " + report::fixed(ev.seconds, 1) + " s" +
              (ev.note.empty() ? "" : "; " + ev.note));
    });
  }

  const std::vector<Trial> all = storage.trials(study);
  const std::optional<Trial> best = storage.best_trial(study);
  GD_CHECK_T(best.has_value(), NumericError,
             "the tuning study '" << kStudyName << "' in " << db << " has no complete trial (" << all.size()
                                  << " trials, all failed: see their fail reasons with gpu_tune --storage " << db
                                  << " --study " << kStudyName << " --export FILE)");

  StepResult s;
  s.id = "tune";
  s.title = "Hyperparameter tuning";
  s.done = "Ran a study of the project's tuner (" + w.sampler + " sampler, " + std::to_string(trials) + " trials of " +
           std::to_string(ctx.budget.epochs) +
           " epochs, objective: validation accuracy of the last "
           "epoch) over the learning rate, dropout, weight decay and width around the regularised model, whose own "
           "configuration is trial 0" +
           (seed_note.empty() ? "" : " (" + seed_note + ")") + ".";
  s.numbers.columns = {
      {"trial", Format::Integer},     {"state", Format::Text},           {"proposed by", Format::Text},
      {"lr", Format::Scientific},     {"dropout", Format::Fixed},        {"weight decay", Format::Scientific},
      {width_param, Format::Integer}, {"val accuracy", Format::Percent}, {"seconds", Format::Seconds}};
  nlohmann::json trials_json = nlohmann::json::array();
  const Trial* seed_trial = nullptr;
  for (const Trial& t : all) {
    if (t.number == 0) seed_trial = &t;
    const std::string origin = t.number == 0 ? "regularised model" : t.attrs.value("proposer", t.sampler);
    auto param = [&](const char* k) { return t.params.contains(k) ? t.params[k] : nlohmann::json(nullptr); };
    s.numbers.add_row({t.number, to_string(t.state), origin, param("lr"), param("dropout"), param("weight_decay"),
                       param(width_param.c_str()), value_or_null(t.value), t.duration_s});
    trials_json.push_back({{"number", t.number},
                           {"state", to_string(t.state)},
                           {"params", t.params},
                           {"value", value_or_null(t.value)},
                           {"seconds", t.duration_s},
                           {"proposer", origin},
                           {"fail_reason", t.fail_reason},
                           {"run_dir", t.attrs.value("run_dir", std::string())}});
    const std::string hist = t.attrs.value("run_dir", std::string()) + "/history.json";
    if (t.state == TrialState::Complete && fs::exists(hist)) {
      try {
        s.curves.push_back({"trial " + std::to_string(t.number), t.attrs.value("run_dir", std::string()),
                            History::from_json(nlohmann::json::parse(read_file(hist)))});
      } catch (const std::exception& e) {
        ctx.say("[tune] trial " + std::to_string(t.number) + ": no curve (" + e.what() + ")");
      }
    }
  }
  // The tuned configuration: the best complete trial, unless the regularised model of step 4 (its
  // exact configuration: trial 0 may differ in weight decay) measured at least as high. Tuning
  // must not make the model worse on validation, and on a tie the configuration already chosen stays.
  const double best_value = *best->value;
  const double seed_value = seed_trial && seed_trial->value ? *seed_trial->value : NAN;
  const nlohmann::json& reg_run = chosen.at("run");
  const bool keep_regularised = std::isfinite(regularised_acc) && regularised_acc >= best_value;
  nlohmann::json best_json;
  if (keep_regularised) {
    const ModelPoint start = ctx.family.point(cap, reg, ctx.lr(), ctx.budget.epochs);
    nlohmann::json params = start.params;
    params.erase("epochs");
    best_json = {{"number", -1},
                 {"label", "the regularised model"},
                 {"params", params},
                 {"value", regularised_acc},
                 {"val_loss", reg_run.at("val_loss")},
                 {"arch", start.arch},
                 {"run_dir", reg_run.at("run_dir")}};
    s.decision = "No trial beat the regularised model of step 4 (" + pct(regularised_acc) +
                 " validation accuracy; the best trial, " + std::to_string(best->number) + ", reached " +
                 pct(best_value) +
                 (best->number == 0 && !seed_note.empty() ? " with weight decay 1e-6 instead of 0" : "") +
                 "): the regularised model itself is the configuration retrained for the test.";
  } else {
    nlohmann::json loss = nullptr;
    for (const NamedCurve& c : s.curves)
      if (c.label == "trial " + std::to_string(best->number) && !c.history.records().empty() &&
          std::isfinite(c.history.records().back().val_loss))
        loss = c.history.records().back().val_loss;
    best_json = {{"number", best->number},
                 {"label", "trial " + std::to_string(best->number)},
                 {"params", best->params},
                 {"value", best_value},
                 {"val_loss", loss},
                 {"arch", objective.arch},
                 {"run_dir", best->attrs.value("run_dir", std::string())}};
    s.decision =
        "Trial " + std::to_string(best->number) + " (" + params_text(best->params, width_param) + ") reaches " +
        pct(best_value) + " validation accuracy, " +
        (std::isfinite(regularised_acc)
             ? pp(best_value - regularised_acc) + " over the regularised model of step 4 (" + pct(regularised_acc) + ")"
             : std::string("the best of the study")) +
        ": it is the configuration retrained for the test.";
  }
  s.artefacts.push_back({"study (SQLite; gpu_tune --storage " + db + " --study " + kStudyName + ")", db});
  s.artefacts.push_back({"search space", dir + "/space.toml"});
  s.details = {{"study", kStudyName},
               {"storage", db},
               {"sampler", w.sampler},
               {"sampler_options", w.sampler_options},
               {"trials_requested", trials},
               {"space", space.to_json()},
               {"objective", to_json(objective)},
               {"trials", trials_json},
               {"seed_params", seed},
               {"seed_note", seed_note},
               {"regularised_val_accuracy",
                std::isfinite(regularised_acc) ? nlohmann::json(regularised_acc) : nlohmann::json(nullptr)},
               {"seed_val_accuracy", std::isfinite(seed_value) ? nlohmann::json(seed_value) : nlohmann::json(nullptr)},
               {"best_trial", {{"number", best->number}, {"params", best->params}, {"value", best_value}}},
               {"best", best_json}};
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ctx.say("[tune] decision: " + s.decision);
  return s;
}

}  // namespace gd::workflow
