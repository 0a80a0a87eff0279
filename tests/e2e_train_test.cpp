// End to end on the embedded mnist-10k dataset (installed by setup.sh): accuracy of the default mlp
// recipe, checkpoints that reproduce predictions, exact --resume, and early stopping that restores the
// best epoch's weights.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/backend/cpu_backend.h"
#include "engine/data/registry.h"
#include "engine/model/spec.h"
#include "engine/train/checkpoint.h"
#include "engine/train/trainer.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

const DatasetSplits& mnist10k() {
  static const DatasetSplits data = [] {
    DataOptions o;
    o.dataset = "mnist-10k";
    o.allow_download = false;
    return load_dataset(o);  // throws (fails the test) when setup.sh has not installed the package
  }();
  return data;
}

TrainConfig small_config(const std::string& out, int epochs, int64_t limit) {
  TrainConfig c;
  c.arch = "mlp";
  apply_recipe(c, ExplicitFlags{});
  c.epochs = epochs;
  c.limit_train = limit;
  c.spec = resolve_arch(c.arch, 10, c.dropout);
  c.out = out;
  validate(c);
  return c;
}

TEST(EndToEnd, DefaultMlpRecipeReaches95PercentOnMnist10k) {
  test::TempDir dir("e2e-mlp");
  CpuBackend be;
  SilentProgress quiet;
  TrainConfig c = small_config(dir.file("run"), 12, 0);
  const TrainResult r = train(c, be, mnist10k(), quiet);
  EXPECT_GE(r.test.accuracy, 0.95) << "mlp on mnist-10k, 12 epochs";
  EXPECT_EQ(r.test.n, mnist10k().test.n);
  // The training loss fell and validation was measured every epoch.
  ASSERT_EQ(r.history.records().size(), 12u);
  EXPECT_LT(r.history.records().back().train_loss, r.history.records().front().train_loss);
  EXPECT_FALSE(std::isnan(r.history.records().back().val_accuracy));
  for (const char* f : {"config.json", "history.json", "history.csv", "metrics.json", "model.ckpt",
                        "checkpoint.ckpt", "summary.txt"})
    EXPECT_TRUE(std::filesystem::exists(r.run_dir + "/" + f)) << f;

  // The saved model reproduces the test predictions exactly.
  const CheckpointEval ev = evaluate_checkpoint(r.run_dir + "/model.ckpt", be, mnist10k().test, 256);
  EXPECT_EQ(ev.result.correct, r.test.correct);
  EXPECT_EQ(ev.result.confusion, r.test.confusion);
  EXPECT_NEAR(ev.result.loss, r.test.loss, 1e-6);
}

TEST(EndToEnd, ResumeContinuesExactlyWhereTheRunStopped) {
  test::TempDir dir("e2e-resume");
  CpuBackend be;
  SilentProgress quiet;
  // A constant schedule: a 1-epoch run's cosine would differ from epoch 1 of a 3-epoch run. (The CLI
  // test kills a real 4-epoch run mid-way instead, with the default schedule.)
  auto cfg = [&](const std::string& out, int epochs) {
    TrainConfig c = small_config(out, epochs, 1500);
    c.schedule.name = "constant";
    return c;
  };
  const TrainResult whole = train(cfg(dir.file("whole"), 3), be, mnist10k(), quiet);

  train(cfg(dir.file("split"), 1), be, mnist10k(), quiet);  // stops after epoch 1
  TrainConfig resumed = cfg("", 3);
  resumed.resume = dir.file("split") + "/checkpoint.ckpt";
  const TrainResult rest = train(resumed, be, mnist10k(), quiet);

  EXPECT_EQ(rest.run_dir, dir.file("split"));
  EXPECT_EQ(rest.epochs_run, 3);
  ASSERT_EQ(rest.history.records().size(), 3u);
  const Checkpoint a = load_checkpoint(whole.run_dir + "/model.ckpt");
  const Checkpoint b = load_checkpoint(rest.run_dir + "/model.ckpt");
  // All randomness is counter-based (seed, epoch, step), so the resumed run is bit-identical.
  EXPECT_EQ(a.get("params").values, b.get("params").values);
  EXPECT_EQ(whole.test.correct, rest.test.correct);
  for (size_t e = 0; e < 3; ++e)
    EXPECT_EQ(whole.history.records()[e].train_loss, rest.history.records()[e].train_loss) << e;
}

TEST(EndToEnd, EarlyStoppingRestoresTheBestEpochsWeights) {
  test::TempDir dir("e2e-early");
  CpuBackend be;
  SilentProgress quiet;
  // min_delta 10 on val_loss: only the first epoch counts as an improvement, so with patience 2 the
  // run stops after epoch 3 and must hand back epoch 1's weights.
  TrainConfig c = small_config(dir.file("early"), 10, 1000);
  c.early_stopping = 2;
  c.min_delta = 10.0;
  const TrainResult r = train(c, be, mnist10k(), quiet);
  EXPECT_TRUE(r.stopped_early);
  EXPECT_EQ(r.epochs_run, 3);
  EXPECT_EQ(r.best_epoch, 1);

  // The returned model is the snapshot of epoch 1 (checkpoint.ckpt keeps it as best/params), not
  // the weights of the last epoch.
  const Checkpoint last = load_checkpoint(r.run_dir + "/checkpoint.ckpt");
  const Checkpoint best = load_checkpoint(r.run_dir + "/model.ckpt");
  EXPECT_NE(last.get("params").values, best.get("params").values);
  EXPECT_EQ(last.get("best/params").values, best.get("params").values);
}

TEST(EndToEnd, AugmentationChangesTrainingButStillLearns) {
  test::TempDir dir("e2e-augment");
  CpuBackend be;
  SilentProgress quiet;
  const TrainResult plain = train(small_config(dir.file("plain"), 2, 2000), be, mnist10k(), quiet);
  TrainConfig c = small_config(dir.file("aug"), 2, 2000);
  c.augment = true;
  const TrainResult aug = train(c, be, mnist10k(), quiet);
  // Same seed and data: only the augmentation differs, so the training losses must differ...
  EXPECT_NE(aug.history.records()[0].train_loss, plain.history.records()[0].train_loss);
  // ...and harder (shifted/rotated/scaled) training images give a higher training loss...
  EXPECT_GT(aug.history.records()[1].train_loss, plain.history.records()[1].train_loss);
  // ...while the model still learns digits (chance is 10%).
  EXPECT_GT(aug.test.accuracy, 0.7);
}

}  // namespace
}  // namespace gd
