// gpu_tune on a PostgreSQL study, as people run it across machines (here: processes): the same
// command started twice at once creates the study once and runs --trials N each (2N trials, dense
// numbers), --worker processes feed a study up to its --target-trials, --list shows live workers,
// the final retrain is claimed once, and the password appears in no output, export or run
// directory. A wrong password is one clear error. Skips, naming the reason, without a server.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/run_binary.h"
#include "tests/support/study_locations.h"
#include "tests/support/test_support.h"

namespace {

using Output = gd::test::BinaryOutput;

const char* kSpace = R"(
[params]
layers = 1
[params.lr]
type = "float"
low = 0.005
high = 0.2
log = true
[params.width1]
type = "int"
low = 16
high = 64
)";

std::string password_of(const std::string& url) {
  const size_t at = url.find('@'), scheme = url.find("://");
  const size_t colon = url.find(':', scheme + 3);
  return colon < at ? url.substr(colon + 1, at - colon - 1) : "";
}

// Every file under `dir`, searched for `needle`; returns the first file holding it, or "".
std::string file_containing(const std::string& dir, const std::string& needle) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    if (text.find(needle) != std::string::npos) return e.path().string();
  }
  return "";
}

class GpuTunePg : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    const auto admin = gd::test::pg_admin_url(&why);
    if (!admin) GTEST_SKIP() << why;
    db_ = std::make_unique<gd::test::PgDatabase>(*admin, ::testing::UnitTest::GetInstance()->current_test_info()->name());
    dir_ = std::make_unique<gd::test::TempDir>("tune-pg");
    space_ = dir_->file("space.toml");
    std::ofstream(space_) << kSpace;
    password_ = password_of(db_->url());
    ASSERT_FALSE(password_.empty());
  }
  std::string common(const std::string& study) const {
    return "--storage '" + db_->url() + "' --study " + study + " --runs-dir " + dir_->path() + "/runs --threads 1 ";
  }
  std::string create(const std::string& study) const {
    return common(study) + "--space " + space_ +
           " --arch mlp --dataset mnist-10k --no-download --limit-train 600 --epochs 2 --sampler random ";
  }
  // Starts gpu_tune in the background; its output goes to `log`.
  pid_t start(const std::string& args, const std::string& log) const {
    const std::string cmd = std::string(GD_BINARY_DIR) + "/gpu_tune " + args + " > " + log + " 2>&1";
    const pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    return pid;
  }
  static int wait_for(pid_t pid) {
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }
  nlohmann::json exported(const std::string& study) const {
    const std::string path = dir_->file(study + ".json");
    const Output o = gd::test::run_binary("gpu_tune", common(study) + "--export " + path);
    EXPECT_EQ(o.code, 0) << o.text;
    std::ifstream in(path);
    return nlohmann::json::parse(in);
  }
  std::unique_ptr<gd::test::PgDatabase> db_;
  std::unique_ptr<gd::test::TempDir> dir_;
  std::string space_, password_;
};

