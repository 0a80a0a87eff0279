#pragma once
// The HTML report of a tuning study (`gpu_tune --study NAME --report [PATH]`): one self-contained
// file (HtmlDocument) with
//   * a header: study name, objective (metric, direction, arch, dataset, epoch cap), trials by
//     state, the best validation value and its trial, samplers used, total compute time;
//   * the final evaluation: the best configuration retrained on train+validation and evaluated
//     once on the test set (study attribute "final", engine/tune/final_model.h), or a note that
//     none exists yet (or that it belongs to a trial that is no longer the best);
//   * the best trials, the optimisation history, the intermediate values per epoch, the parallel
//     coordinates, the parameter importance (param_importance.h), the slice plots, the failed
//     trials with their reasons, the search space and every trial.
// Every section states what it shows in one line, and says "not enough trials" instead of breaking
// on a study with 0, 1 or 2 trials, or none complete. The work is linear in the number of trials
// (a 500-trial study gives a file of about 1 MB).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/report/html_document.h"
#include "engine/tune/study_storage.h"

namespace gd::report {

// The report of `study` from its trial records (StudyStorage::trial_records) and its "final"
// attribute; `storage_path` is shown in the header ("" = not shown).
HtmlDocument build_study_report(const tune::Study& study, const std::vector<tune::TrialRecord>& records,
                                const std::optional<nlohmann::json>& final_attr, const std::string& storage_path);

// Reads the study from `storage`, builds the report and writes it atomically to `path` (creating
// its directory). Returns `path`. ConfigError for an empty path; gd::Error naming the path when it
// cannot be written.
std::string write_study_report(tune::StudyStorage& storage, const tune::Study& study, const std::string& path);

}  // namespace gd::report
