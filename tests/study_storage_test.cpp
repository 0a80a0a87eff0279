// StudyStorage: studies, the trial life cycle, persistence across re-opening, divergence, recovery
// of lost workers' trials, and several worker processes sharing one study. Every test runs twice,
// on a SQLite file and on a PostgreSQL database of its own (tests/support/study_locations.h).
#include "engine/tune/study_storage.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <fstream>
#include <limits>
#include <set>
#include <thread>

#include "engine/core/error.h"
#include "tests/support/expect_error.h"
#include "tests/support/fork_child.h"
#include "tests/support/study_locations.h"
#include "tests/support/test_support.h"

namespace gd::tune {
namespace {

using nlohmann::json;

const json kSpace = {{"lr", {{"type", "float"}, {"low", 1e-4}, {"high", 1.0}, {"log", true}}}};
const json kConfig = {{"arch", "mlp"}, {"dataset", "mnist-10k"}, {"max_epochs", 9}};

double unix_now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

ProposeFn fixed(json params) {
  return [params](const std::vector<Trial>&) { return params; };
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class StudyStorageTest : public test::StudyLocationTest {};
class StudyStorageRecoveryTest : public test::StudyLocationTest {};
class StudyStorageProcessesTest : public test::StudyLocationTest {};
INSTANTIATE_STUDY_BACKENDS(StudyStorageTest);
INSTANTIATE_STUDY_BACKENDS(StudyStorageRecoveryTest);
INSTANTIATE_STUDY_BACKENDS(StudyStorageProcessesTest);

// ---- studies --------------------------------------------------------------------------------------

TEST_P(StudyStorageTest, CreateLoadAndReopenChecks) {
  StudyStorage st(location());
  const Study a = st.create_study("a", Direction::Maximize, kSpace, kConfig);
  EXPECT_GE(a.id, 0);
  // Creating it again with the same direction, space and config returns it (workers started
  // together may all create the study); anything different is an error naming the difference.
  EXPECT_EQ(st.create_study("a", Direction::Maximize, kSpace, kConfig).id, a.id);
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { st.create_study("a", Direction::Minimize, kSpace, kConfig); },
                                             {"'a'", "maximize", "minimize"}));
  const Study again = st.open_study("a", Direction::Maximize, kSpace, kConfig);
  EXPECT_EQ(again.id, a.id);
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { st.open_study("a", Direction::Minimize, kSpace, kConfig); },
                                             {"'a'", "maximize", "minimize"}));
  json other_space = kSpace;
  other_space["momentum"] = {{"type", "float"}, {"low", 0.0}, {"high", 0.99}};
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { st.open_study("a", Direction::Maximize, other_space, kConfig); },
                                             {"search space", "'momentum' is new"}));
  json other_config = kConfig;
  other_config["dataset"] = "usps";
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { st.open_study("a", Direction::Maximize, kSpace, other_config); },
                                             {"objective config", "'dataset'", "usps"}));
  const Study b = st.open_study("b", Direction::Minimize, kSpace, kConfig);  // created on first open
  EXPECT_NE(b.id, a.id);
  EXPECT_EQ(st.load_study("b").direction, Direction::Minimize);
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { st.load_study("zzz"); }, {"'zzz'", "a, b"}));
  EXPECT_FALSE(st.find_study("zzz").has_value());
  ASSERT_EQ(st.studies().size(), 2u);
  EXPECT_TRUE(
      test::throws_with<ConfigError>([&] { st.create_study("", Direction::Maximize, kSpace, kConfig); }, {"empty"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { st.create_study("c", Direction::Maximize, json::array(), kConfig); },
                                             {"search space", "object"}));

  st.ask(b, fixed({{"lr", 0.1}}), "random", "cpu");
  st.delete_study("b");
  EXPECT_FALSE(st.find_study("b").has_value());
  EXPECT_EQ(st.studies().size(), 1u);
}

