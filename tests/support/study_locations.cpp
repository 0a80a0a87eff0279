// Study storage locations for the parametrised tests; see study_locations.h.
#include "tests/support/study_locations.h"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <fstream>

#include "engine/tune/pg_conn.h"
#include "engine/tune/sqlite_conn.h"

namespace gd::test {
namespace {

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

std::unique_ptr<tune::sql::Connection> raw_connection(const std::string& location) {
  if (tune::sql::is_postgres_url(location)) return std::make_unique<tune::sql::PgConnection>(location);
  auto db = std::make_unique<tune::sqlite::Db>(location, SQLITE_OPEN_READWRITE);
  db->set_busy_timeout(10000);
  return std::make_unique<tune::sql::SqliteConnection>(std::move(db));
}

}  // namespace

std::string pg_state_dir() {
  if (std::getenv("GD_TEST_PG_URL")) return "";
  return std::string(GD_BINARY_DIR) + "/pgtest";
}

std::optional<std::string> pg_admin_url(std::string* why) {
  if (const char* env = std::getenv("GD_TEST_PG_URL"); env && *env) return std::string(env);
  const std::string state = pg_state_dir();
  const std::string url = read_line(state + "/url");
  if (!url.empty()) return url;
  const std::string reason = read_line(state + "/unavailable");
  if (why) {
    *why = reason.empty() ? "no PostgreSQL test server (run the tests through ctest, whose fixture 'pg' starts one, "
                            "or set GD_TEST_PG_URL)"
                          : "no PostgreSQL test server: " + reason;
  }
  return std::nullopt;
}

std::string pg_url_with_db(const std::string& url, const std::string& dbname) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  const size_t query = url.find('?', slash == std::string::npos ? 0 : slash);
  std::string out = slash == std::string::npos ? url : url.substr(0, slash);
  out += "/" + dbname;
  if (query != std::string::npos) out += url.substr(query);
  return out;
}

PgDatabase::PgDatabase(const std::string& admin_url, const std::string& tag) : admin_url_(admin_url) {
  static std::atomic<int> counter{0};
  std::string clean;
  for (char c : tag) clean += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  name_ = "t_" + clean.substr(0, 40) + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  tune::sql::PgConnection admin(admin_url_);
  admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  admin.exec("CREATE DATABASE " + name_);
  url_ = pg_url_with_db(admin_url_, name_);
}

PgDatabase::~PgDatabase() {
  try {
    tune::sql::PgConnection admin(admin_url_);
    admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
    // The server is gone (a fault test stopped it): its data directory goes with it.
  }
}

void raw_sql(const std::string& location, const std::string& sql) { raw_connection(location)->exec(sql); }

std::string raw_query(const std::string& location, const std::string& sql) {
  const tune::sql::Rows r = raw_connection(location)->query(sql);
  return r.empty() ? "" : r[0].text_at(0);
}

void StudyLocationTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string tag = std::string(info->test_suite_name()) + "_" + info->name();
  std::string clean;
  for (char c : tag) clean += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  dir_ = std::make_unique<TempDir>(clean);
  if (!postgres()) {
    location_ = dir_->file("s.db");
    return;
  }
  std::string why;
  const std::optional<std::string> admin = pg_admin_url(&why);
  if (!admin) GTEST_SKIP() << why;
  db_ = std::make_unique<PgDatabase>(*admin, info->name());
  location_ = db_->url();
}

std::string StudyLocationTest::other_location(const std::string& tag) {
  if (!postgres()) return dir_->file(tag + ".db");
  std::string why;
  others_.push_back(std::make_unique<PgDatabase>(*pg_admin_url(&why), tag));
  return others_.back()->url();
}

}  // namespace gd::test
