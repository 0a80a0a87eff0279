#pragma once
// Where the study storage tests keep their studies: a SQLite file in a temp directory, or a
// PostgreSQL database of its own on the private test server (tests/support/pg_server.sh, started
// by the ctest fixture "pg"). One parametrised suite runs against both:
//
//   class MyTest : public StudyLocationTest {};
//   TEST_P(MyTest, Something) { StudyStorage st(location()); raw_sql("UPDATE ..."); }
//   INSTANTIATE_STUDY_BACKENDS(MyTest);
//
// Where no PostgreSQL server could be started, the postgres instances skip, naming the reason.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "tests/support/test_support.h"

namespace gd::test {

// The test server's superuser URL (env GD_TEST_PG_URL, else <build>/pgtest/url written by the
// fixture), or nullopt with `why` saying why there is none.
std::optional<std::string> pg_admin_url(std::string* why);

// The fixture's state directory (for pg_server.sh restart), "" when GD_TEST_PG_URL is used.
std::string pg_state_dir();

// `url` with its database name replaced by `dbname`.
std::string pg_url_with_db(const std::string& url, const std::string& dbname);

// A fresh database on the server, dropped (connections and all) when this object dies.
class PgDatabase {
 public:
  PgDatabase(const std::string& admin_url, const std::string& tag);
  ~PgDatabase();
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string admin_url_, name_, url_;
};

// Runs one SQL statement on `location` (a file path or URL) over a raw connection that does no
// schema checks: to play other workers, damage, or look behind the storage's back.
void raw_sql(const std::string& location, const std::string& sql);
// The first column of the first row of a query, as text ("" when no row).
std::string raw_query(const std::string& location, const std::string& sql);

class StudyLocationTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  bool postgres() const { return GetParam() == "postgres"; }
  // A study storage location of this test's own: "<tmp>/s.db" or a URL.
  const std::string& location() const { return location_; }
  // A second, distinct location of the same kind.
  std::string other_location(const std::string& tag);
  void raw_sql(const std::string& sql) { gd::test::raw_sql(location_, sql); }
  const TempDir& dir() const { return *dir_; }

 private:
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<PgDatabase> db_;
  std::vector<std::unique_ptr<PgDatabase>> others_;
  std::string location_;
};

}  // namespace gd::test

#define INSTANTIATE_STUDY_BACKENDS(suite)                                                    \
  INSTANTIATE_TEST_SUITE_P(Backends, suite, ::testing::Values("sqlite", "postgres"),         \
                           [](const ::testing::TestParamInfo<std::string>& i) { return i.param; })