TEST_P(StudyStorageTest, StudyAttributes) {
  StudyStorage st(location());
  const Study s = st.create_study("s", Direction::Maximize, kSpace, kConfig);
  EXPECT_FALSE(st.study_attr(s, "sampler.state").has_value());
  st.set_study_attr(s, "sampler.state", {{"sobol_skip", 16}});
  st.set_study_attr(s, "note", "first run");
  st.set_study_attr(s, "sampler.state", {{"sobol_skip", 32}});  // replaces
  EXPECT_EQ(*st.study_attr(s, "sampler.state"), json({{"sobol_skip", 32}}));
  EXPECT_EQ(st.study_attrs(s), json({{"note", "first run"}, {"sampler.state", {{"sobol_skip", 32}}}}));
  st.set_study_attr(s, "note", nullptr);  // null deletes
  EXPECT_FALSE(st.study_attr(s, "note").has_value());
}

// ---- trial life cycle -----------------------------------------------------------------------------

TEST_P(StudyStorageTest, TrialLifeCycleAndBestTrial) {
  StudyStorage st(location());
  const Study s = st.create_study("s", Direction::Minimize, kSpace, kConfig);

  size_t seen_by_second = 99;
  Trial t0 = st.ask(s, fixed({{"lr", 0.1}}), "random", "cpu");
  Trial t1 = st.ask(
      s,
      [&](const std::vector<Trial>& all) {
        seen_by_second = all.size();
        return json{{"lr", 0.2}};
      },
      "tpe", "cuda:0");
  EXPECT_EQ(seen_by_second, 1u);  // the running trial 0 is visible to the next proposal
  EXPECT_EQ(t0.number, 0);
  EXPECT_EQ(t1.number, 1);
  EXPECT_EQ(t1.state, TrialState::Running);

  st.report(t0, 1, 0.9);
  st.report(t0, 2, 0.7);
  st.report(t0, 2, 0.6);  // a resumed trial may report a step again: the value is replaced
  ASSERT_EQ(t0.intermediate.size(), 2u);
  EXPECT_EQ(t0.intermediate[1], std::make_pair(2, 0.6));
  EXPECT_TRUE(st.heartbeat(t0));
  EXPECT_EQ(st.tell_complete(t0, 0.55, {{"val_accuracy", 0.97}}), TrialState::Complete);
  EXPECT_EQ(st.tell_pruned(t1, 1, 1.5, {{"reason", "median"}}), TrialState::Pruned);
  Trial t2 = st.ask(s, fixed({{"lr", 0.3}}), "random", "cpu");
  st.tell_failed(t2, "out of memory");
  Trial t3 = st.ask(s, fixed({{"lr", 0.4}}), "random", "cpu");
  st.tell_complete(t3, 0.25);

  const std::vector<Trial> all = st.trials(s);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].state, TrialState::Complete);
  EXPECT_EQ(all[0].value, 0.55);
  EXPECT_EQ(all[0].intermediate, (std::vector<std::pair<int, double>>{{1, 0.9}, {2, 0.6}}));
  EXPECT_EQ(all[0].attrs, json({{"val_accuracy", 0.97}}));
  EXPECT_EQ(all[1].state, TrialState::Pruned);
  EXPECT_EQ(all[1].value, 1.5);
  EXPECT_EQ(all[1].intermediate, (std::vector<std::pair<int, double>>{{1, 1.5}}));  // the pruned step is recorded
  EXPECT_EQ(all[1].sampler, "tpe");
  EXPECT_EQ(all[1].device, "cuda:0");
  EXPECT_EQ(all[2].state, TrialState::Failed);
  EXPECT_EQ(all[2].fail_reason, "out of memory");
  EXPECT_FALSE(all[2].value.has_value());
  for (const Trial& t : all) EXPECT_GE(t.duration_s, 0.0);

  const std::optional<Trial> best = st.best_trial(s);
  ASSERT_TRUE(best.has_value());
  EXPECT_EQ(best->number, 3);  // minimize: 0.25 < 0.55

  // A finished trial can no longer be reported on or told.
  EXPECT_TRUE(test::throws_with<TrialLostError>([&] { st.report(t0, 3, 0.5); }, {"trial 0", "complete"}));
  EXPECT_TRUE(test::throws_with<TrialLostError>([&] { st.tell_complete(t2, 0.1); }, {"failed", "out of memory"}));
  EXPECT_FALSE(st.heartbeat(t0));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { st.tell_failed(t3, ""); }, {"reason is empty"}));
  EXPECT_TRUE(test::throws_with<ConfigError>(
      [&] {
        st.ask(s, fixed(json::array({1, 2})), "random", "cpu");
      },
      {"JSON object"}));
}

