// gpu_train killed with SIGKILL, again and again, at moments spread over its epochs (issue 19):
// after every kill the checkpoint on disk loads and history.json is never ahead of it; temp files
// a killed writer left behind are removed when the run is resumed; and the run resumed to its end
// has bit-identical weights to one that was never interrupted.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "engine/train/atomic_file.h"
#include "engine/train/checkpoint.h"
#include "tests/support/run_binary.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

namespace fs = std::filesystem;

const std::string kArgs = "--arch mlp --epochs 4 --limit-train 2000 --seed 11 --threads 1 --quiet";

pid_t start_gpu_train(const std::string& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string cmd = "exec " + std::string(GD_BINARY_DIR) + "/gpu_train " + args + " > /dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// A PID that belongs to no process: a child that has exited and been reaped.
pid_t dead_pid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

std::vector<std::string> temp_files(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) found.push_back(e.path().string());
  return found;
}

TEST(TrainKill, RepeatedKillsThenResumeGiveTheUninterruptedWeightsAndNoLeftovers) {
  test::TempDir dir("train-kill");
  const test::BinaryOutput whole = test::run_binary("gpu_train", kArgs + " --out " + dir.file("whole"));
  ASSERT_EQ(whole.code, 0) << whole.text;

  const std::string run = dir.file("killed"), ckpt = run + "/checkpoint.ckpt";
  // Kill delays after a round's first new checkpoint: at once, mid-epoch and late, so the kills
  // land in training, in evaluation and around the end-of-epoch and final writes.
  const int delays_ms[] = {0, 50, 100, 10, 30};
  int kills = 0, finished = 0;
  for (int round = 0; round < 5 && !finished; ++round) {
    // Each round waits for a checkpoint written by this process (a new epoch), then kills it
    // after the round's delay.
    std::error_code ec;
    const auto before = fs::last_write_time(ckpt, ec);
    const bool had = !ec;
    const pid_t pid = start_gpu_train(round == 0 ? kArgs + " --out " + run : "--resume " + ckpt);
    const auto t0 = std::chrono::steady_clock::now();
    int status = 0;
    bool exited = false;
    for (;;) {
      const auto now = fs::last_write_time(ckpt, ec);
      if (!ec && (!had || now != before)) break;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        break;
      }
      ASSERT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60)) << "round " << round;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(delays_ms[round]));
    if (exited || waitpid(pid, &status, WNOHANG) == pid) {
      finished = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      ASSERT_TRUE(finished) << "round " << round << " ended with status " << status;
      break;
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    ++kills;
    // Whatever the moment, the checkpoint is whole, and history.json is not ahead of it.
    ASSERT_TRUE(fs::exists(ckpt)) << "round " << round;
    const Checkpoint ck = load_checkpoint(ckpt);
    const size_t ck_epochs = ck.meta["training"]["history"].size();
    if (fs::exists(run + "/history.json")) {
      const size_t hist_epochs = nlohmann::json::parse(read_file(run + "/history.json")).size();
      EXPECT_LE(hist_epochs, ck_epochs) << "round " << round;
    }
  }
  EXPECT_GE(kills, 1);

  // A temp file of a writer that no longer exists, as a kill during a write leaves it.
  const std::string stale = run + "/checkpoint.ckpt.tmp-" + std::to_string(dead_pid());
  write_file_atomic(stale, std::string(4096, 'x'));
  const test::BinaryOutput resumed = test::run_binary("gpu_train", "--resume " + ckpt);
  ASSERT_EQ(resumed.code, 0) << resumed.text;
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_NE(resumed.text.find("removed " + stale), std::string::npos) << resumed.text;
  EXPECT_TRUE(temp_files(run).empty());

  const Checkpoint a = load_checkpoint(dir.file("whole") + "/model.ckpt");
  const Checkpoint b = load_checkpoint(run + "/model.ckpt");
  EXPECT_EQ(a.get("params").values, b.get("params").values);
  EXPECT_EQ(nlohmann::json::parse(read_file(run + "/history.json")).size(), 4u);
  EXPECT_EQ(b.meta["training"]["history"].size(), 4u);
}

}  // namespace
}  // namespace gd
