#pragma once
// The tables of the study report: the best trials, the failed trials with their reasons, every
// trial (collapsed), and the search space. All text is escaped (HtmlTable); an empty table is
// replaced by a line saying why.
#include <string>
#include <vector>

#include "engine/report/study_params.h"
#include "engine/report/study_summary.h"
#include "engine/tune/study_storage.h"

namespace gd::report {

inline constexpr size_t kBestTrialsShown = 10;
inline constexpr size_t kFailedTrialsShown = 200;

// Top kBestTrialsShown complete trials: rank, trial, value, every parameter (blank when inactive),
// epochs, seconds, sampler.
std::string best_trials_html(const std::vector<tune::TrialRecord>& records, const StudySummary& summary,
                             const StudyParams& params);

// Failed trials (first kFailedTrialsShown by number): trial, sampler, epochs reached, parameters,
// the reason, and the trial that retried it when there is one.
std::string failed_trials_html(const std::vector<tune::TrialRecord>& records, const StudySummary& summary);

// Every trial by number in a collapsed <details> block: state, value, parameters, epochs, seconds,
// sampler, device, worker.
std::string all_trials_html(const std::vector<tune::TrialRecord>& records, const StudySummary& summary,
                            const StudyParams& params);

// The search space: sampled parameters (range or choices, scale, condition, description), fixed
// ones, and where the axes came from.
std::string search_space_html(const StudyParams& params);

// "lr=0.003 optimizer=adam": a trial's parameters (its params object's keys, in the object's
// alphabetical order; inactive ones are absent).
std::string params_inline(const nlohmann::json& trial_params);

}  // namespace gd::report