TEST_P(StudyStorageTest, AttrsUpdatesAreMergePatches) {
  StudyStorage st(location());
  const Study s = st.create_study("s", Direction::Maximize, kSpace, kConfig);
  Trial t = st.ask(s, fixed({{"lr", 0.1}}), "random", "cpu");
  st.tell_pruned(t, 1, 0.5, {{"asha", {{"rung", 0}}}, {"checkpoint", "runs/t0/checkpoint.ckpt"}});
  // Resume it (as a promotion would), then pause it again: "promoted_to" is deleted by null.
  std::optional<Trial> r = st.resume(
      s,
      [&](const std::vector<Trial>&) {
        return Resumption{t.id, {{"asha", {{"promoted_to", 1}}}}};
      },
      "cpu");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->attrs, json({{"asha", {{"rung", 0}, {"promoted_to", 1}}}, {"checkpoint", "runs/t0/checkpoint.ckpt"}}));
  st.tell_pruned(*r, 3, 0.7, {{"asha", {{"rung", 1}, {"promoted_to", nullptr}}}});
  EXPECT_EQ(st.trials(s)[0].attrs, json({{"asha", {{"rung", 1}}}, {"checkpoint", "runs/t0/checkpoint.ckpt"}}));
  EXPECT_TRUE(test::throws_with<ConfigError>(
      [&] {
        Trial u = st.ask(s, fixed({{"lr", 0.2}}), "random", "cpu");
        st.tell_complete(u, 0.5, json::array({1}));
      },
      {"merge patch"}));
}

TEST_P(StudyStorageTest, ResumeChecksTheChosenTrial) {
  StudyStorage st(location());
  const Study s = st.create_study("s", Direction::Maximize, kSpace, kConfig);
  Trial done = st.ask(s, fixed({{"lr", 0.1}}), "random", "cpu");
  st.tell_complete(done, 0.9);
  EXPECT_TRUE(test::throws_with<Error>(
      [&] {
        st.resume(
            s,
            [&](const std::vector<Trial>&) {
              return Resumption{done.id, json::object()};
            },
            "cpu");
      },
      {"trial 0", "complete", "only paused trials"}));
  EXPECT_FALSE(st.resume(
                     s, [](const std::vector<Trial>&) { return std::nullopt; }, "cpu")
                   .has_value());
}

TEST_P(StudyStorageTest, EnqueuedTrialsComeBeforeProposals) {
  StudyStorage st(location());
  const Study s = st.create_study("s", Direction::Maximize, kSpace, kConfig);
  st.enqueue_trial(s, {{"lr", 0.01}}, {{"why", "baseline"}});
  st.enqueue_trial(s, {{"lr", 0.02}});
  EXPECT_EQ(st.queued_trials(s), 2);
  int proposals = 0;
  const ProposeFn propose = [&](const std::vector<Trial>&) {
    ++proposals;
    return json{{"lr", 0.5}};
  };
  const Trial a = st.ask(s, propose, "tpe", "cpu");
  const Trial b = st.ask(s, propose, "tpe", "cpu");
  const Trial c = st.ask(s, propose, "tpe", "cpu");
  EXPECT_EQ(a.params, json({{"lr", 0.01}}));
  EXPECT_EQ(a.attrs, json({{"why", "baseline"}}));
  EXPECT_EQ(a.sampler, "enqueued");
  EXPECT_EQ(b.params, json({{"lr", 0.02}}));
  EXPECT_EQ(c.params, json({{"lr", 0.5}}));
  EXPECT_EQ(proposals, 1);
  EXPECT_EQ(st.queued_trials(s), 0);
}

