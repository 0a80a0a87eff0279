// The trainer's library hooks used by the tuner (after_epoch stop, no test evaluation, no final
// model) and gd::predict (per-sample probabilities consistent with evaluate()).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/data/registry.h"
#include "engine/model/spec.h"
#include "engine/train/checkpoint.h"
#include "engine/train/model_io.h"
#include "engine/train/predict.h"
#include "engine/train/trainer.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

const DatasetSplits& mnist10k() {
  static const DatasetSplits data = [] {
    DataOptions o;
    o.dataset = "mnist-10k";
    o.allow_download = false;
    return load_dataset(o);
  }();
  return data;
}

TrainConfig quick_mlp(const std::string& out, int epochs) {
  TrainConfig c;
  c.arch = "mlp";
  apply_recipe(c, ExplicitFlags{});
  c.epochs = epochs;
  c.limit_train = 1500;
  c.spec = resolve_arch(c.arch, 10, c.dropout);
  c.out = out;
  validate(c);
  return c;
}

TEST(TrainHooks, AfterEpochStopsTrainingAndSkipsTestWhenAsked) {
  test::TempDir dir("hooks-stop");
  CpuBackend be;
  SilentProgress quiet;
  TrainHooks hooks;
  std::vector<int> seen;
  hooks.after_epoch = [&](const EpochRecord& r) {
    seen.push_back(r.epoch);
    EXPECT_FALSE(std::isnan(r.val_accuracy));
    return r.epoch < 2;  // stop after epoch 2 of 5
  };
  hooks.evaluate_test = false;
  hooks.save_final_model = false;
  const TrainResult r = train(quick_mlp(dir.file("run"), 5), be, mnist10k(), quiet, hooks);
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  EXPECT_TRUE(r.stopped_by_hook);
  EXPECT_EQ(r.epochs_run, 2);
  EXPECT_EQ(r.test.n, 0) << "the test set must not be evaluated";
  EXPECT_FALSE(std::filesystem::exists(r.run_dir + "/model.ckpt"));
  EXPECT_TRUE(std::filesystem::exists(r.run_dir + "/checkpoint.ckpt"));
  std::ifstream in(r.run_dir + "/metrics.json");
  const auto m = nlohmann::json::parse(in);
  EXPECT_FALSE(m.contains("test_accuracy"));
  EXPECT_DOUBLE_EQ(m.at("val_accuracy").get<double>(), r.history.records().back().val_accuracy);
}

TEST(TrainHooks, TrackTestWritesACurveWithoutChangingTraining) {
  test::TempDir dir("hooks-track");
  CpuBackend be;
  SilentProgress quiet;
  TrainHooks track;
  track.track_test = true;
  const TrainResult tracked = train(quick_mlp(dir.file("a"), 2), be, mnist10k(), quiet, track);
  const TrainResult plain = train(quick_mlp(dir.file("b"), 2), be, mnist10k(), quiet);
  std::ifstream in(tracked.run_dir + "/test_curve.json");
  const auto curve = nlohmann::json::parse(in);
  ASSERT_EQ(curve.size(), 2u);
  EXPECT_EQ(curve[1].at("epoch").get<int>(), 2);
  EXPECT_DOUBLE_EQ(curve[1].at("test_accuracy").get<double>(), tracked.test.accuracy)
      << "the last tracked point is the final model's test accuracy";
  EXPECT_LE(curve[0].at("train_seconds").get<double>(), curve[1].at("train_seconds").get<double>());
  EXPECT_EQ(tracked.test.correct, plain.test.correct) << "tracking must not change training";
  EXPECT_FALSE(std::filesystem::exists(plain.run_dir + "/test_curve.json"));
}

TEST(TrainHooks, ResumingAStoppedRunContinuesWhereItStopped) {
  // The tuner pauses a trial at a rung (hook returns false) and later resumes it from its
  // checkpoint with the same config: the result equals an uninterrupted run of the same length.
  test::TempDir dir("hooks-resume");
  CpuBackend be;
  SilentProgress quiet;
  TrainHooks pause_at_1;
  pause_at_1.after_epoch = [](const EpochRecord& r) { return r.epoch < 1; };
  pause_at_1.evaluate_test = false;
  TrainConfig c = quick_mlp(dir.file("paused"), 3);
  const TrainResult first = train(c, be, mnist10k(), quiet, pause_at_1);
  ASSERT_EQ(first.epochs_run, 1);
  TrainConfig resumed = c;
  resumed.resume = first.run_dir + "/checkpoint.ckpt";
  TrainHooks no_test;
  no_test.evaluate_test = false;
  const TrainResult second = train(resumed, be, mnist10k(), quiet, no_test);
  const TrainResult straight = train(quick_mlp(dir.file("straight"), 3), be, mnist10k(), quiet, no_test);
  ASSERT_EQ(second.history.records().size(), 3u);
  EXPECT_EQ(second.history.records().back().val_accuracy, straight.history.records().back().val_accuracy);
  EXPECT_EQ(second.history.records().back().train_loss, straight.history.records().back().train_loss);
}

TEST(Predict, ProbabilitiesAreNormalisedAndAgreeWithEvaluate) {
  test::TempDir dir("predict");
  CpuBackend be;
  SilentProgress quiet;
  const TrainResult r = train(quick_mlp(dir.file("run"), 2), be, mnist10k(), quiet);
  const Checkpoint ck = load_checkpoint(r.run_dir + "/model.ckpt");
  ModelInfo info;
  auto net = network_from_checkpoint(ck, be, 97, &info);  // odd batch: several partial batches
  const Dataset& test = mnist10k().test;
  const Predictions p = predict(*net, test, info.mean, info.std);
  ASSERT_EQ(p.n, test.n);
  ASSERT_EQ(p.num_classes, 10);
  int64_t correct = 0;
  for (int64_t i = 0; i < p.n; ++i) {
    double sum = 0.0;
    for (int c = 0; c < 10; ++c) {
      ASSERT_GE(p.prob(i, c), 0.f);
      sum += p.prob(i, c);
      ASSERT_LE(p.prob(i, c), p.confidence(i)) << "label must be the argmax, sample " << i;
    }
    ASSERT_NEAR(sum, 1.0, 1e-5) << "sample " << i;
    correct += p.label[static_cast<size_t>(i)] == test.labels[static_cast<size_t>(i)];
  }
  EXPECT_EQ(correct, r.test.correct);

  Dataset wrong = test;
  wrong.height = wrong.width = 16;
  wrong.n = 1;
  wrong.images.resize(256);
  wrong.labels.resize(1);
  EXPECT_THROW(predict(*net, wrong, info.mean, info.std), ShapeError);
}

}  // namespace
}  // namespace gd
