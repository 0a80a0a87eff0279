// The study storage on PostgreSQL only: one clear error (naming the URL, never the password) for a
// wrong password, an unreachable server, a newer schema, a database of something else; the schema
// upgrade from version 1; several workers creating the schema at once; no connection used across
// fork(). Skips, naming the reason, where no test server could be started.
#include <gtest/gtest.h>

#include <string>

#include "engine/core/error.h"
#include "engine/tune/pg_conn.h"
#include "engine/tune/study_storage.h"
#include "engine/tune/study_storage_rows.h"
#include "engine/tune/study_storage_schema.h"
#include "tests/support/expect_error.h"
#include "tests/support/fork_child.h"
#include "tests/support/study_locations.h"

namespace gd::tune {
namespace {

using nlohmann::json;

const json kSpace = {{"lr", {{"type", "float"}, {"low", 1e-4}, {"high", 1.0}, {"log", true}}}};
const json kConfig = {{"arch", "mlp"}};

// The password between "://user:" and "@" of a URL ("" when none).
std::string password_of(const std::string& url) {
  const size_t at = url.find('@'), scheme = url.find("://");
  const size_t colon = url.find(':', scheme + 3);
  return colon < at ? url.substr(colon + 1, at - colon - 1) : "";
}

std::string with_password(const std::string& url, const std::string& password) {
  const size_t at = url.find('@'), scheme = url.find("://");
  const size_t colon = url.find(':', scheme + 3);
  return url.substr(0, colon + 1) + password + url.substr(at);
}

class PgStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    const auto url = test::pg_admin_url(&why);
    if (!url) GTEST_SKIP() << why;
    admin_ = *url;
    db_ = std::make_unique<test::PgDatabase>(admin_, ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  // What opening `url` throws (DataError), checked to name the display URL and hide `password`.
  std::string open_error(const std::string& url, const std::string& password) {
    try {
      StudyStorage st(url);
    } catch (const DataError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(sql::pg_display_url(url)), std::string::npos) << what;
      EXPECT_EQ(what.find(password), std::string::npos) << "the password leaked: " << what;
      return what;
    }
    ADD_FAILURE() << "opening " << sql::pg_display_url(url) << " did not fail";
    return "";
  }
  std::string admin_;
  std::unique_ptr<test::PgDatabase> db_;
};

TEST(PgUrl, DisplayUrlNeverHoldsThePassword) {
  EXPECT_EQ(sql::pg_display_url("postgresql://alice:s3cret@db.example:6543/studies?sslmode=require"),
            "postgresql://alice@db.example:6543/studies?sslmode=require");
  EXPECT_EQ(sql::pg_display_url("postgres://alice:s3cret@db.example/studies?password=other"),
            "postgresql://alice@db.example/studies");
  EXPECT_EQ(sql::pg_display_url("postgresql://bob@%2Fvar%2Frun%2Fpg:5432/x"), "postgresql://bob@:5432/x?host=/var/run/pg");
  EXPECT_TRUE(sql::is_postgres_url("postgres://h/db"));
  EXPECT_FALSE(sql::is_postgres_url("runs/studies.db"));
  EXPECT_TRUE(test::throws_with<ConfigError>([] { sql::pg_display_url("postgresql://h/db?no_such_option=1"); },
                                             {"cannot parse the PostgreSQL URL"}));
  EXPECT_EQ(sql::postgres_placeholders("SELECT ?1, '?2', \"?3\" WHERE x = ?12"), "SELECT $1, '?2', \"?3\" WHERE x = $12");
}

TEST_F(PgStorageTest, WrongPasswordIsOneClearError) {
  const std::string real = password_of(db_->url());
  ASSERT_FALSE(real.empty());
  const std::string what = open_error(with_password(db_->url(), "not-the-password-42"), "not-the-password-42");
  EXPECT_NE(what.find("password authentication failed"), std::string::npos) << what;
  EXPECT_EQ(what.find(real), std::string::npos) << what;
}

TEST_F(PgStorageTest, UnreachableServerIsOneClearError) {
  // Port 1 on the loopback: nothing listens there, the connection is refused at once.
  const std::string url = "postgresql://gdtest:hidden-pw-7@127.0.0.1:1/studies";
  const std::string what = open_error(url, "hidden-pw-7");
  EXPECT_NE(what.find("cannot connect to PostgreSQL 'postgresql://gdtest@127.0.0.1:1/studies'"), std::string::npos)
      << what;
}

TEST_F(PgStorageTest, NewerSchemaVersionIsRefused) {
  { StudyStorage(db_->url()).create_study("s", Direction::Maximize, kSpace, kConfig); }
  test::raw_sql(db_->url(), "UPDATE gpudigits_meta SET value = '99' WHERE key = 'schema_version'");
  const std::string what = open_error(db_->url(), password_of(db_->url()));
  EXPECT_NE(what.find("schema version 99, newer than this build understands (" +
                      std::to_string(kStudySchemaVersion) + ")"),
            std::string::npos)
      << what;
}

TEST_F(PgStorageTest, DatabaseOfAnotherApplicationIsRefused) {
  test::raw_sql(db_->url(), "CREATE TABLE studies (x integer)");
  const std::string what = open_error(db_->url(), password_of(db_->url()));
  EXPECT_NE(what.find("tables 'studies'/'trials' of another application"), std::string::npos) << what;
  test::raw_sql(db_->url(), "DROP TABLE studies");
  test::raw_sql(db_->url(), "CREATE TABLE gpudigits_meta (key text primary key, value text)");
  test::raw_sql(db_->url(), "INSERT INTO gpudigits_meta VALUES ('application', 'inventory')");
  EXPECT_NE(open_error(db_->url(), password_of(db_->url())).find("belongs to another application ('inventory'"),
            std::string::npos);
}

TEST_F(PgStorageTest, VersionOneSchemaIsUpgradedInPlace) {
  {
    StudyStorage st(db_->url());
    const Study s = st.create_study("old", Direction::Minimize, kSpace, kConfig);
    Trial t = st.ask(s, [](const std::vector<Trial>&) { return json{{"lr", 0.1}}; }, "random", "cpu");
    st.tell_complete(t, 0.5);
  }
  test::raw_sql(db_->url(), "DROP TABLE workers");
  test::raw_sql(db_->url(), "ALTER TABLE trials DROP COLUMN claim_token");  // drops its index too
  test::raw_sql(db_->url(), "UPDATE gpudigits_meta SET value = '1' WHERE key = 'schema_version'");
  StudyStorage st(db_->url());
  EXPECT_EQ(test::raw_query(db_->url(), "SELECT value FROM gpudigits_meta WHERE key = 'schema_version'"),
            std::to_string(kStudySchemaVersion));
  const Study s = st.load_study("old");
  ASSERT_EQ(st.trials(s).size(), 1u);
  EXPECT_EQ(st.trials(s)[0].value, 0.5);
  st.beat_worker(s, "idle");
  EXPECT_EQ(st.live_workers(s, 60).size(), 1u);
}

// Workers started together on an empty database: one creates the schema, every one opens it.
TEST_F(PgStorageTest, SchemaCreatedOnceByRacingWorkers) {
  test::StartGate gate;
  std::vector<pid_t> kids;
  const std::string url = db_->url();
  for (int w = 0; w < 4; ++w) {
    kids.push_back(test::fork_child([&] {
      gate.wait();
      StudyStorage st(url);
      st.open_study("race", Direction::Maximize, kSpace, kConfig);
      return 0;
    }));
  }
  gate.open();
  for (pid_t p : kids) EXPECT_EQ(test::wait_child(p), 0);
  StudyStorage st(url);
  EXPECT_EQ(st.studies().size(), 1u);
}

// What a worker read before taking the study lock, refreshed under it, equals a full read after
// other workers told, resumed, reported and created trials in between.
TEST_F(PgStorageTest, RefreshedRecordsEqualAFullRead) {
  StudyStorage st(db_->url());
  const Study s = st.create_study("r", Direction::Maximize, kSpace, kConfig);
  auto fixed = [](double lr) { return [lr](const std::vector<Trial>&) { return json{{"lr", lr}}; }; };
  Trial t0 = st.ask(s, fixed(0.1), "random", "cpu");
  st.tell_complete(t0, 0.5);
  Trial t1 = st.ask(s, fixed(0.2), "random", "cpu");
  Trial t2 = st.ask(s, fixed(0.3), "random", "cpu");
  st.tell_pruned(t2, 1, 0.2, {{"asha", {{"rung", 0}}}});
  Trial t3 = st.ask(s, fixed(0.4), "random", "cpu");

  sql::PgConnection conn(db_->url());
  std::vector<TrialRecord> before = storage_detail::load_records(conn, s.id);
  st.tell_complete(t1, 0.7, {{"metrics", {{"acc", 0.7}}}});
  st.resume(s, [&](const std::vector<Trial>&) { return Resumption{t2.id, {{"asha", {{"promoted_to", 1}}}}}; }, "cpu");
  st.report(t3, 1, 0.33);
  st.ask(s, fixed(0.5), "random", "cpu");

  const std::vector<Trial> refreshed = storage_detail::trials_of(storage_detail::refresh_records(conn, s.id, before));
  const std::vector<Trial> full = storage_detail::trials_of(storage_detail::load_records(conn, s.id));
  ASSERT_EQ(refreshed.size(), full.size());
  ASSERT_EQ(full.size(), 5u);
  for (size_t i = 0; i < full.size(); ++i) {
    SCOPED_TRACE("trial " + std::to_string(i));
    EXPECT_EQ(refreshed[i].id, full[i].id);
    EXPECT_EQ(refreshed[i].number, full[i].number);
    EXPECT_EQ(refreshed[i].state, full[i].state);
    EXPECT_EQ(refreshed[i].value, full[i].value);
    EXPECT_EQ(refreshed[i].params, full[i].params);
    EXPECT_EQ(refreshed[i].attrs, full[i].attrs);
    EXPECT_EQ(refreshed[i].intermediate, full[i].intermediate);
  }
  EXPECT_EQ(full[2].state, TrialState::Running);  // the resumed one, no longer paused
  EXPECT_EQ(full[3].intermediate.size(), 1u);
}

// Every connection of the study's database cut by the server (as on a restart): the next calls
// reconnect and go on, and a tell repeated after that finds nothing lost.
TEST_F(PgStorageTest, CutConnectionsAreReopened) {
  StudyStorage st(db_->url());
  const Study s = st.create_study("cut", Direction::Maximize, kSpace, kConfig);
  auto fixed = [](double lr) { return [lr](const std::vector<Trial>&) { return json{{"lr", lr}}; }; };
  Trial t = st.ask(s, fixed(0.1), "random", "cpu");
  const std::string cut = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()";
  EXPECT_EQ(test::raw_query(db_->url(), cut), "1");
  st.report(t, 1, 0.4);
  EXPECT_EQ(test::raw_query(db_->url(), cut), "1");
  EXPECT_EQ(st.tell_complete(t, 0.5), TrialState::Complete);
  EXPECT_EQ(test::raw_query(db_->url(), cut), "1");
  Trial u = st.ask(s, fixed(0.2), "random", "cpu");
  EXPECT_EQ(u.number, 1);
  const std::vector<Trial> all = st.trials(s);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].intermediate, (std::vector<std::pair<int, double>>{{1, 0.4}}));
  EXPECT_EQ(all[0].value, 0.5);
}