TEST_P(StudyStorageTest, UnstorableParamsAreAConfigErrorAndNothingIsWritten) {
  StudyStorage st(location());
  const Study s = st.create_study("s", Direction::Maximize, kSpace, kConfig);
  EXPECT_TRUE(test::throws_with<ConfigError>(
      [&] {
        st.ask(s, fixed({{"choice", std::string("\xff\xfe")}}), "random", "cpu");
      },
      {"params of a new trial"}));
  const Trial t = st.ask(s, fixed({{"choice", "ok"}}), "random", "cpu");
  EXPECT_EQ(t.number, 0);  // the failed ask rolled back: its number is free again
  EXPECT_EQ(st.trials(s).size(), 1u);
}

// ---- divergence -----------------------------------------------------------------------------------

TEST_P(StudyStorageTest, DivergingTrialFailsWithReasonAndStudyGoesOn) {
  StudyStorage st(location());
  const Study s = st.create_study("s", Direction::Minimize, kSpace, kConfig);
  Trial t = st.ask(s, fixed({{"lr", 10.0}}), "random", "cpu");
  st.report(t, 1, 2.3);
  EXPECT_TRUE(test::throws_with<NumericError>([&] { st.report(t, 2, std::numeric_limits<double>::quiet_NaN()); },
                                              {"trial 0", "nan", "step 2", "failed"}));
  EXPECT_EQ(t.state, TrialState::Failed);
  Trial u = st.ask(s, fixed({{"lr", 5.0}}), "random", "cpu");
  EXPECT_EQ(st.tell_complete(u, std::numeric_limits<double>::infinity()), TrialState::Failed);
  Trial v = st.ask(s, fixed({{"lr", 4.0}}), "random", "cpu");
  EXPECT_EQ(st.tell_pruned(v, 3, -std::numeric_limits<double>::infinity()), TrialState::Failed);
  Trial w = st.ask(s, fixed({{"lr", 0.1}}), "random", "cpu");
  st.tell_complete(w, 0.3);

  const std::vector<Trial> all = st.trials(s);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].state, TrialState::Failed);
  EXPECT_EQ(all[0].fail_reason, "diverged: objective value nan reported at step 2");
  EXPECT_EQ(all[0].intermediate, (std::vector<std::pair<int, double>>{{1, 2.3}}));
  EXPECT_EQ(all[1].fail_reason, "objective value is inf");
  EXPECT_EQ(all[2].fail_reason, "diverged: objective value -inf reported at step 3");
  EXPECT_EQ(st.best_trial(s)->number, 3);
}

// ---- persistence ----------------------------------------------------------------------------------

