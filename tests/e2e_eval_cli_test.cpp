// gpu_eval and `gpu_train --report` as a user runs them: a tiny real run, its model evaluated on
// the test, validation and training splits (the validation split must be the very one the run
// used), JSON and HTML outputs, checkpoints moved out of or stripped of their run, and every error
// path (exit status 2 with a message naming the problem).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/backend/cpu_backend.h"
#include "engine/model/spec.h"
#include "engine/optim/init.h"
#include "engine/train/atomic_file.h"
#include "engine/train/checkpoint.h"
#include "engine/train/model_io.h"
#include "tests/support/html_check.h"
#include "tests/support/run_binary.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

// Test-split loss: gpu_eval takes -log of float softmax probabilities, training's evaluation uses a
// double log-softmax; float rounding of a probability (~6e-8 relative) moves each term by ~1e-7.
constexpr double kLossTol = 1e-5;

using Output = test::BinaryOutput;

Output run(const std::string& binary, const std::string& args) { return test::run_binary(binary, args); }

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_file(path)); }

int64_t correct_of(const nlohmann::json& j, const char* acc_key, int64_t n) {
  return std::llround(j[acc_key].get<double>() * static_cast<double>(n));
}

// One 2-epoch mlp run on 800 mnist-10k digits, trained by the gpu_train binary with --report.
struct TrainedRun {
  test::TempDir dir{"eval-cli"};
  std::string run_dir = dir.file("run");
  Output train = run("gpu_train", "--arch mlp --epochs 2 --limit-train 800 --seed 5 --quiet --report --out " +
                                      dir.file("run"));
  std::string model() const { return run_dir + "/model.ckpt"; }
};

const TrainedRun& trained() {
  static const TrainedRun r;  // trained once per process; its TempDir is removed at exit
  return r;
}

TEST(EvalCli, HelpDocumentsEveryFlag) {
  const Output o = run("gpu_eval", "--help");
  EXPECT_EQ(o.code, 0);
  for (const char* flag : {"--checkpoint", "--dataset", "--data-dir", "--cache-dir", "--no-download", "--split",
                           "--batch-size", "--device", "--json", "--report", "--gallery"})
    EXPECT_NE(o.text.find(flag), std::string::npos) << flag;
  const Output t = run("gpu_train", "--help");
  EXPECT_NE(t.text.find("--report"), std::string::npos);
}

TEST(EvalCli, TrainWithReportWritesItIntoTheRunDirectory) {
  const TrainedRun& r = trained();
  ASSERT_EQ(r.train.code, 0) << r.train.text;
  EXPECT_NE(r.train.text.find("report: " + r.run_dir + "/report.html"), std::string::npos) << r.train.text;
  const std::string html = read_file(r.run_dir + "/report.html");
  EXPECT_EQ(test::check_html(html).error, "");
  EXPECT_NE(html.find("<title>Training report</title>"), std::string::npos);
  EXPECT_NE(html.find("data-gd-chart=\"loss-curve\""), std::string::npos);
}

