#pragma once
// One training run end to end: validation split, device-resident data, network, optimiser and
// schedule, the epoch loop (shuffle, optional augmentation, forward, fused softmax-cross-entropy,
// backward, fused update), per-epoch validation, early stopping with best-weight restore, atomic
// checkpoints every epoch, and one final evaluation on the test set.
#include <atomic>
#include <functional>
#include <string>

#include "engine/backend/backend.h"
#include "engine/data/dataset.h"
#include "engine/train/evaluate.h"
#include "engine/train/history.h"
#include "engine/train/metrics.h"
#include "engine/train/progress.h"
#include "engine/train/train_config.h"

namespace gd {

struct TrainResult {
  std::string run_dir;
  History history;
  int best_epoch = 0;      // epoch whose weights are in model.ckpt (last epoch without early stopping)
  int epochs_run = 0;      // including epochs before a resume
  bool stopped_early = false;
  bool stopped_by_hook = false;  // TrainHooks::after_epoch returned false
  bool interrupted = false;      // TrainHooks::stop was set: training ended inside an epoch
  EvalResult test;
  ClassificationReport report;
  double train_seconds = 0.0;  // time spent in training epochs in this process (excludes evaluation)
};

// Optional callbacks and switches for library callers (the tuner). The defaults reproduce gpu_train.
struct TrainHooks {
  // Called after every epoch (after validation and the epoch's checkpoint.ckpt is saved). Return
  // false to stop training after this epoch (a pruned or paused trial); TrainResult::stopped_by_hook
  // then says so. Exceptions propagate out of train().
  std::function<bool(const EpochRecord&)> after_epoch;
  // false: the test set is never uploaded or evaluated (hyperparameter search must not look at it);
  // TrainResult::test stays empty and metrics.json holds validation results only.
  bool evaluate_test = true;
  // false: no model.ckpt (the tuner keeps checkpoint.ckpt for resuming and needs nothing else).
  bool save_final_model = true;
  // true (benchmarks only, gpu_train --track-test): evaluate the test set after every epoch, outside
  // the timed epoch, and write test_curve.json ([{epoch, train_seconds, test_accuracy, test_loss}],
  // train_seconds cumulative) so "time to reach a test accuracy" can be measured. Nothing reads it
  // back: it never influences training or model selection.
  bool track_test = false;
  // Library callers (the Python module): an explicit validation set instead of the split of
  // cfg.val_split (then ignored); the run's validation, early stopping and history use it.
  const Dataset* validation = nullptr;
  // Set (from any thread) to stop training after the step in progress: the partial epoch is not
  // recorded, the weights stay as they are (no best-weight restore), model.ckpt holds them, the test
  // set is not evaluated, and TrainResult::interrupted says so.
  const std::atomic<bool>* stop = nullptr;
  // false: with early stopping, keep the last epoch's weights instead of restoring the best ones
  // (Keras' restore_best_weights=False).
  bool restore_best = true;
};

// Run directory layout: config.json, history.json, history.csv, checkpoint.ckpt (latest epoch, for
// --resume), model.ckpt (final/best weights), metrics.json (test metrics), summary.txt.
// `cfg` must already be resolved (apply_recipe) and validated. With cfg.resume set, training continues
// from that checkpoint (same run directory unless cfg.out is given).
TrainResult train(const TrainConfig& cfg, Backend& be, const DatasetSplits& data, ProgressSink& progress,
                  const TrainHooks& hooks = {});

// Loads a checkpoint (model.ckpt or checkpoint.ckpt) and evaluates it on `test`.
struct CheckpointEval {
  EvalResult result;
  ClassificationReport report;
  std::string spec;
};
CheckpointEval evaluate_checkpoint(const std::string& path, Backend& be, const Dataset& test,
                                   int64_t batch_size);

}  // namespace gd
