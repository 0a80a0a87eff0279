#pragma once
// The training and validation samples of a run, rebuilt from its configuration exactly as the
// trainer makes them: a stratified validation split of the dataset's training set
// (split_validation with TrainConfig::val_split and val_seed), then, when limit_train is set, a
// fixed random subset of the rest (the first limit_train entries of shuffle_ref(n, val_seed, 0),
// kept in file order). gpu_eval uses it for --split train|val, so "val" is the very validation set
// the run selected its best epoch on.
#include <utility>

#include "engine/data/dataset.h"
#include "engine/train/train_config.h"

namespace gd {

// (train, validation) of a run with configuration `cfg` on the dataset's training set `train`.
// Throws ConfigError when val_split is outside [0, 1).
std::pair<Dataset, Dataset> run_train_val_split(const Dataset& train, const TrainConfig& cfg);

}  // namespace gd
