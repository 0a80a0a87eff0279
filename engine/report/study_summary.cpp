// Headline facts of a study (see study_summary.h).
#include "engine/report/study_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace gd::report {
namespace {

template <typename T>
T json_or(const nlohmann::json& j, const char* key, T fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return fallback;
  }
}

}  // namespace

std::string StudyObjective::metric_label() const {
  if (metric == "val_accuracy") return "validation accuracy";
  if (metric == "val_loss") return "validation loss";
  return metric;
}

std::string StudyObjective::format(double v) const {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  if (percent) std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * v);
  else std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

std::string StudyObjective::axis_title() const { return metric_label() + (percent ? " (%)" : ""); }

const char* to_string(TrialStatus s) {
  switch (s) {
    case TrialStatus::Complete: return "complete";
    case TrialStatus::Pruned: return "pruned";
    case TrialStatus::Paused: return "paused";
    case TrialStatus::Failed: return "failed";
    case TrialStatus::Running: return "running";
  }
  return "?";
}

TrialStatus trial_status(const tune::Trial& t) {
  switch (t.state) {
    case tune::TrialState::Complete: return TrialStatus::Complete;
    case tune::TrialState::Failed: return TrialStatus::Failed;
    case tune::TrialState::Running: return TrialStatus::Running;
    case tune::TrialState::Pruned: break;
  }
  const auto asha = t.attrs.is_object() ? t.attrs.find("asha") : t.attrs.end();
  const bool paused = t.attrs.is_object() && asha != t.attrs.end() && asha->is_object() && asha->contains("rung") &&
                      !t.attrs.contains("pruned_by");
  return paused ? TrialStatus::Paused : TrialStatus::Pruned;
}

std::string sampler_label(const tune::Trial& t) {
  std::string s = t.sampler.empty() ? "unknown" : t.sampler;
  const std::string proposer = json_or<std::string>(t.attrs, "proposer", "");
  if (!proposer.empty() && proposer != t.sampler) s += "/" + proposer;
  return s;
}

int trial_epochs(const tune::Trial& t) {
  int e = 0;
  for (const auto& [step, v] : t.intermediate) e = std::max(e, step);
  return e;
}

double trial_seconds(const tune::Trial& t) {
  if (t.duration_s > 0.0 && std::isfinite(t.duration_s)) return t.duration_s;
  const double s = json_or<double>(t.attrs, "seconds", 0.0);
  return std::isfinite(s) && s > 0.0 ? s : 0.0;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0.0) return "n/a";
  char buf[64];
  if (seconds < 60.0) {
    std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  } else if (seconds < 3600.0) {
    const long long s = std::llround(seconds);
    std::snprintf(buf, sizeof buf, "%lld min %02lld s", s / 60, s % 60);
  } else {
    const long long m = std::llround(seconds / 60.0);
    std::snprintf(buf, sizeof buf, "%lld h %02lld min", m / 60, m % 60);
  }
  return buf;
}

StudyObjective study_objective(const tune::Study& study) {
  StudyObjective o;
  const nlohmann::json& c = study.config;
  o.metric = json_or<std::string>(c, "metric", "value");
  o.arch = json_or<std::string>(c, "arch", "?");
  o.dataset = json_or<std::string>(c, "dataset", "?");
  o.max_epochs = json_or<int>(c, "max_epochs", 0);
  o.limit_train = json_or<long long>(c, "limit_train", 0);
  o.val_split = json_or<double>(c, "val_split", 0.0);
  o.maximize = study.direction == tune::Direction::Maximize;
  o.percent = o.metric.find("accuracy") != std::string::npos;
  return o;
}

FinalEvaluation final_evaluation(const std::optional<nlohmann::json>& final_attr) {
  FinalEvaluation f;
  if (!final_attr || final_attr->is_null()) return f;
  const nlohmann::json& j = *final_attr;
  auto bad = [&](const std::string& what) {
    f.present = false;
    f.problem = "the study attribute \"final\" is malformed (" + what + "): " + j.dump().substr(0, 200);
    return f;
  };
  if (!j.is_object()) return bad("not a JSON object");
  auto number = [&](const char* key, double* out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number() || !std::isfinite(it->get<double>())) return false;
    *out = it->get<double>();
    return true;
  };
  double trial = 0.0, acc = 0.0;
  if (!number("trial_number", &trial) || trial < 0 || trial != std::floor(trial)) return bad("no trial_number");
  if (!number("test_accuracy", &acc) || acc < 0.0 || acc > 1.0) return bad("test_accuracy is not a fraction in [0, 1]");
  f.present = true;
  f.trial_number = static_cast<int>(trial);
  f.test_accuracy = acc;
  double x = 0.0;
  f.test_loss = number("test_loss", &x) ? x : std::nan("");
  f.validation_value = number("validation_value", &x) ? x : std::nan("");
  f.epochs = number("epochs", &x) ? static_cast<int>(x) : 0;
  f.run_dir = json_or<std::string>(j, "run_dir", "");
  if (j.contains("params") && j["params"].is_object()) f.params = j["params"];
  return f;
}

StudySummary summarize_study(const tune::Study& study, const std::vector<tune::TrialRecord>& records,
                             const std::optional<nlohmann::json>& final_attr) {
  StudySummary s;
  s.objective = study_objective(study);
  s.total = static_cast<int>(records.size());
  std::map<std::string, int> samplers;
  for (size_t i = 0; i < records.size(); ++i) {
    const tune::TrialRecord& r = records[i];
    const tune::Trial& t = r.trial;
    switch (trial_status(t)) {
      case TrialStatus::Complete: ++s.complete; break;
      case TrialStatus::Pruned: ++s.pruned; break;
      case TrialStatus::Paused: ++s.paused; break;
      case TrialStatus::Failed: ++s.failed; break;
      case TrialStatus::Running: ++s.running; break;
    }
    if (t.state == tune::TrialState::Complete && t.value && std::isfinite(*t.value)) s.ranking.push_back(i);
    ++samplers[sampler_label(t)];
    s.compute_seconds += trial_seconds(t);
    if (r.started_at > 0.0 && (s.first_started == 0.0 || r.started_at < s.first_started)) s.first_started = r.started_at;
    if (r.finished_at && *r.finished_at > s.last_finished) s.last_finished = *r.finished_at;
  }
  const tune::Direction dir = study.direction;
  std::stable_sort(s.ranking.begin(), s.ranking.end(), [&](size_t a, size_t b) {
    const double va = *records[a].trial.value, vb = *records[b].trial.value;
    if (va != vb) return tune::better(dir, va, vb);
    return records[a].trial.number < records[b].trial.number;
  });
  if (!s.ranking.empty()) s.best = s.ranking.front();
  for (const auto& kv : samplers) s.samplers.push_back(kv);
  std::stable_sort(s.samplers.begin(), s.samplers.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  s.final_model = final_evaluation(final_attr);
  if (s.final_model.present && s.best) s.final_model.stale = records[*s.best].trial.number != s.final_model.trial_number;
  return s;
}

}  // namespace gd::report
