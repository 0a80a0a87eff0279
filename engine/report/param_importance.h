#pragma once
// Hyperparameter importance of a study: how much of the variance of the objective over the
// complete trials each parameter explains by its main (first-order) effect.
//
// Method: an additive main-effects model over binned parameter values (a multi-way ANOVA without
// interactions), fitted by least squares, with a small-sample correction.
//   1. Groups. Each parameter splits the n trials into groups by its value: a categorical
//      parameter by choice; a numeric one active in m trials into B = clamp(floor(m / min_per_bin),
//      2, max_bins) groups: its distinct values when there are at most B of them, else B quantile
//      bins of (nearly) equal counts (ties never straddle a bin edge; quantiles do not depend on
//      the scale, so the bins are the same in log and linear space). Trials where a conditional
//      parameter is inactive form one more group ("inactive" is a level).
//   2. Fit. y_i ~ mu + sum_j f_j(group_j(i)), each f_j a step function (one value per group), by
//      least squares on the indicator columns of the groups (Gram-Schmidt in space order). Unlike
//      one-parameter-at-a-time analyses, each effect is estimated with the others accounted for,
//      so a strong parameter neither drowns the weaker ones nor leaks into them through a chance
//      correlation in a small sample. A column that is a combination of earlier ones (a parameter
//      that always changed together with an earlier one, e.g. a conditional parameter's "inactive"
//      group and the parent choice that switches it off) is dropped: the shared effect goes to the
//      parameter earlier in the space. The later parameter's effect is then made free of that
//      direction too (its part along its dropped groups, which only reflects which of its groups
//      served as the baseline, is handed to the earlier parameters that span it), so a conditional
//      parameter's effect is measured within the trials where it is active.
//   3. Shares. V_j = the variance over the trials of parameter j's fitted effect. Even without any
//      effect, fitting d_j free group values (d_j = its columns kept) to noise of variance s^2
//      gives V_j about d_j s^2 / n, so the share is corrected like omega^2 (Hays):
//          share_j = max(0, V_j - d_j s^2 / n) / (sum_l V_l + RSS / n),
//      with RSS the residual sum of squares and s^2 = RSS / (n - rank). The denominator is Var(y)
//      without the covariances between fitted effects (they appear when parameters happened to
//      vary together in the sample; for a balanced design it is exactly Var(y)), so the shares and
//      the rest (noise, interactions) add up to 100%. If the model would leave fewer than
//      max(2, n / 5) residual degrees of freedom, numeric parameters get fewer bins (down to 2);
//      if still too few (many categorical choices, few trials), each parameter is analysed alone
//      instead: share_j = omega^2 of its one-way ANOVA (`method` = Marginal).
//   4. importance_j = share_j normalised to sum to 1 over the parameters. When every share is 0
//      (or the objective is constant) nothing is normalised: every importance is 0 and `no_signal`
//      is set.
// Limits (stated in the report): interactions are not attributed (they stay in the residual), and
// with few trials per group the estimates are rough.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/report/study_params.h"

namespace gd::report {

struct ImportanceOptions {
  int max_bins = 10;    // most groups for a numeric parameter (the inactive group not counted)
  int min_per_bin = 5;  // trials per quantile bin aimed for
  int min_trials = 8;   // fewer complete trials: no analysis (`computed` false)
};

struct ParamImportance {
  std::string name;
  double importance = 0.0;      // normalised share, sums to 1 over the parameters (unless no_signal)
  double variance_share = 0.0;  // corrected share of the objective's variance from this main effect, [0, 1]
  double marginal_share = 0.0;  // omega^2 of the parameter alone (one-way ANOVA), [0, 1]
  int groups = 0;               // groups used (bins or choices, plus the inactive group)
  int active = 0;               // trials in which the parameter was active
};

struct ImportanceResult {
  enum class Method { Additive, Marginal };
  bool computed = false;  // false: fewer than min_trials trials (or no parameter); see `why_not`
  std::string why_not;     // a sentence for the report ("Not enough trials: ...")
  Method method = Method::Additive;
  int trials = 0;
  std::vector<ParamImportance> params;  // by importance, descending (ties: parameter order)
  double explained = 0.0;  // sum of variance_share: the main effects' share (<= 1 for Additive)
  bool no_signal = false;  // no parameter explains any variance beyond noise
};

// Importance of `params` over the trials (configs[i], values[i]): configs are the trials' params
// objects (a parameter absent from one is inactive there), values their objective. Throws
// ShapeError when the sizes differ and NumericError for a non-finite value (pass complete trials
// only). O(P n log n + n C^2) for C = sum of the groups over the parameters.
ImportanceResult param_importance(const std::vector<StudyParam>& params, const std::vector<nlohmann::json>& configs,
                                  const std::vector<double>& values, const ImportanceOptions& options = {});

// ---- the steps, exposed for tests ----

// Step 1 for one parameter: group index per trial (0..k-1), inactive trials in the last group.
// Returns k.
int importance_groups(const StudyParam& p, const std::vector<nlohmann::json>& configs, const ImportanceOptions& options,
                      std::vector<int>& group_of);

// omega^2 of values split into groups (group_of[i] in 0..k-1) by one-way ANOVA:
// (SS_between - (k' - 1) MS_within) / (SS_total + MS_within), k' = non-empty groups, clipped to
// [0, 1]; 0 when k' < 2 or n <= k'.
double omega_squared(const std::vector<double>& values, const std::vector<int>& group_of, int k);

struct AdditiveFit {
  std::vector<double> effect_variance;  // V_j per factor (population variance over the trials)
  std::vector<int> effect_df;           // d_j: the factor's indicator columns kept
  double rss = 0.0;                     // residual sum of squares
  double residual_variance = 0.0;       // s^2 = RSS / df_residual (0 when df_residual <= 0)
  int df_residual = 0;                  // n - rank (rank = 1 + sum_j d_j)
};
// Step 2: the additive model over factors (groups[j][i] in 0..ks[j]-1 for trial i).
AdditiveFit fit_additive(const std::vector<double>& values, const std::vector<std::vector<int>>& groups,
                         const std::vector<int>& ks);

}  // namespace gd::report
