// Opening a study file: creation (also by several processes at once), and a clear DataError naming
// the path for everything that is not a healthy study database of this schema.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/core/error.h"
#include "engine/tune/study_storage.h"
#include "engine/tune/study_storage_schema.h"
#include "tests/support/expect_error.h"
#include "tests/support/fork_child.h"
#include "tests/support/test_support.h"

namespace gd::tune {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void raw_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  const std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << msg;
}

// A real study file with `n` finished trials, closed (so the WAL is checkpointed into it).
void make_study_file(const std::string& path, int n) {
  StudyStorage st(path);
  const Study s = st.create_study("real", Direction::Maximize, {{"lr", {{"low", 0.001}}}}, {{"arch", "mlp"}});
  for (int i = 0; i < n; ++i) {
    Trial t = st.ask(
        s,
        [&](const std::vector<Trial>&) {
          return json{{"lr", 0.001 * (i + 1)}, {"pad", std::string(1500, 'x')}};
        },
        "random", "cpu");
    st.report(t, 1, 0.1);
    st.tell_complete(t, 0.5);
  }
}

::testing::AssertionResult open_fails(const std::string& path, std::initializer_list<std::string> needles) {
  return test::throws_with<DataError>([&] { StudyStorage st(path); }, needles);
}

TEST(StudyStorageOpen, CreatesAFreshFileInWalModeWithItsIds) {
  test::TempDir dir("open_fresh");
  const std::string path = dir.file("new.db");
  { StudyStorage st(path); }
  ASSERT_TRUE(fs::exists(path));
  const std::string bytes = read_bytes(path);
  ASSERT_GE(bytes.size(), 100u);
  EXPECT_EQ(bytes.substr(0, 16), std::string("SQLite format 3\0", 16));
  // Header: bytes 18/19 = 2 (WAL), application id at offset 68 and user version at 60 (big-endian).
  EXPECT_EQ(bytes[18], 2);
  EXPECT_EQ(bytes[19], 2);
  auto be32 = [&](size_t off) {
    return (uint32_t(uint8_t(bytes[off])) << 24) | (uint32_t(uint8_t(bytes[off + 1])) << 16) |
           (uint32_t(uint8_t(bytes[off + 2])) << 8) | uint32_t(uint8_t(bytes[off + 3]));
  };
  EXPECT_EQ(be32(68), 0x47445354u);  // "GDST"
  EXPECT_EQ(be32(60), static_cast<uint32_t>(kStudySchemaVersion));
  EXPECT_FALSE(fs::exists(path + ".init-" + std::to_string(::getpid())));  // the temporary is gone
}

TEST(StudyStorageOpen, SeveralProcessesCreatingTheSameFileAgree) {
  test::TempDir dir("open_race");
  const std::string path = dir.file("race.db");
  test::StartGate gate;
  std::vector<pid_t> kids;
  for (int w = 0; w < 4; ++w) {
    kids.push_back(test::fork_child([&] {
      gate.wait();
      StudyStorage st(path);
      st.open_study("shared", Direction::Minimize, json::object(), json::object());
      return 0;
    }));
  }
  gate.open();
  for (pid_t p : kids) EXPECT_EQ(test::wait_child(p), 0);
  StudyStorage st(path);
  ASSERT_EQ(st.studies().size(), 1u);
  EXPECT_EQ(st.studies()[0].name, "shared");
}

TEST(StudyStorageOpen, LeftoverWriteAheadLogWithoutItsDatabaseIsRefused) {
  test::TempDir dir("open_wal");
  const std::string path = dir.file("s.db");
  write_bytes(path + "-wal", std::string(64, 'w'));
  EXPECT_TRUE(open_fails(path, {path, "write-ahead log", "-wal"}));
  EXPECT_FALSE(fs::exists(path));  // nothing created over it
}

TEST(StudyStorageOpen, GarbageBytesAreNotADatabase) {
  test::TempDir dir("open_garbage");
  const std::string path = dir.file("garbage.db");
  std::string junk = "this is a text file, not a study\n";
  while (junk.size() < 4096) junk += junk;
  write_bytes(path, junk);
  EXPECT_TRUE(open_fails(path, {path, "not a SQLite database", "this is a text f"}));
}

TEST(StudyStorageOpen, EmptyFileIsRefused) {
  test::TempDir dir("open_empty");
  const std::string path = dir.file("empty.db");
  write_bytes(path, "");
  EXPECT_TRUE(open_fails(path, {path, "empty file"}));
  EXPECT_EQ(fs::file_size(path), 0u);  // left as it was
}

TEST(StudyStorageOpen, DirectoryIsRefused) {
  test::TempDir dir("open_dir");
  EXPECT_TRUE(open_fails(dir.path(), {dir.path(), "is a directory"}));
}

