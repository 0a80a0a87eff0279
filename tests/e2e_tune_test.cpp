// gpu_tune as a user runs it, on mnist-10k with tiny trials: create a study, continue it with
// another sampler, parallel workers, ASHA pausing and promotion, recovery after the process is
// SIGKILLed mid-trial, diverging trials, the final retrain + single test evaluation, the report,
// and the errors for bad input.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"
#include "tests/support/run_binary.h"

namespace {

using Output = gd::test::BinaryOutput;

Output run(const std::string& args) { return gd::test::run_binary("gpu_tune", args); }

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A small space: every trial trains a 1-hidden-layer mlp for at most 2 epochs on 600 images, in
// batches of 32 (34 steps: with the recipe's 128 the 10 steps at lr 0.005 left a 16-unit net near
// chance, since the classifier head starts small, engine/optim/init.h).
const char* kSpace = R"(
description = "tiny mlp space for tests"
[params]
layers = 1
batch_size = 32
[params.lr]
type = "float"
low = 0.005
high = 0.2
log = true
[params.dropout]
type = "float"
low = 0.0
high = 0.5
[params.width1]
type = "int"
low = 16
high = 64
)";

struct Study {
  std::string dir, db, space;
  explicit Study(const gd::test::TempDir& t) : dir(t.path()), db(t.file("studies.db")), space(t.file("space.toml")) {
    write_text(space, kSpace);
  }
  std::string common(const std::string& name) const {
    return "--storage " + db + " --study " + name + " --runs-dir " + dir + "/runs --threads 1 ";
  }
  std::string create(const std::string& name, const std::string& extra = "",
                     const std::string& budget = "--limit-train 600 --epochs 2") const {
    return common(name) + "--space " + space + " --arch mlp --dataset mnist-10k --no-download " + budget + " " + extra;
  }
  nlohmann::json exported(const std::string& name) const {
    const std::string path = dir + "/" + name + ".json";
    const Output o = run(common(name) + "--export " + path);
    EXPECT_EQ(o.code, 0) << o.text;
    std::ifstream in(path);
    return nlohmann::json::parse(in);
  }
};

std::multiset<std::string> param_keys(const nlohmann::json& ex) {
  std::multiset<std::string> keys;
  for (const auto& t : ex.at("trials")) keys.insert(t.at("params").dump());
  return keys;
}

TEST(GpuTune, AutoIsTheDefaultSamplerAndSaysWhatItChoseAndWhy) {
  gd::test::TempDir t("tune-auto");
  Study s(t);
  const Output o = run(s.create("auto", "--trials 2 --no-final", "--limit-train 300 --epochs 1"));
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("sampler auto: gp (0 finished trials, 3 sampled parameters: "), std::string::npos) << o.text;
  const nlohmann::json ex = s.exported("auto");
  EXPECT_EQ(ex.at("attrs").at("sampler"), "auto");
  EXPECT_EQ(ex.at("attrs").at("sampler_choice").at("sampler"), "gp");
  ASSERT_EQ(ex.at("trials").size(), 2u);
  for (const auto& tr : ex.at("trials")) EXPECT_EQ(tr.at("attrs").at("proposer"), "gp") << tr.dump();
}

TEST(GpuTune, CreatesContinuesWithAnotherSamplerAndEvaluatesTheBestOnceOnTest) {
  gd::test::TempDir t("tune-basic");
  Study s(t);
  Output o = run(s.create("basic", "--sampler random --trials 4 --report"));
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("created study 'basic'"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("test set used once"), std::string::npos) << o.text;
  EXPECT_TRUE(std::filesystem::exists(s.dir + "/runs/basic/report.html"));
  nlohmann::json ex = s.exported("basic");
  ASSERT_EQ(ex.at("trials").size(), 4u);
  for (const auto& tr : ex.at("trials")) {
    EXPECT_EQ(tr.at("state"), "complete") << tr.dump();
    EXPECT_EQ(tr.at("sampler"), "random");
    EXPECT_EQ(tr.at("intermediate").size(), 2u) << "one value per epoch";
    EXPECT_GT(tr.at("value").get<double>(), 0.2) << "well above chance (0.1) after 2 epochs on 600 images";
  }
  ASSERT_TRUE(ex.at("attrs").contains("final"));
  const auto& final = ex.at("attrs").at("final");
  EXPECT_GT(final.at("test_accuracy").get<double>(), 0.5);

  // Continue the same study with the GP sampler: 3 more trials, none repeating a configuration.
  o = run(s.common("basic") + "--sampler gp --trials 3 --no-final");
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("continuing study 'basic'"), std::string::npos);
  ex = s.exported("basic");
  ASSERT_EQ(ex.at("trials").size(), 7u);
  int gp = 0;
  for (const auto& tr : ex.at("trials")) gp += tr.at("sampler") == "gp";
  EXPECT_EQ(gp, 3);
  const auto keys = param_keys(ex);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size()) << "duplicate configuration";

  // A study's objective cannot be changed by a later invocation.
  o = run(s.common("basic") + "--arch cnn --trials 1");
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("already exists"), std::string::npos) << o.text;
  // The creating command itself, run again (as every worker of a study does), is no error; with
  // another objective it names the difference.
  o = run(s.create("basic", "--trials 0 --no-final"));
  EXPECT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("continuing study 'basic'"), std::string::npos) << o.text;
  o = run(s.create("basic", "--trials 0 --no-final", "--limit-train 600 --epochs 3"));
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("different objective config: 'max_epochs' is 3 (stored: 2)"), std::string::npos) << o.text;
}

