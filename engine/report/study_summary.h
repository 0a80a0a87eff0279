#pragma once
// The facts a study report is built from, computed once: what the objective is, trials by state,
// the ranking of the complete trials, samplers used, compute time, and the final model (study
// attribute "final", engine/tune/final_model.h). Pure functions of the stored study, so tests can
// check them without rendering anything.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/tune/study_storage.h"

namespace gd::report {

// The objective as the study's config describes it. Every field is read leniently: a missing or
// malformed key leaves its default ("?" / 0) instead of throwing, so an old study still reports.
struct StudyObjective {
  std::string metric = "value";  // val_accuracy | val_loss | ...
  std::string arch = "?", dataset = "?";
  int max_epochs = 0;              // 0 = unknown
  long long limit_train = 0;
  double val_split = 0.0;
  bool maximize = true;
  bool percent = false;            // the metric is an accuracy (a fraction): shown in percent

  std::string metric_label() const;  // "validation accuracy", "validation loss", or the metric name
  // The value as shown: "97.31%" for accuracies, else 4 significant decimals ("0.0873"); "n/a" for NaN.
  std::string format(double v) const;
  // Value on chart axes: accuracies in percent (x 100), others as they are.
  double display(double v) const { return percent ? 100.0 * v : v; }
  std::string axis_title() const;  // "validation accuracy (%)"
};

// The study attribute "final": the best configuration retrained on train+validation and evaluated
// once on the test set.
struct FinalEvaluation {
  bool present = false;
  std::string problem;  // non-empty when "final" exists but is malformed (what is wrong)
  int trial_number = -1;
  double test_accuracy = 0.0, test_loss = 0.0, validation_value = 0.0;
  int epochs = 0;
  std::string run_dir;
  nlohmann::json params = nlohmann::json::object();
  bool stale = false;  // the best complete trial is now another one (the study went on afterwards)
};

enum class TrialStatus { Complete, Pruned, Paused, Failed, Running };
const char* to_string(TrialStatus s);  // "complete", "pruned", "paused", "failed", "running"

struct StudySummary {
  StudyObjective objective;
  int total = 0, complete = 0, pruned = 0, paused = 0, failed = 0, running = 0;
  std::vector<size_t> ranking;    // indices (into the trials) of complete trials with a finite value, best first
  std::optional<size_t> best;     // ranking.front()
  std::vector<std::pair<std::string, int>> samplers;  // sampler label -> trials, most used first
  double compute_seconds = 0.0;   // sum of the trials' wall times (resumptions included)
  double first_started = 0.0, last_finished = 0.0;  // unix seconds (0 = unknown)
  FinalEvaluation final_model;
};

// Status of a trial: Pruned splits into Paused (ASHA: attrs.asha.rung, may still be promoted) and
// Pruned (stopped for good, e.g. by the median rule).
TrialStatus trial_status(const tune::Trial& t);
// Which sampler proposed the trial: Trial::sampler, with the part of a composite sampler that
// proposed (attrs.proposer) when it differs: "coarse-fine/gp". "unknown" when empty.
std::string sampler_label(const tune::Trial& t);
// Epochs the trial trained: its last reported step (0 when it reported none).
int trial_epochs(const tune::Trial& t);
// Wall time in seconds: duration_s, else attrs.seconds, else 0.
double trial_seconds(const tune::Trial& t);
// "1 h 02 min", "3 min 20 s", "12.4 s".
std::string format_duration(double seconds);

StudyObjective study_objective(const tune::Study& study);
FinalEvaluation final_evaluation(const std::optional<nlohmann::json>& final_attr);

StudySummary summarize_study(const tune::Study& study, const std::vector<tune::TrialRecord>& records,
                             const std::optional<nlohmann::json>& final_attr);

}  // namespace gd::report
