// Workers of one study, on SQLite and on PostgreSQL: heartbeats keep a long trial alive and a
// silent worker's trial is lost after the grace period; the study's worker_lost setting; a late
// result of a trial declared lost is kept; results left on disk by a killed worker are stored by
// the next one; live workers; one-time claims; the per-invocation trial budget across fork().
#include <gtest/gtest.h>

#include <future>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "engine/tune/pending_results.h"
#include "engine/tune/study_storage.h"
#include "engine/tune/trial_budget.h"
#include "engine/tune/trial_heartbeat.h"
#include "tests/support/fork_child.h"
#include "tests/support/study_locations.h"

namespace gd::tune {
namespace {

using nlohmann::json;

const json kSpace = {{"lr", {{"type", "float"}, {"low", 1e-4}, {"high", 1.0}, {"log", true}}}};
const json kConfig = {{"arch", "mlp"}};

ProposeFn fixed(json params) {
  return [params](const std::vector<Trial>&) { return params; };
}

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

// Reads one int64 a child wrote to the pipe (-1 on failure).
int64_t read_id(int fd) {
  int64_t v = -1;
  return ::read(fd, &v, sizeof(v)) == static_cast<ssize_t>(sizeof(v)) ? v : -1;
}

class StudyWorkersTest : public test::StudyLocationTest {};
INSTANTIATE_STUDY_BACKENDS(StudyWorkersTest);

// A child runs one trial for 2.5 s (longer than the 1 s grace) with a heartbeat every 0.2 s: while
// it runs, recovery leaves it alone and the live-worker list shows it on that trial. Stopped with
// SIGSTOP (a hung machine: alive, silent), its trial is lost after the grace period.
TEST_P(StudyWorkersTest, HeartbeatKeepsALongTrialAliveAndASilentWorkerLosesIt) {
  StorageOptions opt;
  opt.heartbeat_grace_s = 1.0;
  { StudyStorage(location(), opt).create_study("s", Direction::Maximize, kSpace, kConfig); }
  int pipe_fd[2];
  ASSERT_EQ(::pipe(pipe_fd), 0);
  const std::string loc = location();
  auto worker = [&](double run_s) {
    return test::fork_child([&, run_s] {
      StudyStorage st(loc, opt);
      const Study s = st.load_study("s");
      TrialHeartbeat beat(st, s, 0.2);
      Trial t = st.ask(s, fixed({{"lr", 0.1}}), "random", "cpu");
      beat.set_trial(t);
      const int64_t id = t.id;
      if (::write(pipe_fd[1], &id, sizeof(id)) != sizeof(id)) return 2;
      sleep_s(run_s);
      st.tell_complete(t, 0.9);
      return 0;
    });
  };
  const pid_t beating = worker(2.5);
  const int64_t first = read_id(pipe_fd[0]);
  ASSERT_GE(first, 0);
  StudyStorage st(loc, opt);
  const Study s = st.load_study("s");
  sleep_s(1.6);  // past the grace period
  EXPECT_TRUE(st.recover_interrupted(s).empty());
  const std::vector<WorkerRecord> live = st.live_workers(s, 1.0);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].pid, beating);
  EXPECT_EQ(live[0].state, "running");
  EXPECT_EQ(live[0].trial_number, 0);
  EXPECT_EQ(test::wait_child(beating), 0);
  EXPECT_EQ(st.trial_record(first).trial.state, TrialState::Complete);
  EXPECT_TRUE(st.live_workers(s, 1.0).empty());  // it said "stopped" on its way out

  const pid_t silent = worker(30);
  // Whatever happens below, the stopped child must not outlive the test (it holds ctest's pipe).
  struct KillOnExit {
    pid_t pid;
    ~KillOnExit() {
      ::kill(pid, SIGKILL);
      ::kill(pid, SIGCONT);
    }
  } kill_on_exit{silent};
  const int64_t second = read_id(pipe_fd[0]);
  ASSERT_GE(second, 0);
  // A worker stopped inside one of its heartbeat transactions holds the database's lock (as a hung
  // machine would), and recovery then waits on it: on a loaded machine that happens often enough to
  // matter. So recovery runs beside a watchdog; if it waits, the worker is let go on, finishes its
  // write, and is stopped again at another moment.
  std::vector<Trial> lost;
  for (int attempt = 0; attempt < 10 && lost.empty(); ++attempt) {
    ::kill(silent, SIGSTOP);
    sleep_s(1.6);
    auto recovery = std::async(std::launch::async, [&] { return st.recover_interrupted(s); });
    if (recovery.wait_for(std::chrono::seconds(3)) == std::future_status::timeout) {
      ::kill(silent, SIGCONT);  // it was stopped holding the lock: let it commit
      recovery.get();
      sleep_s(0.05);
      continue;
    }
    lost = recovery.get();
  }
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].id, second);
  EXPECT_NE(lost[0].fail_reason.find("worker lost: worker " + st.worker().host + ":" + std::to_string(silent) +
                                     " stopped without finishing (no heartbeat for"),
            std::string::npos)
      << lost[0].fail_reason;
  EXPECT_EQ(st.queued_trials(s), 1);  // retried by default
  ::kill(silent, SIGKILL);
  ::kill(silent, SIGCONT);
  EXPECT_EQ(test::wait_child(silent), 128 + SIGKILL);
  ::close(pipe_fd[0]);
  ::close(pipe_fd[1]);
}

