#pragma once
// The "Parameter importance" section of the study report: param_importance (param_importance.h)
// over the complete trials, as a horizontal bar chart of the normalised importances and a table
// with each parameter's share of the objective's variance (in the additive model and alone), the
// groups used and how often it was active. Says "not enough trials" below ImportanceOptions::min_trials complete trials, and says so
// plainly when no parameter explains more than noise would.
#include <string>
#include <vector>

#include "engine/report/html_document.h"
#include "engine/report/param_importance.h"
#include "engine/report/study_params.h"
#include "engine/report/study_summary.h"
#include "engine/tune/study_storage.h"

namespace gd::report {

// The importance over the study's complete trials with a finite value (summary.ranking).
ImportanceResult study_importance(const std::vector<tune::TrialRecord>& records, const StudySummary& summary,
                                  const StudyParams& params);

// The section body; the chart is registered in `doc`.
std::string importance_html(HtmlDocument& doc, const ImportanceResult& result);

}  // namespace gd::report