TEST(StudyStorageOpen, MissingOrReadOnlyLocationIsRefused) {
  test::TempDir dir("open_ro");
  const std::string missing = dir.file("no/such/dir/s.db");
  EXPECT_TRUE(open_fails(missing, {missing, "no/such/dir"}));
  // /proc refuses new files even to root.
  EXPECT_TRUE(open_fails("/proc/gd-study.db", {"study database '/proc/gd-study.db'"}));
  if (::geteuid() != 0) {  // permission bits do not stop root
    const std::string ro = dir.file("ro");
    fs::create_directories(ro);
    const std::string inside = ro + "/s.db";
    make_study_file(inside, 1);
    ::chmod(ro.c_str(), 0555);
    EXPECT_TRUE(open_fails(ro + "/t.db", {ro, "not writable"}));
    EXPECT_TRUE(open_fails(inside, {inside, "not writable"}));
    ::chmod(ro.c_str(), 0755);
    ::chmod(inside.c_str(), 0444);
    EXPECT_TRUE(open_fails(inside, {inside, "read-only"}));
    ::chmod(inside.c_str(), 0644);
  }
}

TEST(StudyStorageOpen, ForeignSqliteDatabasesAreRefused) {
  test::TempDir dir("open_foreign");
  const std::string plain = dir.file("app.db");
  raw_sql(plain, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('x');");
  EXPECT_TRUE(open_fails(plain, {plain, "another application", "no application id", "users"}));

  const std::string other_id = dir.file("other.db");
  raw_sql(other_id, "PRAGMA application_id = 1234; CREATE TABLE things (x);");
  EXPECT_TRUE(open_fails(other_id, {other_id, "another application", "0x000004d2", "0x47445354"}));

  // A file with our id but missing one of the tables (say, hand-edited) is refused too.
  const std::string partial = dir.file("partial.db");
  make_study_file(partial, 1);
  raw_sql(partial, "DROP TABLE trial_queue;");
  EXPECT_TRUE(open_fails(partial, {partial, "lacks the table 'trial_queue'"}));
}

TEST(StudyStorageOpen, NewerSchemaIsRefused) {
  test::TempDir dir("open_newer");
  const std::string path = dir.file("s.db");
  make_study_file(path, 1);
  raw_sql(path, "PRAGMA user_version = 99;");
  EXPECT_TRUE(open_fails(path, {path, "schema version 99", "newer"}));
}

// A file of schema version 1 (before the workers table) is upgraded in place, its trials kept.
TEST(StudyStorageOpen, VersionOneFileIsUpgraded) {
  test::TempDir dir("open_upgrade");
  const std::string path = dir.file("s.db");
  make_study_file(path, 3);
  raw_sql(path,
          "DROP INDEX trials_by_claim; ALTER TABLE trials DROP COLUMN claim_token; DROP TABLE workers; "
          "PRAGMA user_version = 1;");
  {
    StudyStorage st(path);
    const Study s = st.load_study("real");
    EXPECT_EQ(st.trials(s).size(), 3u);
    st.beat_worker(s, "idle");  // the new table is there
    EXPECT_EQ(st.live_workers(s, 60).size(), 1u);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(q, 0), kStudySchemaVersion);
  sqlite3_finalize(q);
  sqlite3_close(db);
}

TEST(StudyStorageOpen, TruncatedCopyOfARealStudyIsDamaged) {
  test::TempDir dir("open_trunc");
  const std::string path = dir.file("s.db");
  make_study_file(path, 24);
  const std::string bytes = read_bytes(path);
  ASSERT_GT(bytes.size(), 8u * 4096u);  // several pages, so the cut drops live b-tree pages
  const std::string copy = dir.file("copy.db");
  write_bytes(copy, bytes.substr(0, bytes.size() / 2));
  EXPECT_TRUE(open_fails(copy, {copy, "damaged"}));
  StudyStorage ok(path);  // the original is fine
  EXPECT_EQ(ok.trials(ok.load_study("real")).size(), 24u);
}

TEST(StudyStorageOpen, OverwrittenPagesAreDamaged) {
  test::TempDir dir("open_scribble");
  const std::string path = dir.file("s.db");
  make_study_file(path, 24);
  std::string bytes = read_bytes(path);
  const size_t page = 4096;
  ASSERT_GT(bytes.size(), 6 * page);
  for (size_t i = 2 * page; i < 5 * page; ++i) bytes[i] = static_cast<char>((i * 7919u) & 0xff);
  write_bytes(path, bytes);
  EXPECT_TRUE(open_fails(path, {path, "damaged"}));
}

}  // namespace
}  // namespace gd::tune