TEST(GpuTune, ParallelWorkersShareOneStudyWithoutDuplicates) {
  gd::test::TempDir t("tune-parallel");
  Study s(t);
  // Trials of ~0.3 s each, so the second worker is up (it loads the data too) before the first
  // could run them all.
  const Output o = run(s.create("par", "--sampler tpe --trials 8 --parallel 2 --no-final", "--limit-train 3000 --epochs 3"));
  ASSERT_EQ(o.code, 0) << o.text;
  const nlohmann::json ex = s.exported("par");
  ASSERT_EQ(ex.at("trials").size(), 8u);
  std::set<int> numbers;
  std::set<std::string> workers;
  for (const auto& tr : ex.at("trials")) {
    numbers.insert(tr.at("number").get<int>());
    workers.insert(tr.at("worker").get<std::string>());
    EXPECT_EQ(tr.at("state"), "complete");
  }
  EXPECT_EQ(numbers.size(), 8u);
  EXPECT_EQ(workers.size(), 2u) << "both worker processes ran trials";
  const auto keys = param_keys(ex);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size());
}

TEST(GpuTune, AshaPausesTrialsAtRungsAndPromotesTheBest) {
  gd::test::TempDir t("tune-asha");
  Study s(t);
  // epochs 3, eta 3, min 1: rungs at 1 and 3 epochs; of every 3 trials at rung 0, 1 is promoted.
  const Output o = run(s.create("asha", "--sampler random --trials 6 --pruner asha --eta 3 --min-epochs 1 --no-final",
                                "--limit-train 600 --epochs 3"));
  ASSERT_EQ(o.code, 0) << o.text;
  const nlohmann::json ex = s.exported("asha");
  ASSERT_EQ(ex.at("trials").size(), 6u);
  int complete = 0;
  double best_rung0 = -1, worst_rung0 = 2;
  std::string best_state, worst_state;
  for (const auto& tr : ex.at("trials")) {
    const auto& curve = tr.at("intermediate");
    if (tr.at("state") == "pruned") {
      EXPECT_EQ(curve.size(), 1u) << "paused after the 1-epoch rung: " << tr.dump();
    } else {
      ASSERT_EQ(tr.at("state"), "complete") << tr.dump();
      ++complete;
      EXPECT_EQ(curve.size(), 3u) << "a promoted trial resumes to 3 epochs: " << tr.dump();
    }
    const double v = curve.at(0).at(1).get<double>();  // value after the bottom rung (epoch 1)
    if (v > best_rung0) best_rung0 = v, best_state = tr.at("state");
    if (v < worst_rung0) worst_rung0 = v, worst_state = tr.at("state");
  }
  // A trial is promoted while it ranks in the top floor(n/3) of the n trials at its rung, so the
  // best bottom-rung trial always ends up promoted and the worst never is.
  EXPECT_GE(complete, 1);
  EXPECT_LT(complete, 6);
  EXPECT_EQ(best_state, "complete");
  EXPECT_EQ(worst_state, "pruned");
  EXPECT_NE(o.text.find("promoted, resumed"), std::string::npos) << o.text;
}

