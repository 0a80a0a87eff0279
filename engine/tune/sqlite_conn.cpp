// sql::Connection over SQLite; see sqlite_conn.h.
#include "engine/tune/sqlite_conn.h"

#include <sqlite3.h>

namespace gd::tune::sql {
namespace {

// Binds `params` to `s`; SqliteError (a DataError) for a non-finite double, naming the statement.
void bind_all(sqlite::Stmt& s, const Params& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    const int n = static_cast<int>(i) + 1;
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            s.bind_null(n);
          } else {
            s.bind(n, x);
          }
        },
        params[i].v);
  }
}

// Rewrites SqliteError into sql::SqlError (busy and locked into TransientError), keeping the text.
template <typename F>
auto translate(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const sqlite::SqliteError& e) {
    const int primary = e.code() & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw TransientError(e.what());
    throw SqlError(e.what());
  }
}

}  // namespace

SqliteConnection::SqliteConnection(std::unique_ptr<sqlite::Db> db) : db_(std::move(db)) {}

Rows SqliteConnection::query(const std::string& sql, const Params& params) {
  return translate([&] {
    sqlite::Stmt s(*db_, sql);
    bind_all(s, params);
    Rows out(sql);
    while (s.step()) {
      const int n = sqlite3_column_count(s.get());
      std::vector<Value> cols;
      cols.reserve(static_cast<size_t>(n));
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(s.get(), c)) {
          case SQLITE_NULL:
            cols.emplace_back();
            break;
          case SQLITE_INTEGER:
            cols.emplace_back(s.int_at(c));
            break;
          case SQLITE_FLOAT:
            cols.emplace_back(s.double_at(c));
            break;
          default:
            cols.emplace_back(s.text_at(c));
        }
      }
      out.add(std::move(cols));
    }
    return out;
  });
}

int64_t SqliteConnection::exec(const std::string& sql, const Params& params) {
  return translate([&] {
    sqlite::Stmt s(*db_, sql);
    bind_all(s, params);
    s.run();
    return static_cast<int64_t>(db_->changes());
  });
}

void SqliteConnection::begin(TxnMode mode) {
  translate([&] { db_->exec(mode == TxnMode::Read ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE"); });
}

void SqliteConnection::commit() {
  translate([&] { db_->exec("COMMIT"); });
}

void SqliteConnection::rollback() noexcept { sqlite3_exec(db_->get(), "ROLLBACK", nullptr, nullptr, nullptr); }

}  // namespace gd::tune::sql
