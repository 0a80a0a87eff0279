// Where a report finds a checkpoint's history and configuration (files beside it, else the
// checkpoint's metadata, else absent), what happens with unusable files, and which epoch's weights
// a checkpoint holds.
#include "engine/report/run_context.h"

#include <gtest/gtest.h>

#include "engine/train/atomic_file.h"
#include "tests/support/test_support.h"

namespace gd::report {
namespace {

nlohmann::json history_json(int epochs) {
  History h;
  for (int e = 1; e <= epochs; ++e) h.add({e, 1.0 / e, 0.5, 0.4, 0.6, 0.1, 1.0, 100.0});
  return h.to_json();
}

Checkpoint checkpoint_with_meta(int epoch, bool final_weights, int patience, int best_epoch) {
  Checkpoint ck;
  ck.meta["config"] = {{"arch", "mlp"}, {"early_stopping", patience}, {"monitor", "val_accuracy"}};
  ck.meta["training"] = {{"epoch", epoch},
                         {"final", final_weights},
                         {"history", history_json(epoch)},
                         {"early_stopping", {{"best_epoch", best_epoch}}}};
  return ck;
}

TEST(ReportRunContext, FilesBesideTheCheckpointWin) {
  test::TempDir dir("runctx-files");
  write_file_atomic(dir.file("history.json"), history_json(5).dump());
  write_file_atomic(dir.file("config.json"), nlohmann::json({{"arch", "cnn"}, {"monitor", "val_loss"}}).dump());
  std::vector<std::string> warnings;
  const RunContext rc = load_run_context(dir.file("model.ckpt"), checkpoint_with_meta(3, true, 0, 2), &warnings);
  EXPECT_TRUE(warnings.empty());
  ASSERT_TRUE(rc.has_history);
  EXPECT_EQ(rc.history.records().size(), 5u);
  EXPECT_EQ(rc.history_source, dir.file("history.json"));
  ASSERT_TRUE(rc.has_config);
  EXPECT_EQ(rc.config["arch"], "cnn");
  EXPECT_EQ(rc.monitor, "val_loss");
  EXPECT_EQ(rc.weights_epoch, 3);  // no early stopping: the last epoch
}

TEST(ReportRunContext, CheckpointMetadataIsTheFallback) {
  test::TempDir dir("runctx-meta");
  const RunContext rc = load_run_context(dir.file("model.ckpt"), checkpoint_with_meta(4, true, 0, 1));
  ASSERT_TRUE(rc.has_history);
  EXPECT_EQ(rc.history.records().size(), 4u);
  EXPECT_EQ(rc.history_source, "the checkpoint's metadata");
  ASSERT_TRUE(rc.has_config);
  EXPECT_EQ(rc.config_source, "the checkpoint's metadata");
  EXPECT_EQ(rc.monitor, "val_accuracy");
}

TEST(ReportRunContext, NothingFoundIsSaidNotThrown) {
  test::TempDir dir("runctx-none");
  const RunContext rc = load_run_context(dir.file("model.ckpt"), Checkpoint{});
  EXPECT_FALSE(rc.has_history);
  EXPECT_FALSE(rc.has_config);
  EXPECT_NE(rc.history_source.find("no history.json in " + dir.path()), std::string::npos) << rc.history_source;
  EXPECT_NE(rc.config_source.find("no config.json"), std::string::npos) << rc.config_source;
  EXPECT_EQ(rc.weights_epoch, 0);
}

TEST(ReportRunContext, UnusableFilesWarnAndFallBack) {
  test::TempDir dir("runctx-bad");
  write_file_atomic(dir.file("history.json"), "[{\"epoch\": 1, truncated");
  write_file_atomic(dir.file("config.json"), "not json");
  std::vector<std::string> warnings;
  const RunContext rc = load_run_context(dir.file("model.ckpt"), checkpoint_with_meta(2, true, 0, 1), &warnings);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find(dir.file("history.json")), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find(dir.file("config.json")), std::string::npos) << warnings[1];
  EXPECT_TRUE(rc.has_history);
  EXPECT_EQ(rc.history_source, "the checkpoint's metadata");
  EXPECT_EQ(rc.config_source, "the checkpoint's metadata");

  // A well-formed JSON file that is not a history is unusable too.
  write_file_atomic(dir.file("history.json"), "{\"epoch\": 1}");
  warnings.clear();
  const RunContext rc2 = load_run_context(dir.file("model.ckpt"), Checkpoint{}, &warnings);
  EXPECT_FALSE(rc2.has_history);
  EXPECT_FALSE(warnings.empty());
}

TEST(ReportRunContext, WeightsEpochFollowsEarlyStopping) {
  test::TempDir dir("runctx-epoch");
  const std::string p = dir.file("model.ckpt");
  // Final weights of a run with early stopping: the best epoch's were restored.
  EXPECT_EQ(load_run_context(p, checkpoint_with_meta(7, true, 3, 4)).weights_epoch, 4);
  // No early stopping: the last epoch.
  EXPECT_EQ(load_run_context(p, checkpoint_with_meta(7, true, 0, 4)).weights_epoch, 7);
  // checkpoint.ckpt (not final): the latest epoch, whatever the best was.
  EXPECT_EQ(load_run_context(p, checkpoint_with_meta(7, false, 3, 4)).weights_epoch, 7);
  // Early stopping that never improved (best_epoch -1): nothing was restored.
  EXPECT_EQ(load_run_context(p, checkpoint_with_meta(7, true, 3, -1)).weights_epoch, 7);
  // Mistyped training state: unknown, with a warning.
  Checkpoint bad = checkpoint_with_meta(7, true, 3, 4);
  bad.meta["training"]["epoch"] = "seven";
  std::vector<std::string> warnings;
  EXPECT_EQ(load_run_context(p, bad, &warnings).weights_epoch, 0);
  EXPECT_FALSE(warnings.empty());
}

}  // namespace
}  // namespace gd::report