TEST_P(StudyStorageTest, ReopeningRestoresEverything) {
  const std::string path = location();
  const double tricky = 0.1 + 0.2;  // not representable in 15 digits: must survive bit for bit
  const json params = {{"lr", 3.0e-4}, {"optimizer", "adamw"}, {"layers", 3}, {"name", "ünïcode \"quoted\""}};
  std::vector<Trial> before;
  json attrs_before;
  {
    StudyStorage st(path);
    const Study s = st.create_study("persist", Direction::Maximize, kSpace, kConfig);
    st.set_study_attr(s, "sampler", {{"name", "tpe"}, {"seed", 7}});
    Trial a = st.ask(s, fixed(params), "tpe", "cuda:0");
    st.report(a, 1, 0.5);
    st.report(a, 2, tricky);
    st.tell_complete(a, tricky, {{"checkpoint", "runs/a/checkpoint.ckpt"}, {"epochs", 2}});
    Trial b = st.ask(s, fixed({{"lr", 1.0}}), "random", "cpu");
    st.tell_pruned(b, 1, 0.1);
    Trial c = st.ask(s, fixed({{"lr", 2.0}}), "random", "cpu");
    st.tell_failed(c, "diverged: loss became nan at epoch 1");
    st.enqueue_trial(s, {{"lr", 0.05}});
    before = st.trials(s);
    attrs_before = st.study_attrs(s);
  }
  StudyStorage st(path);
  const Study s = st.load_study("persist");
  EXPECT_EQ(s.direction, Direction::Maximize);
  EXPECT_EQ(s.space, kSpace);
  EXPECT_EQ(s.config, kConfig);
  EXPECT_GT(s.created_at, 1.6e9);  // a unix time, not zero
  EXPECT_EQ(st.study_attrs(s), attrs_before);
  EXPECT_EQ(st.queued_trials(s), 1);
  const std::vector<Trial> after = st.trials(s);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    SCOPED_TRACE("trial " + std::to_string(i));
    EXPECT_EQ(after[i].id, before[i].id);
    EXPECT_EQ(after[i].number, before[i].number);
    EXPECT_EQ(after[i].state, before[i].state);
    EXPECT_EQ(after[i].params, before[i].params);
    EXPECT_EQ(after[i].intermediate, before[i].intermediate);
    EXPECT_EQ(after[i].value, before[i].value);
    EXPECT_EQ(after[i].fail_reason, before[i].fail_reason);
    EXPECT_EQ(after[i].sampler, before[i].sampler);
    EXPECT_EQ(after[i].device, before[i].device);
    EXPECT_EQ(after[i].duration_s, before[i].duration_s);
    EXPECT_EQ(after[i].attrs, before[i].attrs);
  }
  EXPECT_EQ(after[0].params, params);
  ASSERT_TRUE(after[0].value.has_value());
  EXPECT_EQ(*after[0].value, tricky);
  EXPECT_EQ(after[0].intermediate[1].second, tricky);
  const TrialRecord rec = st.trial_record(after[0].id);
  EXPECT_EQ(rec.worker, st.worker().id());
  ASSERT_TRUE(rec.finished_at.has_value());
  EXPECT_GE(*rec.finished_at, rec.started_at);
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { st.trial_record(123456); }, {"123456"}));
}

// ---- recovery -------------------------------------------------------------------------------------

TEST_P(StudyStorageRecoveryTest, StaleHeartbeatOfAnotherHostIsInterrupted) {
  const std::string path = location();
  StorageOptions opt;
  opt.heartbeat_grace_s = 60;
  StudyStorage st(path, opt);
  const Study s = st.create_study("s", Direction::Maximize, kSpace, kConfig);
  Trial quiet = st.ask(s, fixed({{"lr", 0.1}}), "random", "cpu");
  Trial recent = st.ask(s, fixed({{"lr", 0.2}}), "random", "cpu");
  st.report(quiet, 1, 0.4);
  // Hand both to a worker on another machine: one silent for 1000 s, one 10 s ago.
  raw_sql("UPDATE trials SET worker = 'elsewhere.invalid:4242', worker_start = NULL, heartbeat_at = " +
                    std::to_string(unix_now() - 1000) + " WHERE id = " + std::to_string(quiet.id));
  raw_sql("UPDATE trials SET worker = 'elsewhere.invalid:4243', worker_start = NULL, heartbeat_at = " +
                    std::to_string(unix_now() - 10) + " WHERE id = " + std::to_string(recent.id));
  const std::vector<Trial> marked = st.recover_interrupted(s);
  ASSERT_EQ(marked.size(), 1u);
  EXPECT_EQ(marked[0].id, quiet.id);
  EXPECT_EQ(marked[0].state, TrialState::Failed);
  EXPECT_NE(marked[0].fail_reason.find("worker lost: worker elsewhere.invalid:4242 stopped without finishing"),
            std::string::npos)
      << marked[0].fail_reason;
  EXPECT_NE(marked[0].fail_reason.find("no heartbeat"), std::string::npos) << marked[0].fail_reason;
  EXPECT_EQ(st.queued_trials(s), 1);
  EXPECT_TRUE(st.recover_interrupted(s).empty());  // nothing is recovered twice

  const Job job = st.next_job(s, {fixed({{"lr", 0.9}}), nullptr, "random", "cpu"});
  EXPECT_EQ(job.kind, JobKind::Retry);
  EXPECT_EQ(job.retry_of, quiet.id);
  EXPECT_EQ(job.trial.params, quiet.params);
  EXPECT_EQ(job.trial.intermediate, (std::vector<std::pair<int, double>>{{1, 0.4}}));  // carried over
  EXPECT_EQ(st.trial_record(job.trial.id).retry_of, quiet.id);
  EXPECT_EQ(st.trials(s)[1].state, TrialState::Running);  // the recent one is left alone
}