TEST(GpuTune, DivergingTrialsFailWithTheReasonAndTheStudyGoesOn) {
  gd::test::TempDir t("tune-diverge");
  Study s(t);
  write_text(s.space, R"(
[params.lr]
type = "float"
low = 1e6
high = 1e7
log = true
[params.momentum]
type = "float"
low = 0.0
high = 0.5
)");
  const Output o = run(s.create("div", "--sampler random --trials 2"));
  ASSERT_EQ(o.code, 0) << o.text;
  const nlohmann::json ex = s.exported("div");
  ASSERT_EQ(ex.at("trials").size(), 2u);
  for (const auto& tr : ex.at("trials")) {
    EXPECT_EQ(tr.at("state"), "failed");
    EXPECT_NE(tr.at("fail_reason").get<std::string>().find("diverged"), std::string::npos) << tr.dump();
  }
  EXPECT_FALSE(ex.at("attrs").contains("final")) << "no complete trial, nothing to retrain";
}

TEST(GpuTune, AKilledRunIsRecoveredAndItsTrialRetried) {
  gd::test::TempDir t("tune-kill");
  Study s(t);
  // Longer trials (wide layers, all 7,196 training images, 3 epochs: about a second each) so the
  // kill lands inside one.
  write_text(s.space, "[params]\nlayers = 1\n[params.lr]\ntype = \"float\"\nlow = 0.01\nhigh = 0.1\n"
                      "[params.width1]\ntype = \"int\"\nlow = 1024\nhigh = 2048\n");
  const std::string cmd = std::string(GD_BINARY_DIR) + "/gpu_tune " +
                          s.create("kill", "--sampler random --trials 50 --no-final", "--limit-train 0 --epochs 3") + " > " +
                          t.file("log") + " 2>&1";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until at least one trial finished and another is running, then SIGKILL everything.
  bool ready = false;
  for (int i = 0; i < 400 && !ready; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    int st = 0;
    ASSERT_EQ(waitpid(pid, &st, WNOHANG), 0) << "gpu_tune ended before it could be killed:\n"
                                             << [&] { std::ifstream l(t.file("log")); return std::string(std::istreambuf_iterator<char>(l), {}); }();
    if (!std::filesystem::exists(s.db)) continue;
    const Output e = run(s.common("kill") + "--export " + t.file("poll.json"));
    if (e.code != 0) continue;  // e.g. the study is not created yet
    std::ifstream in(t.file("poll.json"));
    const auto ex = nlohmann::json::parse(in, nullptr, false);
    if (ex.is_discarded()) continue;
    int done = 0, running = 0;
    for (const auto& tr : ex.at("trials")) {
      done += tr.at("state") == "complete";
      running += tr.at("state") == "running";
    }
    ready = done >= 1 && running == 1;
  }
  ASSERT_TRUE(ready) << "gpu_tune never had a finished and a running trial";
  kill(-pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);

  const nlohmann::json before = s.exported("kill");
  std::string running_params;
  for (const auto& tr : before.at("trials"))
    if (tr.at("state") == "running") running_params = tr.at("params").dump();
  ASSERT_FALSE(running_params.empty());

  const Output o = run(s.common("kill") + "--trials 1 --no-final");
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("(retry)"), std::string::npos) << o.text;
  const nlohmann::json after = s.exported("kill");
  int interrupted = 0, retried = 0;
  for (const auto& tr : after.at("trials")) {
    if (tr.at("state") == "failed" && tr.at("fail_reason").get<std::string>().find("worker lost") != std::string::npos) {
      ++interrupted;
      EXPECT_EQ(tr.at("params").dump(), running_params);
    }
    if (tr.at("state") == "complete" && tr.at("params").dump() == running_params) ++retried;
  }
  EXPECT_EQ(interrupted, 1);
  EXPECT_EQ(retried, 1) << "the interrupted configuration ran again to completion";
}

TEST(GpuTune, BadInputGetsAClearError) {
  gd::test::TempDir t("tune-errors");
  Study s(t);
  Output o = run(s.common("nothing") + "--trials 1");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.text.find("give --space"), std::string::npos) << o.text;
  write_text(t.file("typo.toml"), "[params.learning_rate]\ntype = \"float\"\nlow = 0.1\nhigh = 0.2\n");
  o = run(s.common("typo") + "--space " + t.file("typo.toml") + " --trials 1");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.text.find("learning_rate"), std::string::npos) << o.text;
  write_text(t.file("broken.toml"), "[params.lr\ntype = ");
  o = run(s.common("broken") + "--space " + t.file("broken.toml") + " --trials 1");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.text.find("broken.toml"), std::string::npos) << o.text;
  write_text(t.file("not-a-db"), "hello, I am not SQLite");
  o = run("--storage " + t.file("not-a-db") + " --list");
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.text.find("not-a-db"), std::string::npos) << o.text;
  o = run(s.create("x", "--sampler bayes --trials 1"));
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.text.find("bayes"), std::string::npos) << o.text;
}

}  // namespace
