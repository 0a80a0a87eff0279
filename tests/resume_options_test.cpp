// What gpu_train accepts next to --resume (engine/train/resume_options.h) and which --out it
// refuses (engine/train/run_dir.h): options that would change the run are errors, naming each
// with both values; an --out holding another run is refused before anything is overwritten.
#include "engine/train/resume_options.h"

#include <gtest/gtest.h>

#include "engine/core/error.h"
#include "engine/train/atomic_file.h"
#include "engine/train/run_dir.h"
#include "engine/train/train_config.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

TEST(ResumeOptions, SameValuesAndRunOptionsPass) {
  TrainConfig stored;
  stored.arch = "cnn";
  stored.optim.lr = 0.05;
  TrainConfig given = stored;
  given.epochs = 99;
  given.threads = 3;
  given.out = "elsewhere";
  EXPECT_NO_THROW(check_resume_options({"--arch", "--lr", "--epochs", "--threads", "--out"}, to_json(given),
                                       to_json(stored), "c.ckpt"));
}

TEST(ResumeOptions, EveryDifferingOptionIsNamedWithBothValues) {
  TrainConfig stored;
  stored.arch = "mlp";
  stored.data.dataset = "mnist-10k";
  stored.optim.lr = 0.05;
  stored.batch_size = 128;
  TrainConfig given = stored;
  given.arch = "cnn";
  given.data.dataset = "usps";
  given.optim.lr = 0.1;
  given.batch_size = 64;
  EXPECT_TRUE(test::throws_with<ConfigError>(
      [&] {
        check_resume_options({"--arch", "--dataset", "--lr", "--batch-size"}, to_json(given), to_json(stored),
                             "runs/a/checkpoint.ckpt");
      },
      {"--resume runs/a/checkpoint.ckpt", "--arch cnn (the run used mlp)", "--dataset usps (the run used mnist-10k)",
       "--lr 0.1 (the run used 0.05)", "--batch-size 64 (the run used 128)", "only --epochs"}));
  // An option that differs but was not given (its default) is not a conflict.
  EXPECT_NO_THROW(check_resume_options({}, to_json(given), to_json(stored), "c.ckpt"));
}

TEST(RunDirGuard, AnOutHoldingARunIsRefusedUnlessItIsTheOneResumed) {
  test::TempDir dir("out-guard");
  EXPECT_NO_THROW(check_out_dir_is_free(dir.file("new"), ""));
  EXPECT_NO_THROW(check_out_dir_is_free("", ""));
  write_file_atomic(dir.file("config.json"), "{}");  // not a run file: a directory of notes is fine
  EXPECT_NO_THROW(check_out_dir_is_free(dir.path(), ""));
  write_file_atomic(dir.file("metrics.json"), "{}");
  write_file_atomic(dir.file("model.ckpt"), "x");
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { check_out_dir_is_free(dir.path(), ""); },
                                             {"--out " + dir.path(), "model.ckpt, metrics.json", "--resume"}));
  EXPECT_NO_THROW(check_out_dir_is_free(dir.path(), dir.file("checkpoint.ckpt")));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { check_out_dir_is_free(dir.path(), "/elsewhere/checkpoint.ckpt"); },
                                             {"already holds a run"}));
}

}  // namespace
}  // namespace gd