TEST_P(StudyStorageRecoveryTest, LiveLocalWorkerIsLeftAloneUntilItDies) {
  const std::string path = location();
  StudyStorage st(path);
  const Study s = st.create_study("s", Direction::Maximize, kSpace, kConfig);
  Trial t = st.ask(s, fixed({{"lr", 0.1}}), "random", "cpu");
  const pid_t sleeper = test::fork_child([] {
    ::pause();
    return 0;
  });
  const std::string worker = st.worker().host + ":" + std::to_string(sleeper);
  raw_sql("UPDATE trials SET worker = '" + worker + "', worker_start = NULL WHERE id = " + std::to_string(t.id));
  EXPECT_TRUE(st.recover_interrupted(s).empty());  // alive and beating: left alone...
  const std::optional<int64_t> ticks = process_start_ticks(sleeper);
  if (ticks) {
    // ...unless the pid now belongs to a process started at another time (pid reuse).
    raw_sql("UPDATE trials SET worker_start = " + std::to_string(*ticks + 1) + " WHERE id = " + std::to_string(t.id));
    EXPECT_EQ(worker_liveness(worker, *ticks + 1), WorkerLiveness::Dead);
    raw_sql("UPDATE trials SET worker_start = " + std::to_string(*ticks) + " WHERE id = " + std::to_string(t.id));
    EXPECT_EQ(worker_liveness(worker, *ticks), WorkerLiveness::Alive);
  }
  EXPECT_TRUE(st.recover_interrupted(s).empty());
  ::kill(sleeper, SIGKILL);
  EXPECT_EQ(test::wait_child(sleeper), 128 + SIGKILL);
  const std::vector<Trial> marked = st.recover_interrupted(s);
  ASSERT_EQ(marked.size(), 1u);
  EXPECT_NE(marked[0].fail_reason.find("worker lost: worker " + worker + " stopped without finishing (process gone)"),
            std::string::npos)
      << marked[0].fail_reason;
}

TEST_P(StudyStorageRecoveryTest, RetriesStopAfterMaxRetries) {
  const std::string path = location();
  StorageOptions opt;
  opt.max_retries = 1;
  StudyStorage st(path, opt);
  const Study s = st.create_study("s", Direction::Maximize, kSpace, kConfig);
  auto orphan = [&](const Trial& t) {
    raw_sql("UPDATE trials SET worker = 'elsewhere.invalid:1', heartbeat_at = 0 WHERE id = " + std::to_string(t.id));
  };
  const ProposeFn fresh = fixed({{"lr", 0.5}});
  const Trial first = st.ask(s, fixed({{"lr", 0.1}}), "random", "cpu");
  orphan(first);
  const Job retry = st.next_job(s, {fresh, nullptr, "random", "cpu"});
  ASSERT_EQ(retry.kind, JobKind::Retry);
  EXPECT_EQ(retry.trial.params, json({{"lr", 0.1}}));
  orphan(retry.trial);
  const Job next = st.next_job(s, {fresh, nullptr, "random", "cpu"});
  EXPECT_EQ(next.kind, JobKind::New);
  EXPECT_EQ(next.trial.params, json({{"lr", 0.5}}));
  const std::vector<Trial> all = st.trials(s);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].state, TrialState::Failed);
  EXPECT_NE(all[1].fail_reason.find("not retried: lost 2 times in a row"), std::string::npos) << all[1].fail_reason;
}