TEST_P(StudyWorkersTest, WorkerLostSettingFailEndsTheTrialWithoutRetry) {
  StudyStorage st(location());
  const Study s = st.create_study("s", Direction::Maximize, kSpace, kConfig);
  st.set_study_attr(s, "worker_lost", "fail");
  const Trial t = st.ask(s, fixed({{"lr", 0.1}}), "random", "cpu");
  raw_sql("UPDATE trials SET worker = 'elsewhere.invalid:7', heartbeat_at = 0 WHERE id = " + std::to_string(t.id));
  const std::vector<Trial> lost = st.recover_interrupted(s);
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_NE(lost[0].fail_reason.find("not retried: the study's worker_lost setting is 'fail'"), std::string::npos)
      << lost[0].fail_reason;
  EXPECT_EQ(st.queued_trials(s), 0);
}

// Recovery declared the trial lost (its heartbeats did not get through) while its worker was
// finishing: the worker's result is kept and the retry queued for it withdrawn.
TEST_P(StudyWorkersTest, LateResultOfATrialDeclaredLostIsKept) {
  StudyStorage st(location());
  const Study s = st.create_study("s", Direction::Maximize, kSpace, kConfig);
  Trial t = st.ask(s, fixed({{"lr", 0.1}}), "random", "cpu");
  const std::string remote = "elsewhere.invalid:8";
  raw_sql("UPDATE trials SET worker = '" + remote + "', heartbeat_at = 0 WHERE id = " + std::to_string(t.id));
  ASSERT_EQ(st.recover_interrupted(s).size(), 1u);
  ASSERT_EQ(st.queued_trials(s), 1);
  st.tell_for(remote, t, TrialState::Complete, 0.75, "", {{"note", "late"}}, std::nullopt);
  const TrialRecord r = st.trial_record(t.id);
  EXPECT_EQ(r.trial.state, TrialState::Complete);
  EXPECT_EQ(r.trial.value, 0.75);
  EXPECT_EQ(r.trial.fail_reason, "");
  EXPECT_EQ(st.queued_trials(s), 0);
  // Another worker's trial is not this worker's to tell.
  Trial u = st.ask(s, fixed({{"lr", 0.2}}), "random", "cpu");
  EXPECT_THROW(st.tell_for(remote, u, TrialState::Complete, 0.5, "", json::object(), std::nullopt), TrialLostError);
}

// A worker killed between finishing a trial and storing it leaves the result on disk; the next
// worker on this host stores it, as told by the dead worker.
TEST_P(StudyWorkersTest, ResultLeftOnDiskByAKilledWorkerIsStoredByTheNext) {
  { StudyStorage(location()).create_study("s", Direction::Minimize, kSpace, kConfig); }
  const PendingResults pending(dir().path() + "/runs", "s");
  const std::string loc = location();
  const pid_t victim = test::fork_child([&] {
    StudyStorage st(loc);
    const Study s = st.load_study("s");
    Trial t = st.ask(s, fixed({{"lr", 0.3}}), "tpe", "cpu");
    st.report(t, 1, 0.5);
    PendingResult r;
    r.trial_id = t.id;
    r.number = t.number;
    r.worker = st.worker().id();
    r.worker_start = st.worker().start_ticks;
    r.state = TrialState::Pruned;
    r.value = 0.25;
    r.step = 2;
    r.attrs = {{"pruned_by", "median"}};
    pending.save(r);
    ::raise(SIGKILL);  // before telling
    return 0;
  });
  EXPECT_EQ(test::wait_child(victim), 128 + SIGKILL);
  ASSERT_EQ(pending.load().size(), 1u);
  StudyStorage st(location());
  const Study s = st.load_study("s");
  EXPECT_EQ(store_pending_results(st, pending), 1);
  EXPECT_TRUE(pending.load().empty());
  const Trial t = st.trials(s).at(0);
  EXPECT_EQ(t.state, TrialState::Pruned);
  EXPECT_EQ(t.value, 0.25);
  EXPECT_EQ(t.intermediate, (std::vector<std::pair<int, double>>{{1, 0.5}, {2, 0.25}}));
  EXPECT_EQ(t.attrs, json({{"pruned_by", "median"}}));
  EXPECT_EQ(st.queued_trials(s), 0);
}

TEST_P(StudyWorkersTest, AStudyAttributeIsClaimedOnce) {
  StudyStorage a(location());
  const Study s = a.create_study("s", Direction::Maximize, kSpace, kConfig);
  auto b = a.reopen();
  EXPECT_TRUE(a.claim_study_attr(s, "final_claim:1", {{"worker", "a"}}));
  EXPECT_FALSE(b->claim_study_attr(s, "final_claim:1", {{"worker", "b"}}));
  EXPECT_EQ(*b->study_attr(s, "final_claim:1"), json({{"worker", "a"}}));
}

// --trials N across the processes of one invocation: exactly N units, whoever takes them.
TEST(TrialBudget, IsSharedByForkedProcesses) {
  TrialBudget budget(37);
  test::StartGate gate;
  std::vector<pid_t> kids;
  for (int w = 0; w < 4; ++w) {
    kids.push_back(test::fork_child([&] {
      gate.wait();
      int got = 0;
      while (budget.take()) ++got;
      return got;  // an exit status: < 256
    }));
  }
  gate.open();
  int total = 0;
  for (pid_t p : kids) total += test::wait_child(p);
  EXPECT_EQ(total, 37);
  EXPECT_EQ(budget.left(), 0);
  EXPECT_FALSE(budget.take());
  budget.give_back(2);
  EXPECT_TRUE(budget.take());
  EXPECT_EQ(budget.left(), 1);
}

}  // namespace
}  // namespace gd::tune
