// ASHA through the study storage: the job order of a worker using next_job with the ASHA resumer,
// promotions resumed (not restarted), a promoted trial's retry after its worker died, and two
// processes claiming promotions at the same time never claiming the same trial.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "engine/tune/asha.h"
#include "engine/tune/study_storage.h"
#include "tests/support/fork_child.h"
#include "tests/support/test_support.h"

namespace gd::tune {
namespace {

using nlohmann::json;

AshaOptions opts(int min_r, int max_r, int eta) {
  AshaOptions o;
  o.min_resource = min_r;
  o.max_resource = max_r;
  o.reduction_factor = eta;
  return o;
}

void raw_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  const std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << msg;
}

// The worker loop gpu_tune runs, with a scripted curve per trial instead of training: the curve is
// looked up by the trial's "id" parameter, so resumptions and retries continue the same curve.
struct Worker {
  StudyStorage& st;
  const Study& study;
  const AshaPruner& asha;
  std::map<int, std::map<int, double>> curves;
  int proposed = 0;

  std::string job() {
    JobRequest req;
    req.propose = [&](const std::vector<Trial>&) { return json{{"id", proposed++}}; };
    req.resume = asha.resumer(study.direction);
    req.sampler = "scripted";
    req.device = "cpu";
    Job job = st.next_job(study, req);
    Trial& t = job.trial;
    const int id = t.params["id"].get<int>();
    std::string line = std::string(to_string(job.kind)) + " " + std::to_string(id);
    if (job.kind == JobKind::Resumed) line += " to " + std::to_string(asha.target_rung(t));
    const int start = t.intermediate.empty() ? 1 : t.intermediate.back().first + 1;
    for (int e = start; e <= asha.epoch_budget(t); ++e) {
      const auto it = curves.at(id).find(e);
      const double v = it == curves.at(id).end() ? 0.0 : it->second;
      st.report(t, e, v);
      if (asha.should_prune(t, e, st.trials(study), study.direction)) {
        const int rung = asha.target_rung(t);
        st.tell_pruned(t, e, v, AshaPruner::pause_attrs(rung, "runs/" + std::to_string(id) + "/checkpoint.ckpt"));
        return line + ", pause at " + std::to_string(rung);
      }
    }
    st.tell_complete(t, t.intermediate.back().second);
    return line + ", complete";
  }
};

// The eta = 2 script of asha_rungs_test, now through the storage: same order.
TEST(AshaClaims, StorageFlowFollowsTheScriptedOrder) {
  test::TempDir dir("asha_flow");
  StudyStorage st(dir.file("s.db"));
  const Study study = st.create_study("asha", Direction::Minimize, json::object(), json::object());
  const AshaPruner asha(opts(1, 4, 2));
  Worker w{st,
           study,
           asha,
           {{0, {{1, 0.90}}},
            {1, {{1, 0.70}, {2, 0.50}, {4, 0.40}}},
            {2, {{1, 0.80}}},
            {3, {{1, 0.60}, {2, 0.55}}},
            {4, {{1, 0.95}}},
            {5, {{1, 0.50}, {2, 0.45}, {4, 0.30}}}}};
  const std::vector<std::string> expected = {
      "new 0, pause at 0",
      "new 1, pause at 0",
      "resumed 1 to 1, pause at 1",
      "new 2, pause at 0",
      "new 3, pause at 0",
      "resumed 3 to 1, pause at 1",
      "resumed 1 to 2, complete",
      "new 4, pause at 0",
      "new 5, pause at 0",
      "resumed 5 to 1, pause at 1",
      "resumed 5 to 2, complete",
  };
  std::vector<std::string> got;
  for (size_t i = 0; i < expected.size(); ++i) got.push_back(w.job());
  EXPECT_EQ(got, expected);

  const std::vector<Trial> all = st.trials(study);
  ASSERT_EQ(all.size(), 6u);  // promotions resume the same trial: no new rows
  EXPECT_EQ(all[1].state, TrialState::Complete);
  EXPECT_EQ(all[1].intermediate, (std::vector<std::pair<int, double>>{{1, 0.70}, {2, 0.50}, {3, 0.0}, {4, 0.40}}));
  EXPECT_EQ(all[1].attrs,
            json({{"asha", {{"promoted_to", 2}, {"rung", 1}}}, {"checkpoint", "runs/1/checkpoint.ckpt"}}));
  EXPECT_EQ(all[3].state, TrialState::Pruned);
  EXPECT_EQ(all[3].attrs["asha"], json({{"rung", 1}}));
  EXPECT_EQ(asha.paused_rung(all[3]), 1);
  EXPECT_EQ(st.best_trial(study)->params["id"], 5);
}

// A promoted trial whose worker dies is retried with its promotion (attrs) and curve so far, and
// the failed original no longer counts in the rungs: the retry takes its place.
TEST(AshaClaims, PromotedTrialInterruptedIsRetriedAtItsRung) {
  test::TempDir dir("asha_retry");
  const std::string path = dir.file("s.db");
  StudyStorage st(path);
  const Study study = st.create_study("asha", Direction::Maximize, json::object(), json::object());
  const AshaPruner asha(opts(1, 9, 3));
  for (int i = 0; i < 3; ++i) {
    Trial t = st.ask(
        study,
        [&](const std::vector<Trial>&) {
          return json{{"id", i}};
        },
        "scripted", "cpu");
    st.report(t, 1, 0.1 * (i + 1));
    st.tell_pruned(t, 1, 0.1 * (i + 1), AshaPruner::pause_attrs(0, "ckpt" + std::to_string(i)));
  }
  const std::optional<Trial> promoted = st.resume(study, asha.resumer(study.direction), "cpu");
  ASSERT_TRUE(promoted.has_value());
  EXPECT_EQ(promoted->params["id"], 2);  // best of three at rung 0 (0.3)
  Trial p = *promoted;
  st.report(p, 2, 0.35);
  raw_sql(path,
          "UPDATE trials SET worker = 'elsewhere.invalid:7', heartbeat_at = 0 WHERE id = " + std::to_string(p.id));

  JobRequest req;
  req.propose = [](const std::vector<Trial>&) { return json{{"id", 99}}; };
  req.resume = asha.resumer(study.direction);
  req.device = "cpu";
  const Job job = st.next_job(study, req);
  ASSERT_EQ(job.kind, JobKind::Retry);
  EXPECT_EQ(job.trial.params["id"], 2);
  EXPECT_EQ(asha.target_rung(job.trial), 1);  // resumes toward rung 1, from checkpoint ckpt2
  EXPECT_EQ(asha.epoch_budget(job.trial), 3);
  EXPECT_EQ(job.trial.attrs["checkpoint"], "ckpt2");
  EXPECT_EQ(job.trial.intermediate, (std::vector<std::pair<int, double>>{{1, 0.1 * 3}, {2, 0.35}}));
  const std::vector<RungEntry> r0 = asha.rung_standings(0, st.trials(study), study.direction);
  ASSERT_EQ(r0.size(), 3u);  // the failed original is not counted twice
  EXPECT_EQ(r0[0].trial_id, job.trial.id);
}

// Twelve trials paused at rung 0 (eta = 3: the top four are promotable). Two processes claim
// promotions at the same time until none is left: together they claim exactly the top four, and
// no trial is claimed by both.
TEST(AshaClaims, TwoProcessesNeverClaimTheSamePromotion) {
  test::TempDir dir("asha_claims");
  const std::string path = dir.file("s.db");
  const AshaPruner asha(opts(1, 9, 3));
  // Rung-0 values in a scrambled order; the best four (maximising) are ids 3, 7, 10, 0.
  const std::vector<double> values = {0.80, 0.20, 0.50, 0.95, 0.30, 0.10, 0.60, 0.90, 0.40, 0.15, 0.85, 0.55};
  std::set<int64_t> top4;
  {
    StudyStorage st(path);
    const Study study = st.create_study("asha", Direction::Maximize, json::object(), json::object());
    for (size_t i = 0; i < values.size(); ++i) {
      Trial t = st.ask(
          study,
          [&](const std::vector<Trial>&) {
            return json{{"id", i}};
          },
          "scripted", "cpu");
      st.tell_pruned(t, 1, values[i], AshaPruner::pause_attrs(0, ""));
      if (i == 3 || i == 7 || i == 10 || i == 0) top4.insert(t.id);
    }
  }
  // Both children stay alive until both are done: a worker that exits while holding Running
  // trials is a dead worker, and the other one would rightly recover its trials.
  test::StartGate gate, exit_gate;
  int done[2];
  ASSERT_EQ(::pipe(done), 0);
  std::vector<pid_t> kids;
  for (int w = 0; w < 2; ++w) {
    kids.push_back(test::fork_child([&, w] {
      ::close(done[0]);
      gate.wait();
      StudyStorage st(path);
      const Study study = st.load_study("asha");
      std::ofstream out(dir.file("claims" + std::to_string(w)));
      while (std::optional<Trial> t = st.resume(study, asha.resumer(study.direction), "cpu")) {
        out << t->id << " " << asha.target_rung(*t) << "\n";
        out.flush();
      }
      const char c = 'd';
      if (::write(done[1], &c, 1) != 1) return 3;
      ::close(done[1]);  // so the parent sees EOF, not a hang, if the other child dies first
      exit_gate.wait();
      return 0;
    }));
  }
  ::close(done[1]);
  gate.open();
  char buf[2];
  size_t got = 0;
  while (got < 2) {
    const ssize_t n = ::read(done[0], buf + got, 2 - got);
    if (n <= 0) break;  // a child died before signalling: its exit status below says why
    got += static_cast<size_t>(n);
  }
  ::close(done[0]);
  exit_gate.open();
  std::vector<pid_t> pids = kids;
  for (pid_t p : kids) ASSERT_EQ(test::wait_child(p), 0);

  std::multiset<int64_t> claimed;
  std::map<int64_t, int> claimer;
  for (int w = 0; w < 2; ++w) {
    std::ifstream in(dir.file("claims" + std::to_string(w)));
    int64_t id = -1;
    int rung = -1;
    while (in >> id >> rung) {
      EXPECT_EQ(rung, 1);
      claimed.insert(id);
      claimer[id] = w;
    }
  }
  EXPECT_EQ(claimed.size(), 4u);  // a double claim would show up twice here
  EXPECT_EQ(std::set<int64_t>(claimed.begin(), claimed.end()), top4);

  StudyStorage st(path);
  for (const TrialRecord& r : st.trial_records(st.load_study("asha"))) {
    if (top4.count(r.trial.id)) {
      EXPECT_EQ(r.trial.state, TrialState::Running);
      EXPECT_EQ(r.trial.attrs["asha"]["promoted_to"], 1);
      EXPECT_EQ(r.worker, st.worker().host + ":" + std::to_string(pids[static_cast<size_t>(claimer[r.trial.id])]));
    } else {
      EXPECT_EQ(r.trial.state, TrialState::Pruned);
    }
  }
}

}  // namespace
}  // namespace gd::tune
