#pragma once
// Slice plots of a study: one scatter per sampled parameter, the objective of every complete trial
// against that parameter's value (log x axis for log-scale parameters, one category per choice for
// categorical ones), points shaded by trial number (later = darker) and the best trial as a red
// star. Trials in which a conditional parameter was inactive are left out of its plot (the caption
// says how many).
#include <string>
#include <vector>

#include "engine/report/html_document.h"
#include "engine/report/study_params.h"
#include "engine/report/study_summary.h"
#include "engine/tune/study_storage.h"

namespace gd::report {

// The section body: explanation and a grid of charts (registered in `doc`), or an "absent" note
// when there is no complete trial or no parameter.
std::string slice_plots_html(HtmlDocument& doc, const std::vector<tune::TrialRecord>& records,
                             const StudySummary& summary, const StudyParams& params);

}  // namespace gd::report