TEST_P(StudyStorageRecoveryTest, TrialTakenOverIsLostForItsOldWorker) {
  const std::string path = location();
  StudyStorage st(path);
  const Study s = st.create_study("s", Direction::Maximize, kSpace, kConfig);
  Trial t = st.ask(s, fixed({{"lr", 0.1}}), "random", "cpu");
  raw_sql("UPDATE trials SET worker = 'elsewhere.invalid:9' WHERE id = " + std::to_string(t.id));
  EXPECT_FALSE(st.heartbeat(t));
  EXPECT_TRUE(test::throws_with<TrialLostError>([&] { st.report(t, 1, 0.5); },
                                                {"trial 0", "worker elsewhere.invalid:9 runs it now"}));
  EXPECT_TRUE(st.trials(s)[0].intermediate.empty());  // nothing was written
}

// A worker SIGKILLed while its trial is Running: after recovery the trial is Failed with the
// "worker lost" reason and exactly one of two racing workers gets its retry, with the same params.
TEST_P(StudyStorageProcessesTest, KilledWorkersTrialIsRetriedByExactlyOneWorker) {
  const std::string path = location();
  { StudyStorage(path).create_study("s", Direction::Maximize, kSpace, kConfig); }

  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t victim = test::fork_child([&] {
    ::close(ready[0]);
    StudyStorage st(path);
    const Study s = st.load_study("s");
    Trial t = st.ask(s, fixed({{"lr", 0.125}, {"width", 64}}), "tpe", "cpu");
    st.report(t, 1, 0.75);
    const int64_t id = t.id;
    if (::write(ready[1], &id, sizeof(id)) != sizeof(id)) return 2;
    ::pause();  // killed here, mid-trial
    return 0;
  });
  ::close(ready[1]);
  int64_t victim_trial = -1;
  ASSERT_EQ(::read(ready[0], &victim_trial, sizeof(victim_trial)), static_cast<ssize_t>(sizeof(victim_trial)));
  ::close(ready[0]);
  ::kill(victim, SIGKILL);
  ASSERT_EQ(test::wait_child(victim), 128 + SIGKILL);

  // Two workers start at once; each writes what it was handed to its own file.
  test::StartGate gate;
  std::vector<pid_t> workers;
  for (int w = 0; w < 2; ++w) {
    workers.push_back(test::fork_child([&, w] {
      gate.wait();
      StudyStorage st(path);
      const Study s = st.load_study("s");
      Job job = st.next_job(s, {fixed({{"lr", 0.5}, {"width", 8}}), nullptr, "random", "cpu"});
      // Finish before exiting: a worker that exits with its trial Running is itself lost.
      st.tell_complete(job.trial, 0.5);
      std::ofstream(dir().file("job" + std::to_string(w)))
          << to_string(job.kind) << " " << job.trial.id << " " << job.retry_of.value_or(-1);
      return 0;
    }));
  }
  gate.open();
  for (pid_t p : workers) ASSERT_EQ(test::wait_child(p), 0);

  std::set<std::string> kinds;
  int64_t retry_id = -1;
  for (int w = 0; w < 2; ++w) {
    std::istringstream in(read_text(dir().file("job" + std::to_string(w))));
    std::string kind;
    int64_t id = -1, retry_of = -1;
    in >> kind >> id >> retry_of;
    kinds.insert(kind);
    if (kind == "retry") {
      EXPECT_EQ(retry_of, victim_trial);
      retry_id = id;
    }
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"new", "retry"}));  // one retry, never two

  StudyStorage st(path);
  const Study s = st.load_study("s");
  const std::vector<Trial> all = st.trials(s);
  ASSERT_EQ(all.size(), 3u);
  const Trial& dead = all[0];
  EXPECT_EQ(dead.id, victim_trial);
  EXPECT_EQ(dead.state, TrialState::Failed);
  const std::string victim_worker = st.worker().host + ":" + std::to_string(victim);
  EXPECT_NE(dead.fail_reason.find("worker lost: worker " + victim_worker + " stopped without finishing"),
            std::string::npos)
      << dead.fail_reason;
  const TrialRecord retry = st.trial_record(retry_id);
  EXPECT_EQ(retry.retry_of, victim_trial);
  EXPECT_EQ(retry.trial.params, json({{"lr", 0.125}, {"width", 64}}));
  EXPECT_EQ(retry.trial.sampler, "tpe");
  EXPECT_EQ(retry.trial.intermediate, (std::vector<std::pair<int, double>>{{1, 0.75}}));
  EXPECT_EQ(st.queued_trials(s), 0);
}

