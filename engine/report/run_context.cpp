// Finds a checkpoint's training history and configuration (see run_context.h).
#include "engine/report/run_context.h"

#include <filesystem>

#include "engine/core/error.h"
#include "engine/train/atomic_file.h"

namespace gd::report {
namespace {

// Parses `dir/name` when it exists; returns false (and warns) when it exists but is unusable.
bool read_json_beside(const std::filesystem::path& dir, const std::string& name, nlohmann::json* out,
                      std::vector<std::string>* warnings) {
  const std::filesystem::path p = dir / name;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) return false;
  try {
    *out = nlohmann::json::parse(read_file(p.string()));
    return true;
  } catch (const std::exception& e) {
    if (warnings) warnings->push_back(p.string() + " is not usable (" + e.what() + "); ignoring it");
    return false;
  }
}

}  // namespace

RunContext load_run_context(const std::string& checkpoint_path, const Checkpoint& ck,
                            std::vector<std::string>* warnings) {
  RunContext rc;
  std::filesystem::path dir = std::filesystem::path(checkpoint_path).parent_path();
  if (dir.empty()) dir = ".";
  const nlohmann::json* training =
      ck.meta.contains("training") && ck.meta["training"].is_object() ? &ck.meta["training"] : nullptr;

  nlohmann::json j;
  if (read_json_beside(dir, "history.json", &j, warnings)) {
    try {
      rc.history = History::from_json(j);
      rc.has_history = true;
      rc.history_source = (dir / "history.json").string();
    } catch (const std::exception& e) {
      if (warnings) warnings->push_back((dir / "history.json").string() + " is not usable (" + e.what() + "); ignoring it");
    }
  }
  if (!rc.has_history && training && training->contains("history")) {
    try {
      rc.history = History::from_json(training->at("history"));
      rc.has_history = true;
      rc.history_source = "the checkpoint's metadata";
    } catch (const std::exception& e) {
      if (warnings) warnings->push_back("the checkpoint's stored history is not usable (" + std::string(e.what()) + ")");
    }
  }
  if (!rc.has_history)
    rc.history_source = "no history.json in " + dir.string() + " and no history in the checkpoint";

  if (read_json_beside(dir, "config.json", &j, warnings) && j.is_object()) {
    rc.config = j;
    rc.has_config = true;
    rc.config_source = (dir / "config.json").string();
  } else if (ck.meta.contains("config") && ck.meta["config"].is_object()) {
    rc.config = ck.meta["config"];
    rc.has_config = true;
    rc.config_source = "the checkpoint's metadata";
  } else {
    rc.config_source = "no config.json in " + dir.string() + " and no configuration in the checkpoint";
  }
  if (rc.has_config && rc.config.contains("monitor") && rc.config["monitor"].is_string()) {
    const std::string m = rc.config["monitor"].get<std::string>();
    if (m == "val_loss" || m == "val_accuracy") rc.monitor = m;
  }

  if (training) {
    try {
      const int epoch = training->value("epoch", 0);
      const bool final_weights = training->value("final", false);
      int best = -1;
      if (training->contains("early_stopping") && (*training)["early_stopping"].is_object())
        best = (*training)["early_stopping"].value("best_epoch", -1);
      // The checkpoint's own configuration decides whether its weights are the best epoch's.
      const nlohmann::json& cfg = ck.meta.contains("config") ? ck.meta["config"] : rc.config;
      const int patience = cfg.is_object() ? cfg.value("early_stopping", 0) : 0;
      rc.weights_epoch = final_weights && patience > 0 && best >= 1 ? best : epoch;
    } catch (const nlohmann::json::exception& e) {
      if (warnings) warnings->push_back(std::string("the checkpoint's training state is not usable (") + e.what() + ")");
      rc.weights_epoch = 0;
    }
  } else if (rc.has_history && !rc.history.records().empty()) {
    rc.weights_epoch = rc.history.records().back().epoch;
  }
  rc.onnx = find_onnx_beside(checkpoint_path);
  return rc;
}

}  // namespace gd::report
