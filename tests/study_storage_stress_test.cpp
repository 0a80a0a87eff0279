// Many workers on one study, and faults in the middle of it, on SQLite and on PostgreSQL:
//  - stress: 8 worker processes x 25 trials of a cheap objective with the TPE sampler: exactly 200
//    trials numbered 0..199, none left running, and every proposal made with all trials before it;
//  - SIGKILL of two workers mid-trial: their trials end as "worker lost", are retried, and the
//    study completes;
//  - (PostgreSQL) the server stopped and restarted mid-study: every worker goes on and nothing
//    finished is lost.
// Each worker is the loop a gpu_tune worker runs (ask, heartbeat thread, per-epoch reports, tell)
// around an objective that costs milliseconds, so the test takes seconds.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "engine/tune/sampler.h"
#include "engine/tune/search_space.h"
#include "engine/tune/study_storage.h"
#include "engine/tune/trial_heartbeat.h"
#include "tests/support/fork_child.h"
#include "tests/support/study_locations.h"

namespace gd::tune {
namespace {

using nlohmann::json;

const char* kSpaceToml = "[params.x]\ntype = \"float\"\nlow = -2.0\nhigh = 2.0\n";

struct StudyIsFull {};

struct Loop {
  std::string location;
  StorageOptions storage;
  int max_trials = 0;      // the study's total: proposals stop there
  int own_trials = 0;      // > 0: this worker stops after asking this many
  double epoch_s = 0.0;    // sleep per "epoch" (2 epochs per trial)
  double beat_s = 0.25;
  std::string log;         // file: one line "number seen" per proposal of this worker
  int started_fd = -1;     // pipe: {pid, number} of each trial this worker starts (for the killer)
};

// One worker: returns the number of trials it told.
int run_worker(const Loop& l, int w) {
  StudyStorage st(l.location, l.storage);
  const Study s = st.load_study("stress");
  const SearchSpace space = SearchSpace::from_json(s.space, "stress");
  auto sampler = make_sampler("tpe", {{"n_startup", 5}});
  TrialHeartbeat beat(st, s, l.beat_s);
  std::ofstream log(l.log);
  int told = 0, asked = 0;
  while (l.own_trials == 0 || asked < l.own_trials) {
    int seen = -1;
    Trial t;
    try {
      t = st.ask(
          s,
          [&](const std::vector<Trial>& all) {
            if (static_cast<int>(all.size()) >= l.max_trials) throw StudyIsFull{};
            seen = static_cast<int>(all.size());
            return sampler->sample(space, all, s.direction, 7 + static_cast<uint64_t>(w), seen);
          },
          "tpe", "cpu");
    } catch (const StudyIsFull&) {
      break;
    }
    ++asked;
    if (seen >= 0) log << t.number << " " << seen << "\n" << std::flush;
    beat.set_trial(t);
    if (l.started_fd >= 0) {
      const int32_t msg[2] = {static_cast<int32_t>(::getpid()), t.number};
      if (::write(l.started_fd, msg, sizeof(msg)) != sizeof(msg)) return -1;
    }
    const double x = t.params.at("x").get<double>();
    for (int epoch = 1; epoch <= 2; ++epoch) {
      std::this_thread::sleep_for(std::chrono::duration<double>(l.epoch_s));
      st.report(t, epoch, -(x - 0.5) * (x - 0.5) / epoch);
    }
    st.tell_complete(t, -(x - 0.5) * (x - 0.5));
    beat.set_trial(std::nullopt);
    ++told;
  }
  return told;
}

void create_study(const std::string& location) {
  StudyStorage(location).create_study("stress", Direction::Maximize,
                                      SearchSpace::from_toml_string(kSpaceToml, "stress").to_json(), {{"arch", "mlp"}});
}

// Every proposal logged by the workers saw exactly the trials numbered below it.
void expect_proposals_saw_everything(const std::vector<std::string>& logs, size_t expected) {
  size_t n = 0;
  for (const std::string& f : logs) {
    std::ifstream in(f);
    int number = 0, seen = 0;
    while (in >> number >> seen) {
      ++n;
      EXPECT_EQ(seen, number) << "trial " << number << " was proposed without seeing every trial before it";
    }
  }
  EXPECT_EQ(n, expected);
}

class StudyStressTest : public test::StudyLocationTest {};
INSTANTIATE_STUDY_BACKENDS(StudyStressTest);

TEST_P(StudyStressTest, EightWorkersTimesTwentyFiveTrials) {
  create_study(location());
  constexpr int kWorkers = 8, kEach = 25;
  test::StartGate gate;
  std::vector<pid_t> kids;
  std::vector<std::string> logs;
  for (int w = 0; w < kWorkers; ++w) {
    Loop l;
    l.location = location();
    l.max_trials = 1 << 30;
    l.own_trials = kEach;
    l.log = dir().file("w" + std::to_string(w) + ".log");
    logs.push_back(l.log);
    kids.push_back(test::fork_child([&gate, l, w] {
      gate.wait();
      return run_worker(l, w) == kEach ? 0 : 1;
    }));
  }
  gate.open();
  for (pid_t p : kids) EXPECT_EQ(test::wait_child(p), 0);

  StudyStorage st(location());
  const std::vector<TrialRecord> all = st.trial_records(st.load_study("stress"));
  ASSERT_EQ(all.size(), static_cast<size_t>(kWorkers * kEach));
  std::map<std::string, int> per_worker;
  for (size_t n = 0; n < all.size(); ++n) {
    EXPECT_EQ(all[n].trial.number, static_cast<int>(n));  // 0..199, each once
    EXPECT_EQ(all[n].trial.state, TrialState::Complete) << "trial " << n;
    EXPECT_EQ(all[n].trial.intermediate.size(), 2u);
    ++per_worker[all[n].worker];
  }
  EXPECT_EQ(per_worker.size(), static_cast<size_t>(kWorkers));
  for (const auto& [worker, n] : per_worker) EXPECT_EQ(n, kEach) << worker;
  expect_proposals_saw_everything(logs, all.size());
}

// Two of six workers are SIGKILLed in the middle of a trial. Their trials end as "worker lost"
// (on this host the dead process is seen at once; on another host after heartbeat_grace_s), are
// retried with the same parameters, and the study still reaches its 36 trials, none running.
TEST_P(StudyStressTest, TwoWorkersKilledMidTrialLoseOnlyTheirTrials) {
  create_study(location());
  constexpr int kWorkers = 6, kTrials = 36;
  int started[2];
  ASSERT_EQ(::pipe(started), 0);
  test::StartGate gate;
  std::vector<pid_t> kids;
  for (int w = 0; w < kWorkers; ++w) {
    Loop l;
    l.location = location();
    l.storage.heartbeat_grace_s = 1.0;
    l.max_trials = kTrials;
    l.epoch_s = 0.05;
    l.beat_s = 0.2;
    l.log = dir().file("w" + std::to_string(w) + ".log");
    l.started_fd = w < 2 ? started[1] : -1;  // the victims say when they start a trial
    kids.push_back(test::fork_child([&gate, l, w] {
      gate.wait();
      run_worker(l, w);
      return 0;
    }));
  }
  ::close(started[1]);
  gate.open();
  // Kill each victim when it has started its second trial (its first is told by then).
  std::map<pid_t, int> starts;
  int killed = 0;
  int32_t msg[2];
  while (killed < 2 && ::read(started[0], msg, sizeof(msg)) == static_cast<ssize_t>(sizeof(msg))) {
    if (++starts[msg[0]] != 2) continue;
    ::kill(msg[0], SIGKILL);
    ++killed;
  }
  ::close(started[0]);
  ASSERT_EQ(killed, 2);
  for (size_t i = 0; i < kids.size(); ++i) {
    const int status = test::wait_child(kids[i]);
    if (i < 2) {
      EXPECT_EQ(status, 128 + SIGKILL);
    } else {
      EXPECT_EQ(status, 0);
    }
  }

  StudyStorage st(location());
  const Study s = st.load_study("stress");
  st.recover_interrupted(s);  // in case no survivor asked again after the last kill
  std::vector<TrialRecord> all = st.trial_records(s);
  // A retry queued by that last recovery is still to run: run it here, as a late worker would.
  while (st.queued_trials(s) > 0) {
    Trial t = st.ask(s, [](const std::vector<Trial>&) -> json { throw StudyIsFull{}; }, "tpe", "cpu");
    st.tell_complete(t, 0.0);
  }
  all = st.trial_records(s);
  int lost = 0, complete = 0;
  std::set<int64_t> retried;
  for (size_t i = 0; i < all.size(); ++i) {
    const Trial& t = all[i].trial;
    EXPECT_EQ(t.number, static_cast<int>(i));
    EXPECT_NE(t.state, TrialState::Running) << "trial " << t.number << " was left running";
    if (t.state == TrialState::Failed) {
      ++lost;
      EXPECT_EQ(t.fail_reason.rfind("worker lost: worker ", 0), 0u) << t.fail_reason;
      const pid_t victim0 = kids[0], victim1 = kids[1];
      EXPECT_TRUE(all[i].worker == st.worker().host + ":" + std::to_string(victim0) ||
                  all[i].worker == st.worker().host + ":" + std::to_string(victim1))
          << "a survivor's trial was lost: " << all[i].worker;
    }
    complete += t.state == TrialState::Complete;
    if (all[i].retry_of) retried.insert(*all[i].retry_of);
  }
  EXPECT_EQ(lost, 2);
  EXPECT_EQ(complete, static_cast<int>(all.size()) - 2);
  EXPECT_EQ(retried.size(), 2u);  // each lost trial ran again
  EXPECT_GE(all.size(), static_cast<size_t>(kTrials));
  EXPECT_EQ(st.queued_trials(s), 0);
}

// The PostgreSQL server is stopped (fast: every session cut) and started again 1.5 s later while
// four workers run: each reconnects and goes on; every trial finishes, none twice, none lost.
TEST(StudyFaults, PostgresRestartMidStudyIsSurvivedByEveryWorker) {
  std::string why;
  if (!test::pg_admin_url(&why)) GTEST_SKIP() << why;
  test::TempDir dir("pg_restart");
  // A server of this test's own: restarting the shared one would disturb the tests beside it.
  const std::string script = std::string(GD_SOURCE_DIR) + "/tests/support/pg_server.sh";
  const std::string state = dir.file("pg");
  ASSERT_EQ(std::system((script + " start " + state + " > " + dir.file("start.log") + " 2>&1").c_str()), 0);
  std::ifstream url_in(state + "/url");
  std::string url;
  std::getline(url_in, url);
  ASSERT_FALSE(url.empty()) << "the private server did not start (see " << dir.file("start.log") << ")";
  create_study(url);

  constexpr int kWorkers = 4, kTrials = 60;
  int started[2];
  ASSERT_EQ(::pipe(started), 0);
  test::StartGate gate;
  std::vector<pid_t> kids;
  std::vector<std::string> logs;
  for (int w = 0; w < kWorkers; ++w) {
    Loop l;
    l.location = url;
    l.storage.heartbeat_grace_s = 30;  // the outage must not make anyone's trial "lost"
    l.max_trials = kTrials;
    l.epoch_s = 0.03;
    l.log = dir.file("w" + std::to_string(w) + ".log");
    logs.push_back(l.log);
    l.started_fd = w == 0 ? started[1] : -1;
    kids.push_back(test::fork_child([&gate, l, w] {
      gate.wait();
      return run_worker(l, w) > 0 ? 0 : 1;
    }));
  }
  ::close(started[1]);
  gate.open();
  int32_t msg[2] = {0, 0};
  while (::read(started[0], msg, sizeof(msg)) == static_cast<ssize_t>(sizeof(msg)) && msg[1] < 12) {
  }
  const std::string restart = "PG_RESTART_PAUSE=1.5 " + script + " restart " + state + " > " + dir.file("restart.log") + " 2>&1";
  EXPECT_EQ(std::system(restart.c_str()), 0);
  ::close(started[0]);
  for (pid_t p : kids) EXPECT_EQ(test::wait_child(p), 0);

  {
    StudyStorage st(url);
    const Study s = st.load_study("stress");
    // The server the workers finished on started after the study did: the restart happened.
    EXPECT_GT(std::stod(test::raw_query(url, "SELECT extract(epoch FROM pg_postmaster_start_time())")),
              s.created_at);
    const std::vector<TrialRecord> all = st.trial_records(s);
    ASSERT_EQ(all.size(), static_cast<size_t>(kTrials));
    for (size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].trial.number, static_cast<int>(i));
      EXPECT_EQ(all[i].trial.state, TrialState::Complete) << "trial " << i << ": " << all[i].trial.fail_reason;
      EXPECT_EQ(all[i].trial.intermediate.size(), 2u) << "trial " << i;
    }
    expect_proposals_saw_everything(logs, all.size());
  }
  std::system((script + " stop " + state + " > /dev/null 2>&1").c_str());
}

}  // namespace
}  // namespace gd::tune