// Four processes each ask/tell 25 trials on one file at the same time: exactly 100 trials, numbers
// 0..99, and every proposal saw exactly the trials created before it (so no two workers were ever
// handed proposals made without seeing each other's).
TEST_P(StudyStorageProcessesTest, FourWorkersLoseNothingAndDuplicateNothing) {
  const std::string path = location();
  { StudyStorage(path).create_study("mp", Direction::Maximize, kSpace, kConfig); }
  constexpr int kWorkers = 4, kEach = 25;
  test::StartGate gate;
  std::vector<pid_t> kids;
  for (int w = 0; w < kWorkers; ++w) {
    kids.push_back(test::fork_child([&, w] {
      gate.wait();
      StudyStorage st(path);
      const Study s = st.load_study("mp");
      for (int i = 0; i < kEach; ++i) {
        Trial t = st.ask(
            s,
            [&](const std::vector<Trial>& all) {
              return json{{"seen", all.size()}, {"worker", w}, {"i", i}};
            },
            "random", "cpu");
        st.report(t, 1, 0.001 * t.number);
        st.tell_complete(t, 0.002 * t.number);
      }
      return 0;
    }));
  }
  gate.open();
  for (pid_t p : kids) ASSERT_EQ(test::wait_child(p), 0);

  StudyStorage st(path);
  const std::vector<Trial> all = st.trials(st.load_study("mp"));
  ASSERT_EQ(all.size(), static_cast<size_t>(kWorkers * kEach));
  std::set<std::pair<int, int>> origins;
  std::vector<int> per_worker(kWorkers, 0);
  for (size_t n = 0; n < all.size(); ++n) {
    const Trial& t = all[n];
    EXPECT_EQ(t.number, static_cast<int>(n));
    EXPECT_EQ(t.state, TrialState::Complete);
    EXPECT_EQ(t.params["seen"].get<size_t>(), n) << "trial " << n << " was proposed without seeing all before it";
    EXPECT_EQ(t.value, 0.002 * t.number);  // told by the worker that asked for it
    origins.insert({t.params["worker"].get<int>(), t.params["i"].get<int>()});
    ++per_worker[static_cast<size_t>(t.params["worker"].get<int>())];
  }
  EXPECT_EQ(origins.size(), all.size());  // no (worker, i) twice: nothing duplicated
  for (int w = 0; w < kWorkers; ++w) EXPECT_EQ(per_worker[static_cast<size_t>(w)], kEach);
}

}  // namespace
}  // namespace gd::tune