TEST_F(GpuTunePg, TheSameCommandTwiceAtOnceRunsBothBudgets) {
  const std::string args = create("both") + "--trials 3 --no-final";
  const pid_t a = start(args, dir_->file("a.log")), b = start(args, dir_->file("b.log"));
  EXPECT_EQ(wait_for(a), 0) << read(dir_->file("a.log"));
  EXPECT_EQ(wait_for(b), 0) << read(dir_->file("b.log"));
  const nlohmann::json ex = exported("both");
  ASSERT_EQ(ex.at("trials").size(), 6u) << "--trials 3 twice must give 6 trials";
  std::set<int> numbers;
  for (const auto& t : ex.at("trials")) {
    numbers.insert(t.at("number").get<int>());
    EXPECT_EQ(t.at("state"), "complete");
  }
  EXPECT_EQ(numbers, (std::set<int>{0, 1, 2, 3, 4, 5}));
  // The final retrain is claimed once: while a worker on another machine holds the claim this
  // run skips it; a claimant that died on this machine is replaced.
  gd::test::raw_sql(db_->url(),
                    "INSERT INTO study_attrs (study_id, key, value) SELECT study_id, 'final_claim:' || id, "
                    "'{\"worker\": \"elsewhere.invalid:1\", \"at\": 0}' FROM trials");
  Output o = gd::test::run_binary("gpu_tune", common("both") + "--trials 0");
  EXPECT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("is being retrained by worker elsewhere.invalid:1"), std::string::npos) << o.text;
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  const pid_t gone = fork();
  if (gone == 0) _exit(0);
  wait_for(gone);
  gd::test::raw_sql(db_->url(), std::string("UPDATE study_attrs SET value = '{\"worker\": \"") + host + ":" +
                                    std::to_string(gone) + "\", \"at\": 0}' WHERE key LIKE 'final_claim:%'");
  o = gd::test::run_binary("gpu_tune", common("both") + "--trials 0");
  EXPECT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("final: trial"), std::string::npos) << o.text;
  const Output again = gd::test::run_binary("gpu_tune", common("both") + "--trials 0 --report");
  EXPECT_EQ(again.code, 0) << again.text;
  EXPECT_TRUE(std::filesystem::exists(dir_->path() + "/runs/both/report.html")) << again.text;
  // Nothing printed or written anywhere holds the password.
  for (const std::string& log : {read(dir_->file("a.log")), read(dir_->file("b.log")), o.text, again.text})
    EXPECT_EQ(log.find(password_), std::string::npos) << log;
  EXPECT_EQ(file_containing(dir_->path(), password_), "") << "the password was written into a file";
}

TEST_F(GpuTunePg, WorkersFeedAStudyUpToItsTarget) {
  Output o = gd::test::run_binary("gpu_tune", create("fed") + "--target-trials 5 --trials 0 --no-final");
  ASSERT_EQ(o.code, 0) << o.text;
  const std::string worker = common("fed") + "--worker --poll 0.2 --idle-exit 2 --heartbeat-grace 8 --no-final";
  const pid_t a = start(worker, dir_->file("a.log")), b = start(worker, dir_->file("b.log"));
  // While they work, --list shows them.
  bool listed = false;
  for (int i = 0; i < 100 && !listed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const Output l = gd::test::run_binary("gpu_tune", "--storage '" + db_->url() + "' --list --heartbeat-grace 8");
    listed = l.text.find("  worker ") != std::string::npos;
  }
  EXPECT_TRUE(listed) << "gpu_tune --list never showed a live worker";
  EXPECT_EQ(wait_for(a), 0) << read(dir_->file("a.log"));
  EXPECT_EQ(wait_for(b), 0) << read(dir_->file("b.log"));
  const nlohmann::json ex = exported("fed");
  EXPECT_EQ(ex.at("trials").size(), 5u);  // the target, not 5 per worker
  for (const auto& t : ex.at("trials")) EXPECT_EQ(t.at("state"), "complete");
  for (const std::string& log : {read(dir_->file("a.log")), read(dir_->file("b.log"))})
    EXPECT_NE(log.find("worker for study 'fed'"), std::string::npos) << log;
}

TEST_F(GpuTunePg, WrongPasswordIsOneClearError) {
  std::string url = db_->url();
  url.replace(url.find(password_), password_.size(), "wrong-password-99");
  const Output o = gd::test::run_binary("gpu_tune", "--storage '" + url + "' --list");
  EXPECT_EQ(o.code, 1) << o.text;
  EXPECT_NE(o.text.find("password authentication failed"), std::string::npos) << o.text;
  EXPECT_EQ(o.text.find("wrong-password-99"), std::string::npos) << o.text;
  const size_t at = url.find('@');
  EXPECT_NE(o.text.find("postgresql://gdtest" + url.substr(at)), std::string::npos) << o.text;
}

}  // namespace
