// A run's train/validation split (see run_splits.h); the trainer and gpu_eval both call it.
#include "engine/train/run_splits.h"

#include <algorithm>
#include <vector>

#include "engine/ops/shuffle.h"

namespace gd {

std::pair<Dataset, Dataset> run_train_val_split(const Dataset& full_train, const TrainConfig& cfg) {
  auto [train, val] = split_validation(full_train, cfg.val_split, cfg.val_seed);
  if (cfg.limit_train > 0 && cfg.limit_train < train.n) {
    std::vector<int32_t> perm(static_cast<size_t>(train.n));
    shuffle_ref(train.n, cfg.val_seed, 0, perm.data());
    std::vector<int64_t> pick(perm.begin(), perm.begin() + cfg.limit_train);
    std::sort(pick.begin(), pick.end());
    train = subset(train, pick);
  }
  return {std::move(train), std::move(val)};
}

}  // namespace gd
