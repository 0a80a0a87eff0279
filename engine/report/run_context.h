#pragma once
// What is known about the training run behind a checkpoint, for reports: its per-epoch history,
// its configuration and which epoch's weights the checkpoint holds.
//
// Sources, first found wins (each recorded as a human-readable `*_source`):
//   history: history.json in the checkpoint's directory, then the checkpoint's own metadata
//            ("training.history", which gpu_train stores in every checkpoint);
//   config:  config.json in the checkpoint's directory, then the metadata's "config".
//   onnx:    model.onnx in the checkpoint's directory (gpu_export's default output), when present.
// A file that exists but cannot be parsed is skipped with a warning (returned, not thrown): the
// evaluation itself does not depend on it. When neither source has it, has_* is false and
// *_source says what was looked for.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/export/onnx_location.h"
#include "engine/train/checkpoint.h"
#include "engine/train/history.h"

namespace gd::report {

struct RunContext {
  bool has_history = false;
  History history;
  std::string history_source;
  bool has_config = false;
  nlohmann::json config;  // as written by to_json(TrainConfig)
  std::string config_source;
  // The epoch whose weights the checkpoint holds (0 when unknown): for a final model.ckpt of a run
  // with early stopping that improved at least once, the early-stopping best epoch; otherwise the
  // last completed epoch.
  int weights_epoch = 0;
  std::string monitor = "val_loss";  // the run's --monitor (config), for marking the best epoch
  OnnxBeside onnx;  // the model exported beside the checkpoint (path "" when none)
};

// `checkpoint_path`: where `ck` was loaded from (its directory is searched). Warnings (unreadable
// history.json / config.json) are appended to `warnings` when given.
RunContext load_run_context(const std::string& checkpoint_path, const Checkpoint& ck,
                            std::vector<std::string>* warnings = nullptr);

}  // namespace gd::report
