#include "engine/train/resume_options.h"

#include <algorithm>
#include <utility>

#include "engine/core/error.h"

namespace gd {
namespace {

// Option -> where its value sits in to_json(TrainConfig).
const std::vector<std::pair<std::string, std::string>>& option_keys() {
  static const std::vector<std::pair<std::string, std::string>> keys = {
      {"--arch", "/arch"},
      {"--dataset", "/dataset"},
      {"--batch-size", "/batch_size"},
      {"--optimizer", "/optimizer/name"},
      {"--lr", "/optimizer/lr"},
      {"--momentum", "/optimizer/momentum"},
      {"--nesterov", "/optimizer/nesterov"},
      {"--weight-decay", "/optimizer/weight_decay"},
      {"--beta1", "/optimizer/beta1"},
      {"--beta2", "/optimizer/beta2"},
      {"--eps", "/optimizer/eps"},
      {"--schedule", "/schedule/name"},
      {"--warmup-epochs", "/schedule/warmup_epochs"},
      {"--step-size", "/schedule/step_size_epochs"},
      {"--gamma", "/schedule/gamma"},
      {"--pct-start", "/schedule/pct_start"},
      {"--dropout", "/dropout"},
      {"--label-smoothing", "/label_smoothing"},
      {"--init", "/init"},
      {"--early-stopping", "/early_stopping"},
      {"--monitor", "/monitor"},
      {"--min-delta", "/min_delta"},
      {"--val-split", "/val_split"},
      {"--augment", "/augment"},
      {"--augment-shift", "/augment_params/max_shift"},
      {"--augment-rotate", "/augment_params/max_rotate_deg"},
      {"--augment-scale", "/augment_params/max_scale"},
      {"--clip-grad-norm", "/clip_grad_norm"},
      {"--seed", "/seed"},
      {"--limit-train", "/limit_train"},
      {"--precision", "/precision"},
  };
  return keys;
}

std::string text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

}  // namespace

const std::vector<std::string>& resume_overridable_options() {
  static const std::vector<std::string> opts = {"--epochs", "--out", "--data-dir", "--cache-dir", "--no-download",
                                                "--device", "--threads", "--cuda-graph", "--quiet", "--report",
                                                "--track-test"};
  return opts;
}

void check_resume_options(const std::vector<std::string>& given_options, const nlohmann::json& given,
                          const nlohmann::json& stored, const std::string& checkpoint) {
  std::string conflicts;
  for (const auto& [option, key] : option_keys()) {
    if (std::find(given_options.begin(), given_options.end(), option) == given_options.end()) continue;
    const nlohmann::json::json_pointer ptr(key);
    if (!given.contains(ptr)) continue;
    const nlohmann::json want = given.at(ptr);
    const nlohmann::json had = stored.contains(ptr) ? stored.at(ptr) : nlohmann::json();
    if (want == had) continue;
    conflicts += (conflicts.empty() ? "" : ", ") + option + " " + text(want) + " (the run used " +
                 (had.is_null() ? std::string("nothing") : text(had)) + ")";
  }
  if (conflicts.empty()) return;
  std::string allowed;
  for (const std::string& o : resume_overridable_options()) allowed += (allowed.empty() ? "" : ", ") + o;
  throw ConfigError("--resume " + checkpoint + " continues that run's configuration exactly, but " + conflicts +
                    ". Leave these options out to resume, or start a new run without --resume to change them "
                    "(with --resume only " + allowed + " may differ)");
}

}  // namespace gd