TEST(EvalCli, TestSplitMatchesTheRunsFinalEvaluation) {
  const TrainedRun& r = trained();
  ASSERT_EQ(r.train.code, 0) << r.train.text;
  const Output o = run("gpu_eval", "--checkpoint " + r.model() + " --json " + r.dir.file("test.json") +
                                       " --report " + r.dir.file("test.html"));
  ASSERT_EQ(o.code, 0) << o.text;
  for (const char* s : {"accuracy", "macro avg", "weighted avg", "confusion matrix", "most confused pairs",
                        "expected calibration error", "data mnist-10k, test split: 2004 samples"})
    EXPECT_NE(o.text.find(s), std::string::npos) << s << "\n" << o.text;

  const nlohmann::json m = read_json(r.run_dir + "/metrics.json");
  const nlohmann::json j = read_json(r.dir.file("test.json"));
  const int64_t n = m["test_samples"].get<int64_t>();
  EXPECT_EQ(j["samples"].get<int64_t>(), n);
  EXPECT_EQ(correct_of(j, "accuracy", n), correct_of(m, "test_accuracy", n));
  EXPECT_NEAR(j["loss"].get<double>(), m["test_loss"].get<double>(), kLossTol);
  EXPECT_EQ(j["confusion_matrix"], m["confusion_matrix"]);
  for (const char* k : {"precision", "recall", "f1", "support", "macro_avg", "weighted_avg", "calibration",
                        "confused_pairs", "brier", "model", "split", "checkpoint"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["calibration"]["num_bins"], 15);
  EXPECT_EQ(j["split"], "test");
  EXPECT_EQ(j["weights_epoch"], 2);

  const std::string html = read_file(r.dir.file("test.html"));
  EXPECT_EQ(test::check_html(html).error, "");
  EXPECT_NE(html.find("<title>Evaluation report</title>"), std::string::npos);
  EXPECT_NE(html.find("Source: " + r.run_dir + "/history.json"), std::string::npos) << "curves from the run dir";
  EXPECT_NE(html.find("Source: " + r.run_dir + "/config.json"), std::string::npos);
  EXPECT_NE(html.find("class=\"digit-img\""), std::string::npos) << "no misclassified gallery";
}

TEST(EvalCli, ValSplitIsTheValidationSetTheRunUsed) {
  const TrainedRun& r = trained();
  ASSERT_EQ(r.train.code, 0) << r.train.text;
  const Output o = run("gpu_eval", "--checkpoint " + r.model() + " --split val --json " + r.dir.file("val.json"));
  ASSERT_EQ(o.code, 0) << o.text;
  const nlohmann::json m = read_json(r.run_dir + "/metrics.json");
  const nlohmann::json j = read_json(r.dir.file("val.json"));
  const nlohmann::json last = read_json(r.run_dir + "/history.json").back();
  const int64_t n = m["val_samples"].get<int64_t>();
  ASSERT_EQ(j["samples"].get<int64_t>(), n);
  // model.ckpt holds the last epoch's weights (no early stopping): the same predictions as that
  // epoch's validation pass.
  EXPECT_EQ(correct_of(j, "accuracy", n), correct_of(last, "val_accuracy", n));
  EXPECT_NEAR(j["loss"].get<double>(), last["val_loss"].get<double>(), kLossTol);

  const Output t = run("gpu_eval", "--checkpoint " + r.model() + " --split train --json " + r.dir.file("train.json"));
  ASSERT_EQ(t.code, 0) << t.text;
  EXPECT_EQ(read_json(r.dir.file("train.json"))["samples"], m["train_samples"]);  // --limit-train 800
}

TEST(EvalCli, MovedCheckpointUsesItsMetadataAndStrippedOneSaysAbsent) {
  const TrainedRun& r = trained();
  ASSERT_EQ(r.train.code, 0) << r.train.text;
  test::TempDir away("eval-cli-moved");
  std::filesystem::copy_file(r.model(), away.file("model.ckpt"));
  Output o = run("gpu_eval", "--checkpoint " + away.file("model.ckpt") + " --gallery 3 --report " + away.file("m.html"));
  ASSERT_EQ(o.code, 0) << o.text;
  std::string html = read_file(away.file("m.html"));
  EXPECT_NE(html.find("Source: the checkpoint&#39;s metadata"), std::string::npos);
  EXPECT_NE(html.find("data-gd-chart=\"loss-curve\""), std::string::npos);
  EXPECT_EQ(test::count_tags(test::check_html(html), "img"), 3u) << "--gallery 3";

  // Only the model description and weights: no history, no configuration.
  Checkpoint ck = load_checkpoint(r.model());
  ck.meta.erase("training");
  ck.meta.erase("config");
  save_checkpoint(away.file("bare.ckpt"), ck);
  o = run("gpu_eval", "--checkpoint " + away.file("bare.ckpt") + " --report " + away.file("bare.html"));
  ASSERT_EQ(o.code, 0) << o.text;
  html = read_file(away.file("bare.html"));
  EXPECT_EQ(test::check_html(html).error, "");
  EXPECT_NE(html.find("No learning curves"), std::string::npos);
  EXPECT_NE(html.find("No run configuration"), std::string::npos);
  o = run("gpu_eval", "--checkpoint " + away.file("bare.ckpt") + " --split val");
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("--split val needs the run's configuration"), std::string::npos) << o.text;
}

// A valid checkpoint of a model for 16x16 images (USPS geometry), built without training.
std::string write_16x16_checkpoint(const test::TempDir& dir) {
  CpuBackend be;
  const Shape in{1, 16, 16};
  Network net(be, build_layers("flatten,fc10", in, 10, 0.0), in, 4);
  net.initialize(parse_init_scheme("he-uniform"), 1);
  ModelInfo info;
  info.spec = net.spec();
  info.input = in;
  info.class_names = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  Checkpoint ck;
  ck.meta["model"] = model_meta(net, info);
  append_weights(ck, net, "");
  const std::string path = dir.file("usps-shaped.ckpt");
  save_checkpoint(path, ck);
  return path;
}

TEST(EvalCli, UnusableInputsExitWithStatus2AndSayWhy) {
  test::TempDir dir("eval-cli-errors");
  Output o = run("gpu_eval", "--checkpoint " + dir.file("missing.ckpt"));
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find(dir.file("missing.ckpt")), std::string::npos) << o.text;

  write_file_atomic(dir.file("garbage.ckpt"), "this is not a checkpoint at all");
  o = run("gpu_eval", "--checkpoint " + dir.file("garbage.ckpt"));
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("garbage.ckpt"), std::string::npos) << o.text;

  const std::string small = write_16x16_checkpoint(dir);
  o = run("gpu_eval", "--checkpoint " + small + " --dataset mnist-10k --no-download");
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("(1,16,16)"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("(1,28,28)"), std::string::npos) << o.text;

  o = run("gpu_eval", "--checkpoint " + small + " --split holdout");
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.text.find("--split"), std::string::npos) << o.text;
  o = run("gpu_eval", "--checkpoint " + small + " --batch-size 0");
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("--batch-size"), std::string::npos) << o.text;
  o = run("gpu_eval", "--dataset mnist-10k");
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.text.find("--checkpoint"), std::string::npos) << o.text;

  o = run("gpu_train", "--evaluate " + small + " --report");
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("gpu_eval"), std::string::npos) << o.text;
}

TEST(EvalCli, TrainReportGoesToAnExplicitPath) {
  test::TempDir dir("eval-cli-path");
  const Output o = run("gpu_train", "--arch mlp --epochs 1 --limit-train 300 --quiet --out " + dir.file("r") +
                                        " --report " + dir.file("custom.html"));
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_TRUE(std::filesystem::exists(dir.file("custom.html")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("r") + "/report.html"));
}

}  // namespace
}  // namespace gd
