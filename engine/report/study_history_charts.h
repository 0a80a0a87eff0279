#pragma once
// The study report's two charts over time: the optimisation history (every finished trial's
// objective by trial number, with the best-so-far step line) and the intermediate values (each
// trial's objective per epoch, with pruned, paused and failed trials marked where they stopped).
// Each function registers its chart in `doc` and returns the section body (an explanatory line,
// the figure, a legend), or an "absent" note when the study has nothing to draw yet.
#include <string>
#include <vector>

#include "engine/report/html_document.h"
#include "engine/report/study_summary.h"
#include "engine/tune/study_storage.h"

namespace gd::report {

std::string optimization_history_html(HtmlDocument& doc, const std::vector<tune::TrialRecord>& records,
                                      const StudySummary& summary);

std::string intermediate_values_html(HtmlDocument& doc, const std::vector<tune::TrialRecord>& records,
                                     const StudySummary& summary);

}  // namespace gd::report