// A database gone for longer than reconnect_timeout_s: StorageUnavailableError naming the URL
// without its password.
TEST_F(PgStorageTest, ADatabaseGoneForGoodIsStorageUnavailable) {
  StorageOptions opt;
  opt.reconnect_timeout_s = 0.5;
  StudyStorage st(db_->url(), opt);
  st.create_study("gone", Direction::Maximize, kSpace, kConfig);
  test::raw_sql(admin_, "DROP DATABASE " + db_->name() + " WITH (FORCE)");
  const std::string password = password_of(db_->url());
  try {
    st.find_study("gone");
    ADD_FAILURE() << "no error";
  } catch (const StorageUnavailableError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("study storage '" + sql::pg_display_url(db_->url()) + "'"), std::string::npos) << what;
    EXPECT_NE(what.find("giving up"), std::string::npos) << what;
    EXPECT_EQ(what.find(password), std::string::npos) << what;
  }
}

// A connection opened before fork() refuses to run in the child, and the child leaving does not
// end the parent's session.
TEST_F(PgStorageTest, ConnectionIsNeverUsedAcrossFork) {
  sql::PgConnection parent(db_->url());
  EXPECT_EQ(parent.query_int("SELECT 1"), 1);
  const pid_t child = test::fork_child([&] {
    try {
      parent.query_int("SELECT 1");
    } catch (const Error& e) {
      return std::string(e.what()).find("must not cross fork()") != std::string::npos ? 0 : 2;
    }
    return 1;
  });
  EXPECT_EQ(test::wait_child(child), 0);
  EXPECT_EQ(parent.query_int("SELECT 2"), 2);  // still connected
}

}  // namespace
}  // namespace gd::tune
